"""The operator's log: a start-up line always, one line per call with --debug, no secrets,
no ANSI colour when the output is not a terminal (kubectl logs, a file)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator

import fnreq as f
import grpc
import pytest
import serving
import structlog
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

from function import calllog, fn

SECRETS = ("S3CR3T-T0KEN", "PaSsW0rd", "sha256~", "kubeadmin-")
ANSI = "\x1b["


def _ready_request(tag: str) -> fnv1.RunFunctionRequest:
    ec = f.ec_manifest(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="creds-x")
    creds = (
        f.credentials_object("creds-x", data=True),
        {"kubeconfig": f.KUBECONFIG, "kubeAdminPassword": f.PASSWORD},
    )
    return f.request(f.xr_v1(), {"ec": f.ec_object(ec), "credentials": creds}, tag=tag)


def _calls(port: int) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = grpcv1.FunctionRunnerServiceStub(channel)
        for _ in range(2):  # the second is answered from the cache
            rsp = stub.RunFunction(_ready_request("tag-ready"), timeout=20)
            assert rsp.desired.composite.connection_details["kubeconfig"] == f.KUBECONFIG
        bad = f.request(f.xr_v1(), fn_input={"bogus": 1}, tag="tag-bad\nforged line")
        assert stub.RunFunction(bad, timeout=20).results[0].severity == 1  # FATAL


def _no_secret(*texts: str) -> None:
    for text in texts:
        for fragment in SECRETS:
            assert fragment not in text
        assert f.KUBECONFIG.decode()[:40] not in text


def test_without_debug_one_json_start_up_line_and_no_call_lines() -> None:
    with serving.server("--insecure") as (proc, port):
        _calls(port)
        code, out, err = serving.stop(proc)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    [start] = [line for line in lines if line["msg"] == "serving"]
    assert start["address"] == f"127.0.0.1:{port}"
    assert start["transport"] == "insecure (plain text)"
    assert start["workers"] == 1
    assert start["version"] == calllog.version() != "unknown"
    assert start["level"] == "info"
    assert not [line for line in lines if line["msg"] == "call"]
    assert [line["msg"] for line in lines] == ["serving", "rejected request", "stopping", "stopped"]
    _no_secret(out, err)
    assert ANSI not in out + err


def _debug_lines(out: str) -> list[dict[str, str]]:
    """The key=value pairs of each `call` line of the console renderer."""
    calls = []
    for line in out.splitlines():
        if " call " not in line:
            continue
        pairs = dict(part.split("=", 1) for part in line.split() if "=" in part)
        calls.append(pairs)
    return calls


def test_debug_logs_one_line_per_call_without_secrets_or_colour() -> None:
    with serving.server("--insecure", "--debug") as (proc, port):
        _calls(port)
        code, out, err = serving.stop(proc)
    assert code == 0, err
    assert ANSI not in out + err
    _no_secret(out, err)
    assert len(out.splitlines()) == 6  # serving, 3 calls, stopping, stopped: nothing forged
    assert "tag='tag-bad?forged line'" in out
    start = next(line for line in out.splitlines() if " serving " in line)
    assert f"address=127.0.0.1:{port}" in start
    assert "workers=1" in start
    first, second, bad = _debug_lines(out)
    assert first == {
        **first,
        "tag": "tag-ready",
        "xr": f.XR_NAME,
        "phase": "Ready",
        "composed": "credentials,ec",
        "ttl": "300s",
        "cache": "miss",
        "fatal": "-",
    }
    assert (second["cache"], second["phase"]) == ("hit", "Ready")
    assert bad["tag"] == "'tag-bad?forged"  # quoted: the value has a space, not a newline
    assert bad["fatal"].startswith("input")
    assert bad["cache"] == "miss"


@pytest.mark.parametrize("workers", ["2"])
def test_workers_each_log_their_start_up_line(workers: str) -> None:
    with serving.server("--insecure", "--workers", workers) as (proc, port):
        _calls(port)
        code, out, err = serving.stop(proc)
    assert code == 0, err
    starts = [json.loads(line) for line in out.splitlines() if '"serving"' in line]
    assert len(starts) == 2
    assert {line["workers"] for line in starts} == {2}
    assert len({line["pid"] for line in starts}) == 2


def test_colour_only_on_a_terminal() -> None:
    """Same configuration, once into a pipe and once into a pseudo-terminal."""
    code = (
        "from function import calllog\n"
        "import structlog\n"
        "calllog.configure(debug=True)\n"
        "structlog.get_logger().info('hello', key='value')\n"
    )
    piped = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert "hello" in piped.stdout
    assert ANSI not in piped.stdout
    try:
        leader, follower = pty.openpty()
    except OSError as err:
        pytest.skip(f"no pseudo-terminal here: {err}")
    try:
        subprocess.run([sys.executable, "-c", code], stdout=follower, check=True, timeout=30)
        os.close(follower)
        follower = -1
        tty_out = os.read(leader, 65536).decode()
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert "hello" in tty_out
    assert ANSI in tty_out


def test_short_keeps_one_line_and_a_bounded_length() -> None:
    assert calllog.short("plain") == "plain"
    assert calllog.short("a\nb\x1b[31mc") == "a?b?[31mc"
    long = calllog.short("x" * 5000)
    assert long.startswith("x" * calllog.SHORT)
    assert long.endswith("(5000 chars)")
    assert len(long) < 100


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """calllog.configure changes process-wide structlog state: put it back afterwards."""
    saved = structlog.get_config()
    debug = calllog.debug_enabled()
    try:
        yield
    finally:
        structlog.configure(**saved)
        calllog._state["debug"] = debug


@pytest.mark.usefixtures("restore_logging")
def test_no_call_line_without_debug(capsys: pytest.CaptureFixture[str]) -> None:
    calllog.configure(debug=False)
    req = _ready_request("t")
    calllog.call(structlog.get_logger(), req, fn.compose(req), cache_hit=False)
    assert capsys.readouterr().out == ""
    calllog.configure(debug=True)
    calllog.call(structlog.get_logger(), req, fn.compose(req), cache_hit=False)
    assert "phase=Ready" in capsys.readouterr().out
