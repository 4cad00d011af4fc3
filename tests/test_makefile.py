"""The Makefile is discoverable: `make` alone lists the targets; `make run` serves the function."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import fnreq as f
import grpc
import pytest
import serving
from conftest import ROOT
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

from scripts import procs
from scripts.bench import procstat


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VENV", "MAKEFLAGS")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _targets() -> list[str]:
    """The targets a person runs: every rule named like `name:` (not FORCE, not files)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE)


def test_make_alone_lists_every_target_with_its_description() -> None:
    done = _make()
    assert done.returncode == 0, done.stderr
    listed = dict(
        re.findall(r"^  ([a-z][a-z-]*) +(\S.*)$", done.stdout, flags=re.MULTILINE)  # name, text
    )
    assert sorted(listed) == sorted(_targets())
    assert listed["help"].startswith("list the targets")
    assert "serve the function" in listed["run"]
    assert "mypy" in listed["lint"]
    assert "creating" not in done.stdout  # listing builds nothing (no venv)
    assert _make("help").stdout == done.stdout


def test_make_run_serves_the_function_on_the_printed_loopback_address() -> None:
    venv = Path(sys.prefix)
    recorded = venv / ".python"  # which interpreter `make` built this venv with
    if not recorded.is_file():
        pytest.skip(f"{venv} was not made by `make setup`; `make run` would build its own")
    port = procs.free_port()
    address = f"127.0.0.1:{port}"
    argv = [
        "make",
        "--no-print-directory",
        # This venv is up to date for the test run: never rebuild or reinstall it here.
        "-o",
        str(recorded),
        "-o",
        str(venv / ".installed"),
        "run",
        f"PYTHON={recorded.read_text(encoding='utf-8').strip()}",
        f"VENV={venv}",
        f"RUN_ADDRESS={address}",
    ]
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=serving.env()
    )
    children: list[int] = []
    try:
        procs.wait_until(proc, lambda: procs.listening(port), serving.START_TIMEOUT)
        children = procstat.children(proc.pid)
        with grpc.insecure_channel(address) as channel:
            stub = grpcv1.FunctionRunnerServiceStub(channel)
            rsp = stub.RunFunction(f.request(f.xr_v1(), tag="make-run"), timeout=20)
        assert rsp.meta.tag == "make-run"
        assert "ec" in rsp.desired.resources
    finally:
        _code, out, err = procs.stop(proc, serving.STOP_TIMEOUT)  # make passes SIGTERM on
        for pid in children:  # the function, should make not have stopped it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    first = out.decode().splitlines()[0]
    assert first == (
        f"function-ephemeral-cluster: serving on {address} "
        "(insecure: plain text, loopback); Ctrl-C stops it"
    ), err.decode()
