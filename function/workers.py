"""`--workers N`: N serving processes sharing one port, supervised by the parent.

Python serves on one core per process (the GIL), so a pod with several cores runs several
processes. Each worker binds the same port with SO_REUSEPORT and the kernel spreads incoming
*connections* (not calls) over them: a client that opens a single HTTP/2 connection, like
Crossplane's function runner does per pod, reaches one worker only (see docs/bench.md).

The parent only supervises: it forks the workers before any gRPC thread exists, forwards
SIGTERM/SIGINT to them and waits (each stops gracefully), and exits 0 when all stopped
cleanly. If a worker dies on its own, the parent stops the others and exits non-zero so the
container restarts instead of silently serving on fewer cores. As PID 1 in a container the
parent also reaps its children; SIGTERM works there because the parent waits for signals
with sigwait (PID 1 ignores signals that have no handler).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_WATCHED = {*STOP_SIGNALS, signal.SIGCHLD}
STOP_TIMEOUT = 15.0  # the server's grace period (5 s) plus room; then SIGKILL
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this worker if the parent dies (no orphaned servers)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _child(serve_one: Callable[[], None]) -> int:
    """Run in a forked worker: default signal handling, then serve; returns the exit code."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _WATCHED)
    _die_with_parent()
    try:
        serve_one()
    except SystemExit as stop:
        code = stop.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    except BaseException as err:  # a worker must always end with an exit code
        # The type only: a message or traceback could carry request data.
        sys.stderr.write(
            f"function-ephemeral-cluster: worker {os.getpid()} failed: {type(err).__name__}\n"
        )
        return 1
    return 0


def _spawn(serve_one: Callable[[], None]) -> int:
    pid = os.fork()
    if pid == 0:  # worker
        code = 1
        try:
            code = _child(serve_one)
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    return pid


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def _reap(alive: set[int]) -> list[tuple[int, int]]:
    """Collect every worker that has exited: (pid, exit code; -N = killed by signal N)."""
    ended = []
    while alive:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        if pid in alive:
            alive.discard(pid)
            ended.append((pid, _exit_code(status)))
    return ended


def _stop_all(alive: set[int], sig: int, timeout: float) -> bool:
    """Send `sig` to every worker and wait; SIGKILL whoever is left. True if all exited 0."""
    clean = True
    stopped_ok = {0, -int(signal.SIGTERM), -int(signal.SIGINT)}  # killed before handlers = ok
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while alive:
        clean &= all(code in stopped_ok for _, code in _reap(alive))
        if not alive:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            clean = False
            for pid in list(alive):
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            alive.clear()
            break
        signal.sigtimedwait({signal.SIGCHLD}, min(left, 0.5))
    return clean


def run_workers(workers: int, serve_one: Callable[[], None]) -> int:
    """Fork `workers` processes running `serve_one` and supervise them; returns the exit code.

    0 after SIGTERM/SIGINT when every worker stopped cleanly; 1 when a worker died on its
    own (the others are stopped first) or did not stop cleanly.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    # Blocked before forking: a signal that arrives while workers start waits for sigwait.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
    alive: set[int] = set()
    try:
        for _ in range(workers):
            alive.add(_spawn(serve_one))
        while True:
            sig = signal.sigwait(_WATCHED)
            if sig in STOP_SIGNALS:
                return 0 if _stop_all(alive, signal.SIGTERM, STOP_TIMEOUT) else 1
            ended = _reap(alive)
            if ended:
                pid, code = ended[0]
                sys.stderr.write(
                    f"function-ephemeral-cluster: worker {pid} exited unexpectedly "
                    f"(code {code}); stopping the others\n"
                )
                sys.stderr.flush()
                _stop_all(alive, signal.SIGTERM, STOP_TIMEOUT)
                return 1
    finally:
        if alive:  # only on an unexpected error in the parent itself
            _stop_all(alive, signal.SIGKILL, 1.0)
        # Swallow stop signals still pending (e.g. SIGINT sent to the whole process group):
        # unblocked, they would kill the parent before it returns its exit code.
        while signal.sigtimedwait(STOP_SIGNALS, 0) is not None:
            pass
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
