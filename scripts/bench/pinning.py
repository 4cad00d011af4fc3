"""Where the workers comparison runs: the servers on N CPUs of their own, the client elsewhere.

The goal "N workers give at least 1.7x one worker on N cores" is about the servers' cores. When the
load generator shares them, it takes CPU from the workers and the ratio measures the machine,
not the function. So the servers are pinned to N CPUs and the client (every thread of the
bench process) to the others, when the machine has them. With fewer CPUs nothing is pinned
and the report says why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

CPUs = tuple[int, ...]


class PinError(ValueError):
    """A CPU list that cannot be used (names the option at fault)."""


@dataclasses.dataclass(frozen=True)
class Placement:
    """CPUs for the servers and for the client; both None when nothing is pinned."""

    servers: CPUs | None = None
    client: CPUs | None = None
    reason: str = ""  # why nothing is pinned

    @property
    def pinned(self) -> bool:
        """The servers and the client run on separate CPUs."""
        return self.servers is not None and self.client is not None

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        if self.pinned:
            return {"pinned": True, "server_cpus": self.servers, "client_cpus": self.client}
        return {"pinned": False, "reason": self.reason}


def available() -> CPUs:
    """The CPUs this process may run on."""
    return tuple(sorted(os.sched_getaffinity(0)))


def parse(text: str, option: str) -> CPUs:
    """`0,2-3` → (0, 2, 3); a PinError naming `option` for anything else."""
    cpus: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            low = int(first)
            high = int(last) if dash else low
        except ValueError:
            raise PinError(f"{option}: {part.strip()!r} is not a CPU number or range") from None
        if low < 0 or high < low:
            raise PinError(f"{option}: {part.strip()!r} is not a valid CPU range")
        cpus.update(range(low, high + 1))
    return tuple(sorted(cpus))


def plan(
    workers: int,
    *,
    servers: CPUs | None = None,
    client: CPUs | None = None,
    cpus: Iterable[int] | None = None,
) -> Placement:
    """The placement for a 1-vs-`workers` comparison.

    Explicit lists must both be given, be disjoint and be CPUs this process may use. Without
    them: the first `workers` CPUs for the servers and the rest for the client, if there is a
    rest; otherwise nothing is pinned.
    """
    usable = tuple(sorted(available() if cpus is None else cpus))
    if (servers is None) != (client is None):
        raise PinError("--server-cpus and --client-cpus go together")
    if servers is not None and client is not None:
        for option, chosen in (("--server-cpus", servers), ("--client-cpus", client)):
            missing = sorted(set(chosen) - set(usable))
            if not chosen or missing:
                raise PinError(f"{option}: CPUs {missing or chosen} are not available {usable}")
        if set(servers) & set(client):
            raise PinError("--server-cpus and --client-cpus must not share a CPU")
        return Placement(servers=servers, client=client)
    if len(usable) < workers + 1:
        return Placement(
            reason=f"{len(usable)} CPUs: {workers} for the servers and at least 1 for the "
            "client are needed, so the client shares the servers' cores"
        )
    return Placement(servers=usable[:workers], client=usable[workers:])


def _threads() -> list[int]:
    return [int(task.name) for task in Path("/proc/self/task").iterdir()]


@contextlib.contextmanager
def client_on(cpus: CPUs | None) -> Iterator[None]:
    """Run every thread of this process (gRPC's included) on `cpus`, restored afterwards.

    Affinity is per thread on Linux, and threads created later inherit their creator's.
    """
    if cpus is None:
        yield
        return
    original = os.sched_getaffinity(0)
    before: dict[int, set[int]] = {}
    for tid in _threads():
        with contextlib.suppress(ProcessLookupError):  # a thread may end meanwhile
            before[tid] = os.sched_getaffinity(tid)
            os.sched_setaffinity(tid, cpus)
    try:
        yield
    finally:
        for tid in _threads():
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(tid, before.get(tid, original))


def prologue(cpus: CPUs | None) -> str:
    """Python run first in a server process: pins it (and the workers it forks) to `cpus`."""
    if cpus is None:
        return ""
    return f"import os; os.sched_setaffinity(0, {set(cpus)!r}); "
