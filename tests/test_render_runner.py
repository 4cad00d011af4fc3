"""Reaching Development-runtime functions over plain gRPC."""

from __future__ import annotations

import time

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import pytest

from scripts.render.errors import RenderError
from scripts.render.fakes import function_manifest, passthrough, serve_fake
from scripts.render.runner import FunctionClient, development_target


@pytest.mark.parametrize(
    ("function", "target"),
    [
        (function_manifest("fn"), "localhost:9443"),
        (function_manifest("fn", "dns:///example.org:7443"), "dns:///example.org:7443"),
    ],
)
def test_development_target(function, target):
    assert development_target(function) == target


@pytest.mark.parametrize(
    ("runtime", "message"),
    [
        ("", "uses the Docker runtime, which is not supported here"),
        ("Docker", "uses the Docker runtime, which is not supported here"),
        ("Podman", 'unsupported "render.crossplane.io/runtime" annotation value "Podman"'),
    ],
)
def test_other_runtimes_are_refused(runtime, message):
    with pytest.raises(RenderError, match=message):
        development_target(function_manifest("fn", runtime=runtime))


def deadline(seconds: float = 10.0) -> float:
    return time.monotonic() + seconds


@pytest.mark.parametrize("versions", [("v1",), ("v1beta1",), ("v1", "v1beta1")])
def test_run_reaches_v1_or_falls_back_to_v1beta1(versions):
    with serve_fake(passthrough, versions=versions) as fake:
        client = FunctionClient("fn", fake.target)
        req = fnv1.RunFunctionRequest()
        req.context.update({"k": "v"})
        rsp = client.run(req, deadline=deadline(), timeout=10)
        client.run(req, deadline=deadline(), timeout=10)  # the channel is reused
        client.close()
    assert dict(rsp.context) == {"k": "v"}
    assert len(fake.requests) == 2


def test_function_error_status_is_reported():
    def broken(_req):
        raise RuntimeError("kaput")

    with serve_fake(broken) as fake:
        client = FunctionClient("fn", fake.target)
        with pytest.raises(RenderError, match=r'Function "fn" at 127\.0\.0\.1:\d+ failed: UNKNOWN'):
            client.run(fnv1.RunFunctionRequest(), deadline=deadline(), timeout=10)
        client.close()


def test_refused_connection_fails_fast():
    client = FunctionClient("fn", "127.0.0.1:1")
    started = time.monotonic()
    with pytest.raises(RenderError, match=r'cannot connect to Function "fn" at 127\.0\.0\.1:1'):
        client.run(fnv1.RunFunctionRequest(), deadline=deadline(60), timeout=60)
    assert time.monotonic() - started < 5


def test_expired_deadline_is_a_timeout():
    with serve_fake(passthrough) as fake:
        client = FunctionClient("fn", fake.target)
        with pytest.raises(RenderError, match=r"render timed out after 1s \(--timeout\)"):
            client.run(fnv1.RunFunctionRequest(), deadline=time.monotonic() - 1, timeout=1)
        client.close()
