"""Starting a function for the duration of a render, and routing Functions to it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import crossplane.function.proto.v1.run_function_pb2_grpc as grpcv1
import grpc
import pytest

from scripts.render.errors import RenderError
from scripts.render.fakes import function_manifest
from scripts.render.launcher import (
    FunctionProcess,
    default_command,
    is_project_function,
    route_to,
    running_function,
)

ROOT = Path(__file__).resolve().parent.parent
FAKE = [sys.executable, "-m", "scripts.render.fakes"]
TARGET = "render.crossplane.io/runtime-development-target"


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def call(address: str, tag: str = "t") -> fnv1.RunFunctionResponse:
    with grpc.insecure_channel(address) as channel:
        req = fnv1.RunFunctionRequest(meta=fnv1.RequestMeta(tag=tag))
        return grpcv1.FunctionRunnerServiceStub(channel).RunFunction(req, timeout=10)


def test_running_function_serves_on_loopback_and_is_stopped(tmp_path):
    pidfile = tmp_path / "pid"
    with running_function(FAKE, env={"FAKE_FUNCTION_PIDFILE": str(pidfile)}) as address:
        assert address.startswith("127.0.0.1:")
        assert "probe" in call(address).desired.resources
        pid = int(pidfile.read_text())
        assert not gone(pid)
    assert gone(pid)


def test_process_that_dies_during_startup_reports_its_output():
    crash = [
        sys.executable,
        "-c",
        "import sys; print('cannot bind: port taken', file=sys.stderr); sys.exit(3)",
    ]
    with pytest.raises(RenderError) as err, running_function(crash):
        pass
    assert "exited with code 3 during startup" in str(err.value)
    assert "cannot bind: port taken" in str(err.value)


def test_process_that_never_listens_times_out_and_is_killed(tmp_path):
    pidfile = tmp_path / "pid"
    sleeper = [
        sys.executable,
        "-c",
        "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)",
        str(pidfile),
    ]
    started = time.monotonic()
    with (
        pytest.raises(RenderError, match=r"did not become ready within 0.5s"),
        running_function(sleeper, startup_timeout=0.5),
    ):
        pass
    assert time.monotonic() - started < 10
    assert gone(int(pidfile.read_text()))


def test_missing_command_is_a_clear_error():
    with (
        pytest.raises(RenderError, match="cannot start the function"),
        running_function(["/nonexistent/function-binary"]),
    ):
        pass


def test_killed_function_restarts_on_the_same_port_and_keeps_its_output(tmp_path):
    pidfile = tmp_path / "pid"
    env = {"FAKE_FUNCTION_PIDFILE": str(pidfile)}
    command = [*FAKE, "--banner", "fake started"]
    with FunctionProcess(command, env=env) as fn:
        first = int(pidfile.read_text())
        assert fn.pid == first
        fn.kill()  # SIGKILL: no graceful shutdown, like a crashed pod
        assert gone(first)
        assert fn.pid is None
        with pytest.raises(grpc.RpcError):
            call(fn.address)
        assert fn.start() == fn.address
        second = int(pidfile.read_text())
        assert second != first
        assert "probe" in call(fn.address).desired.resources
        assert fn.output().count("fake started") == 2
    assert gone(second)


def test_function_process_that_fails_to_start_is_stopped_and_closed():
    crash = [sys.executable, "-c", "import sys; sys.exit(4)"]
    fn = FunctionProcess(crash)
    with pytest.raises(RenderError, match="exited with code 4"), fn:
        pass
    assert fn.pid is None
    assert fn.output() == ""


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (function_manifest("function-ephemeral-cluster"), True),
        (
            {
                **function_manifest("renamed"),
                "spec": {"package": "quay.io/org/function-ephemeral-cluster:v0.1.0"},
            },
            True,
        ),
        (
            {
                **function_manifest("renamed"),
                "spec": {"package": "quay.io/org/function-ephemeral-cluster@sha256:abc"},
            },
            True,
        ),
        (function_manifest("function-auto-ready"), False),
    ],
)
def test_is_project_function(function, expected):
    assert is_project_function(function) is expected


def test_route_to_changes_only_this_projects_development_functions():
    ours = function_manifest("function-ephemeral-cluster", "localhost:9443")
    other = function_manifest("function-auto-ready", "localhost:9444")
    routed = route_to([ours, other], "127.0.0.1:5555")
    assert routed[0]["metadata"]["annotations"][TARGET] == "127.0.0.1:5555"
    assert routed[1] == other
    assert ours["metadata"]["annotations"][TARGET] == "localhost:9443"  # input untouched


@pytest.mark.parametrize(
    "functions",
    [
        [function_manifest("function-auto-ready")],
        [function_manifest("function-ephemeral-cluster", runtime="Docker")],
    ],
)
def test_route_to_refuses_when_nothing_matches(functions):
    with pytest.raises(RenderError, match="--start-function: no Function named"):
        route_to(functions, "127.0.0.1:1")


# The real project function ------------------------------------------------------------------

needs_function = pytest.mark.skipif(
    not (ROOT / "function" / "fn.py").is_file(),
    reason="function/fn.py is not there yet: the project function cannot be started",
)


@needs_function
def test_default_command_starts_the_project_function():
    assert default_command()
    with running_function() as address:
        rsp = call(address, tag="render-tag")
    assert rsp.meta.tag == "render-tag"
