"""The CLI and server for real: a process on a free loopback port, gRPC calls, SIGTERM."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import fnreq as f
import grpc
import pytest
import serving
from click.testing import CliRunner
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from crossplane.function.proto.v1beta1 import run_function_pb2 as fnv1beta1
from crossplane.function.proto.v1beta1 import run_function_pb2_grpc as grpcv1beta1

from function import main
from scripts import procs


def _call(channel: grpc.Channel, tag: str = "tag-cli") -> str:
    stub = grpcv1.FunctionRunnerServiceStub(channel)
    rsp = stub.RunFunction(f.request(f.xr_v1(), tag=tag), timeout=10)
    assert "ec" in rsp.desired.resources
    return rsp.meta.tag


def _one_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("function-ephemeral-cluster: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server cert (localhost/127.0.0.1) and a client cert, made with openssl."""
    return serving.make_certs(tmp_path_factory.mktemp("certs"))


def _tls_channel(certs: Path, port: int, *, client_cert: bool = True) -> grpc.Channel:
    creds = grpc.ssl_channel_credentials(
        root_certificates=(certs / "ca.crt").read_bytes(),
        private_key=(certs / "client.key").read_bytes() if client_cert else None,
        certificate_chain=(certs / "client.crt").read_bytes() if client_cert else None,
    )
    return grpc.secure_channel(f"localhost:{port}", creds)


def test_help_lists_the_standard_flags_and_workers() -> None:
    result = CliRunner().invoke(main.cli, ["--help"])
    assert result.exit_code == 0
    for flag in (
        "--address",
        "--insecure",
        "--tls-certs-dir",
        "--debug",
        "--max-recv-message-size",
        "--workers",
    ):
        assert flag in result.output
    assert "0.0.0.0:9443" in result.output


def test_insecure_serves_v1_and_v1beta1_and_stops_on_sigterm() -> None:
    with serving.server("--insecure") as (proc, port):
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            assert _call(channel, "tag-plain") == "tag-plain"
            beta = grpcv1beta1.FunctionRunnerServiceStub(channel)
            rsp = beta.RunFunction(
                fnv1beta1.RunFunctionRequest(meta=fnv1beta1.RequestMeta(tag="beta")), timeout=10
            )
            assert rsp.meta.tag == "beta"
        started = time.monotonic()
        code, _, err = serving.stop(proc)
        assert code == 0, err
        assert time.monotonic() - started < 10
        assert "Traceback" not in err


def test_insecure_with_certs_dir_serves_plain_text_only(certs: Path) -> None:
    """The SDK would open a TLS and a plain listener on one port: plain calls must always work."""
    with serving.server("--insecure", "--tls-certs-dir", str(certs / "server")) as (proc, port):
        for i in range(10):
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                assert _call(channel, f"t{i}") == f"t{i}"
        with _tls_channel(certs, port) as channel, pytest.raises(grpc.RpcError):
            _call(channel)
        assert serving.stop(proc)[0] == 0


def test_mutual_tls(certs: Path) -> None:
    env = serving.env(TLS_SERVER_CERTS_DIR=str(certs / "server"))  # the env var Crossplane sets
    with serving.server(environ=env) as (proc, port):
        with _tls_channel(certs, port) as channel:
            assert _call(channel, "tag-tls") == "tag-tls"
        with _tls_channel(certs, port, client_cert=False) as channel, pytest.raises(grpc.RpcError):
            _call(channel)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel, pytest.raises(grpc.RpcError):
            _call(channel)
        assert serving.stop(proc)[0] == 0


def test_port_taken_by_another_process_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = serving.run_cli("--insecure", "--address", f"127.0.0.1:{port}")
    _one_line(result, "cannot listen", str(port))


def test_single_worker_does_not_share_a_port_with_another_server() -> None:
    """gRPC sets SO_REUSEPORT by default: a second server would silently share the port."""
    with serving.server("--insecure") as (proc, port):
        result = serving.run_cli("--insecure", "--address", f"127.0.0.1:{port}")
        _one_line(result, "cannot listen")
        assert serving.stop(proc)[0] == 0


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("missing-dir", "is not a readable directory"),
        ("no-ca", "ca.crt"),
        ("not-pem", "tls.key"),
    ],
)
def test_bad_cert_dir_is_one_line(tmp_path: Path, certs: Path, setup: str, needle: str) -> None:
    target = tmp_path / "certs"
    if setup != "missing-dir":
        shutil.copytree(certs / "server", target)
    if setup == "no-ca":
        (target / "ca.crt").unlink()
    if setup == "not-pem":
        (target / "tls.key").write_text("not a key\n")
    result = serving.run_cli(
        "--tls-certs-dir", str(target), "--address", f"127.0.0.1:{procs.free_port()}"
    )
    _one_line(result, needle)


def test_no_certs_and_not_insecure_is_one_line() -> None:
    _one_line(serving.run_cli("--address", f"127.0.0.1:{procs.free_port()}"), "--insecure")


def test_bad_flag_value_fails_before_serving() -> None:
    result = serving.run_cli("--insecure", "--workers", "0")
    assert result.returncode != 0
    assert "--workers" in result.stderr


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("nonsense", "has no port"),
        ("127.0.0.1", "has no port"),
        ("127.0.0.1:70000", "out of range 1-65535"),
        ("127.0.0.1:0", "out of range 1-65535"),
        ("127.0.0.1:http", "is not a number"),
        ("bad host!:9443", "is not an IP address or a host name"),
        ("::1:9443", "needs brackets"),
    ],
)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_malformed_address_is_a_usage_error(value: str, needle: str, workers: str) -> None:
    result = serving.run_cli("--insecure", "--workers", workers, "--address", value)
    assert result.returncode == 2, result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "'--address'" in error
    assert needle in error
    assert "int()" not in result.stderr
    assert "Traceback" not in result.stderr


def test_unresolvable_host_is_one_line() -> None:
    result = serving.run_cli("--insecure", "--address", f"no-such-host.invalid:{procs.free_port()}")
    _one_line(result, "cannot listen on no-such-host.invalid")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_key_of_another_certificate_says_so(tmp_path: Path, certs: Path, workers: str) -> None:
    target = tmp_path / "certs"
    shutil.copytree(certs / "server", target)
    shutil.copy(certs / "client.key", target / "tls.key")  # a valid key, not tls.crt's
    result = serving.run_cli(
        "--tls-certs-dir",
        str(target),
        "--workers",
        workers,
        "--address",
        f"127.0.0.1:{procs.free_port()}",
    )
    _one_line(result, "tls.key", "does not belong to tls.crt")
    assert "address in use" not in result.stderr
