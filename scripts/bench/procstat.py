"""Server cost from /proc: CPU seconds (utime + stime) and resident memory, per process tree.

A `--workers N` server is a parent and N forked workers, so every figure is summed over the
process and its live descendants. Parsers take the file text so tests can feed them samples.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_stat_cpu(text: str, clk_tck: int = CLK_TCK) -> float:
    """CPU seconds (utime + stime) from the text of /proc/<pid>/stat.

    The command name (field 2) is in parentheses and may hold spaces or ')', so fields are
    counted after the last ')'; utime and stime are fields 14 and 15.
    """
    after = text.rsplit(")", 1)[1].split()
    # after[0] is field 3 (state): field N is after[N - 3].
    return (int(after[11]) + int(after[12])) / clk_tck


def parse_status_rss_kb(text: str) -> int:
    """VmRSS in KiB from the text of /proc/<pid>/status (0 for a zombie, which has none)."""
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int, proc: Path = PROC) -> list[int]:
    """Direct children of `pid` (from every thread's children list)."""
    found: list[int] = []
    try:
        tasks = list((proc / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(x) for x in (task / "children").read_text().split())
        except OSError:
            continue
    return sorted(set(found))


def tree(pid: int, proc: Path = PROC) -> list[int]:
    """`pid` and all its live descendants."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children(current, proc))
    return out


def cpu_seconds(pid: int, proc: Path = PROC) -> float:
    """CPU seconds used so far by `pid` and its live descendants."""
    total = 0.0
    for member in tree(pid, proc):
        try:
            total += parse_stat_cpu((proc / str(member) / "stat").read_text())
        except (OSError, IndexError, ValueError):
            continue  # exited between listing and reading
    return total


def rss_kb(pid: int, proc: Path = PROC) -> int:
    """Resident memory (KiB) of `pid` and its live descendants."""
    total = 0
    for member in tree(pid, proc):
        try:
            total += parse_status_rss_kb((proc / str(member) / "status").read_text())
        except (OSError, ValueError):
            continue
    return total


def parse_tcp_inodes(text: str, port: int) -> set[int]:
    """Socket inodes of ESTABLISHED connections whose local port is `port` (/proc/net/tcp*)."""
    found = set()
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 10:  # noqa: PLR2004 - fixed /proc/net/tcp layout
            continue
        local, state, inode = cols[1], cols[3], cols[9]
        if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
            found.add(int(inode))
    return found


def socket_inodes(pid: int, proc: Path = PROC) -> set[int]:
    """Inodes of the sockets `pid` holds open."""
    found: set[int] = set()
    try:
        fds = list((proc / str(pid) / "fd").iterdir())
    except OSError:
        return found
    for fd in fds:
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(int(target[8:-1]))
    return found


def connections_by_process(pid: int, port: int, proc: Path = PROC) -> dict[int, int]:
    """Accepted connections on `port` held by each process of `pid`'s tree (workers)."""
    established: set[int] = set()
    for name in ("tcp", "tcp6"):
        try:
            established |= parse_tcp_inodes((proc / "net" / name).read_text(), port)
        except OSError:
            continue
    return {member: len(socket_inodes(member, proc) & established) for member in tree(pid, proc)}
