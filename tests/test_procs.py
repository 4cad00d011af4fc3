"""scripts.procs: the one helper the tools and tests use to pick a port, wait and stop by PID."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import procs

# A child that marks a file once its SIGTERM handling is in place, then sleeps.
_CHILD = """
import pathlib, signal, sys, time
if sys.argv[2] == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
sys.stdout.write("hello"); sys.stdout.flush()
pathlib.Path(sys.argv[1]).touch()
time.sleep(60)
"""


def _child(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[bytes], Path]:
    marker = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(marker), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return proc, marker


def _alive(proc: subprocess.Popen[bytes]) -> bool:
    return proc.poll() is None


def test_free_port_is_a_loopback_port_that_can_be_bound() -> None:
    port = procs.free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind((procs.LOOPBACK, port))


def test_listening_tells_a_listener_from_a_closed_port() -> None:
    with socket.socket() as sock:
        sock.bind((procs.LOOPBACK, 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert procs.listening(port)
    assert not procs.listening(port)


def test_wait_until_returns_once_ready(tmp_path: Path) -> None:
    proc, marker = _child(tmp_path, "exit-on-term")
    try:
        procs.wait_until(proc, marker.exists, timeout=30)
        assert marker.exists()
        assert _alive(proc)
    finally:
        procs.stop(proc, grace=0)


def test_wait_until_reports_a_process_that_exits_first() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(procs.ExitedError) as err:
        procs.wait_until(proc, lambda: False, timeout=30)
    assert err.value.code == 3
    assert "exited with code 3" in str(err.value)


def test_wait_until_times_out_and_leaves_the_process_running(tmp_path: Path) -> None:
    proc, _ = _child(tmp_path, "exit-on-term")
    try:
        with pytest.raises(TimeoutError, match=r"not ready within 0\.2s"):
            procs.wait_until(proc, lambda: False, timeout=0.2)
        assert _alive(proc)
    finally:
        procs.stop(proc, grace=0)


def test_stop_sends_sigterm_and_returns_code_and_output(tmp_path: Path) -> None:
    proc, marker = _child(tmp_path, "exit-on-term")
    procs.wait_until(proc, marker.exists, timeout=30)
    code, out, err = procs.stop(proc, grace=10)
    assert (code, out, err) == (7, b"hello", b"")


def test_stop_kills_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    proc, marker = _child(tmp_path, "ignore-term")
    procs.wait_until(proc, marker.exists, timeout=30)
    code, out, _ = procs.stop(proc, grace=0.3)
    assert code == -signal.SIGKILL
    assert out == b"hello"


def test_stop_with_no_grace_kills_at_once(tmp_path: Path) -> None:
    proc, marker = _child(tmp_path, "exit-on-term")
    procs.wait_until(proc, marker.exists, timeout=30)
    code, _, _ = procs.stop(proc, grace=0)
    assert code == -signal.SIGKILL


def test_stop_of_a_process_that_already_exited_is_its_exit_code() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(5)"])
    proc.wait(timeout=30)
    assert procs.stop(proc, grace=1) == (5, b"", b"")
