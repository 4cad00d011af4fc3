"""Start the bench's servers (project, no-op floor, copy-only yardstick) on loopback; stop by PID.

All are launched the same way (`python -c "from <module> import cli; cli()" --insecure
--address 127.0.0.1:<free port>`), so start-up and serving differ only by the function.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import grpc

from scripts import procs
from scripts.bench import pinning, procstat

PROJECT = "function.main"
FLOOR = "scripts.bench.noop"
COPY_ONLY = "scripts.bench.copyonly"
METHOD = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0


class BenchError(RuntimeError):
    """The bench cannot go on (a server did not start, a response was wrong)."""


def command(
    module: str, port: int, extra: Sequence[str] = (), cpus: pinning.CPUs | None = None
) -> list[str]:
    """The command line serving `module`'s `cli` on 127.0.0.1:`port` in plain text.

    With `cpus`, the process pins itself before importing anything; workers inherit it.
    """
    return [
        sys.executable,
        "-c",
        f"{pinning.prologue(cpus)}from {module} import cli; cli()",
        "--insecure",
        "--address",
        f"{procs.LOOPBACK}:{port}",
        *extra,
    ]


def _env(log_dir: Path) -> dict[str, str]:
    """The servers' environment: no inherited function flags, and bytecode caching on.

    An installed package (the image's wheel) runs from byte-compiled modules. A development
    shell may set PYTHONDONTWRITEBYTECODE, which would make every start compile the project
    from source and charge that to its cold start; the servers write and read their bytecode
    under the run's own directory instead.
    """
    drop = (
        "TLS_SERVER_CERTS_DIR",
        "INSECURE",
        "WORKERS",
        "PYTHONPROFILEIMPORTTIME",
        "PYTHONDONTWRITEBYTECODE",
    )
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPYCACHEPREFIX"] = str(log_dir / "pycache")
    return env


@dataclasses.dataclass
class Server:
    """One running server process (and its workers, if any)."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path | None = None

    @property
    def pid(self) -> int:
        """The top process's PID (the parent when serving with workers)."""
        return self.proc.pid

    @property
    def target(self) -> str:
        """gRPC target."""
        return f"{procs.LOOPBACK}:{self.port}"

    def cpu_seconds(self) -> float:
        """CPU used so far by the server and its workers."""
        return procstat.cpu_seconds(self.pid)

    def rss_kb(self) -> int:
        """Resident memory of the server and its workers."""
        return procstat.rss_kb(self.pid)

    def stop(self) -> int:
        """SIGTERM by PID, wait, SIGKILL if it hangs (`scripts.procs`); returns the exit code."""
        code, _, _ = procs.stop(self.proc, STOP_TIMEOUT)
        return code


def _stderr_tail(server: Server) -> str:
    if server.log is None or not server.log.exists():
        return ""
    lines = server.log.read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def start(
    name: str,
    module: str,
    *,
    extra: Sequence[str] = (),
    log_dir: Path,
    cpus: pinning.CPUs | None = None,
) -> Server:
    """Start a server; returns as soon as the process exists (see `wait_ready`)."""
    port = procs.free_port()
    log = log_dir / f"{name}-{port}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(  # our own interpreter and modules
            command(module, port, extra, cpus),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_env(log_dir),
        )
    return Server(name=name, proc=proc, port=port, log=log)


def first_call(server: Server, payload: bytes, deadline: float) -> bytes:
    """Poll the port every 2 ms, then make one RunFunction call; returns the response bytes."""
    while True:
        if server.proc.poll() is not None:
            raise BenchError(
                f"{server.name} exited with code {server.proc.returncode} before serving: "
                f"{_stderr_tail(server)}"
            )
        if time.monotonic() > deadline:
            raise BenchError(f"{server.name} did not answer within {START_TIMEOUT:.0f}s")
        if procs.listening(server.port):
            break
        time.sleep(0.002)  # not procs.wait_until's 50 ms: the cold start is timed to the poll
    with grpc.insecure_channel(server.target) as channel:
        call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(METHOD)
        try:
            return call(payload, timeout=max(deadline - time.monotonic(), 1.0), wait_for_ready=True)
        except grpc.RpcError as err:
            raise BenchError(f"{server.name}: first call failed: {err.code()}") from None


def wait_ready(server: Server, payload: bytes) -> bytes:
    """Block until the server answers one RunFunction call."""
    return first_call(server, payload, time.monotonic() + START_TIMEOUT)


def cold_start(name: str, module: str, payload: bytes, *, log_dir: Path) -> tuple[float, bytes]:
    """Seconds from process start to the first successful RunFunction response."""
    started = time.perf_counter()
    server = start(name, module, log_dir=log_dir)
    try:
        response = first_call(server, payload, time.monotonic() + START_TIMEOUT)
        return time.perf_counter() - started, response
    finally:
        server.stop()


@contextlib.contextmanager
def running(
    name: str,
    module: str,
    payload: bytes,
    *,
    extra: Sequence[str] = (),
    log_dir: Path,
    cpus: pinning.CPUs | None = None,
) -> Iterator[Server]:
    """A started, answering server that is stopped (by PID) on exit, whatever happens."""
    server = start(name, module, extra=extra, log_dir=log_dir, cpus=cpus)
    try:
        wait_ready(server, payload)
        yield server
    finally:
        server.stop()
