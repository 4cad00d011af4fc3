"""Local server processes, for the tools and the tests: one way to pick a free loopback port,
wait until a process serves and stop it by its PID.

Only loopback addresses are used. A process is stopped by its own PID (SIGTERM, then SIGKILL
after a grace period), never by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable

LOOPBACK = "127.0.0.1"
POLL_SECONDS = 0.05


class ExitedError(RuntimeError):
    """The process exited before it was ready; `code` is its exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(f"exited with code {code}")
        self.code = code


def free_port() -> int:
    """A loopback port nobody listened on a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def listening(port: int) -> bool:
    """Something accepts TCP connections on the loopback `port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((LOOPBACK, port)) == 0


def wait_until(proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float) -> None:
    """Poll `ready()` until it is true: ExitedError when `proc` exits first, TimeoutError after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            raise ExitedError(code)
        if ready():
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not ready within {timeout:g}s")
        time.sleep(POLL_SECONDS)


def stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> tuple[int, bytes, bytes]:
    """SIGTERM by PID, SIGKILL after `grace` seconds (at once when `grace` is 0); returns the
    exit code and what the process still wrote to its pipes (empty when not piped)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM if grace > 0 else signal.SIGKILL)
    try:
        out, err = proc.communicate(timeout=grace if grace > 0 else None)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    return proc.returncode, out or b"", err or b""
