"""`--workers N` for real: N processes on one loopback port, SIGTERM for all, no orphans."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import fnreq as f
import grpc
import pytest
import serving
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

from function import workers
from scripts import procs
from scripts.bench import procstat


def _alive(pid: int) -> bool:
    """A live process (not a zombie) with that PID."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


@contextlib.contextmanager
def _served(count: int) -> Iterator[tuple[subprocess.Popen[bytes], int, list[int]]]:
    """`--workers count` on a free port, once every worker is up; leftovers killed by PID."""

    def all_up(proc: subprocess.Popen[bytes]) -> bool:
        return len(procstat.children(proc.pid)) == count

    with serving.server("--insecure", "--workers", str(count), ready=all_up) as (proc, port):
        kids = procstat.children(proc.pid)
        try:
            yield proc, port, kids
        finally:
            procs.stop(proc, grace=0)
            for pid in kids:
                if _alive(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


def _call_many(port: int, connections: int = 6) -> set[str]:
    """One call on each of several connections (the kernel spreads connections)."""
    tags = set()
    for i in range(connections):
        opts = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=opts) as channel:
            stub = grpcv1.FunctionRunnerServiceStub(channel)
            rsp = stub.RunFunction(f.request(f.xr_v1(), tag=f"w{i}"), timeout=20)
            assert "ec" in rsp.desired.resources
            tags.add(rsp.meta.tag)
    return tags


def _wait_gone(pids: list[int], timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if _alive(pid)]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_two_workers_serve_one_port_and_stop_together(sig: signal.Signals) -> None:
    with _served(2) as (proc, port, kids):
        assert len(kids) == 2
        assert _call_many(port) == {f"w{i}" for i in range(6)}
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err.decode()
        assert _wait_gone(kids) == []
        assert "Traceback" not in err.decode()


def test_a_worker_that_dies_stops_the_others_and_fails_the_parent() -> None:
    with _served(2) as (proc, _port, kids):
        os.kill(kids[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode != 0
        assert "exited unexpectedly" in err.decode()
        assert _wait_gone(kids) == []


def _supervise(body: str, count: int = 2) -> subprocess.CompletedProcess[str]:
    code = (
        "import os, sys, time\n"
        "from function.workers import run_workers\n"
        f"def serve_one():\n{body}\n"
        f"sys.exit(run_workers({count}, serve_one))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_a_worker_failing_at_start_fails_the_parent_with_one_line() -> None:
    result = _supervise("    sys.exit(3)")
    assert result.returncode == 1
    assert "exited unexpectedly (code 3)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_worker_raising_is_an_exit_code_not_a_hang() -> None:
    result = _supervise("    raise RuntimeError('boom')", count=1)
    assert result.returncode == 1
    assert "exited unexpectedly (code 1)" in result.stderr
    assert "failed: RuntimeError" in result.stderr
    assert "boom" not in result.stderr


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        workers.run_workers(0, lambda: None)


def test_runtime_config_example_sets_workers_the_cli_reads() -> None:
    import yaml
    from click.testing import CliRunner

    from function import main

    doc = yaml.safe_load(
        (Path(__file__).parent.parent / "deploy" / "function" / "runtimeconfig.yaml").read_text()
    )
    assert (doc["apiVersion"], doc["kind"]) == (
        "pkg.crossplane.io/v1beta1",
        "DeploymentRuntimeConfig",
    )
    spec = doc["spec"]["deploymentTemplate"]["spec"]
    assert spec["replicas"] >= 1
    assert "selector" in spec
    [container] = spec["template"]["spec"]["containers"]
    assert container["name"] == "package-runtime"
    env = {item["name"]: item["value"] for item in container["env"]}
    # The CLI takes WORKERS from the environment (a bad value fails before serving).
    result = CliRunner().invoke(main.cli, ["--insecure"], env={"WORKERS": "0"})
    assert result.exit_code != 0
    assert "--workers" in result.output
    assert int(env["WORKERS"]) >= 1


def _second_server(port: int, count: int) -> subprocess.CompletedProcess[str]:
    return serving.run_cli("--insecure", "--workers", str(count), "--address", f"127.0.0.1:{port}")


def _refused(result: subprocess.CompletedProcess[str], port: int) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"function-ephemeral-cluster: cannot listen on 127.0.0.1:{port}")
    return lines[0]


@pytest.mark.parametrize("first", [1, 2])
@pytest.mark.parametrize("second", [2, 1])
def test_a_second_server_on_a_held_port_is_refused(first: int, second: int) -> None:
    """Before: a second --workers server bound with SO_REUSEPORT and took connections."""
    with serving.server("--insecure", "--workers", str(first), environ=serving.env()) as (
        proc,
        port,
    ):
        kids = procstat.children(proc.pid)
        line = _refused(_second_server(port, second), port)
        if second > 1:
            assert "already served by another function-ephemeral-cluster" in line
        assert procstat.children(proc.pid) == kids
        assert _call_many(port) == {f"w{i}" for i in range(6)}  # the first keeps serving
        assert proc.poll() is None


def test_a_foreign_reuseport_listener_keeps_workers_off_its_port() -> None:
    """Another program sharing its port with SO_REUSEPORT (same user) is not joined."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        line = _refused(_second_server(port, 2), port)
    assert "Address already in use" in line
