"""The copy-only yardstick: what it returns, and that the verifier catches a wrong copy.

The budget's CPU and p99 lines are held against this function, so a copy-only that did less
than copy (returned nothing, dropped `credentials` or the connection details) would make the
project look slow, and one that did more (status, conditions) would make it look fast.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from crossplane.function import response
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import json_format, struct_pb2

from function import fn
from scripts.bench import copyonly, load, payloads, servers, verify
from scripts.bench.servers import BenchError

Variant = Callable[[fnv1.RunFunctionRequest], fnv1.RunFunctionResponse]


def _sent(scenario: str, count: int = 1) -> list[tuple[str, bytes]]:
    stream = payloads.Stream(scenario, fleet=3)
    return [stream.next() for _ in range(count)]


def _answer(data: bytes) -> fnv1.RunFunctionResponse:
    req = fnv1.RunFunctionRequest.FromString(data)
    return asyncio.run(copyonly.CopyOnlyRunner().RunFunction(req))


def _as_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


@pytest.mark.parametrize("scenario", payloads.SCENARIOS)
def test_copy_only_returns_the_observed_objects_and_connection_details(scenario: str) -> None:
    [(tag, data)] = _sent(scenario)
    req = fnv1.RunFunctionRequest.FromString(data)
    rsp = _answer(data)
    assert rsp.meta.tag == tag
    copied = {"ec", "credentials"} if scenario == "ready" else {"ec"}
    assert set(rsp.desired.resources) == copied
    for key in copied:
        got = _as_dict(rsp.desired.resources[key].resource)
        seen = _as_dict(req.observed.resources[key].resource)
        assert "status" in seen
        assert "status" not in got  # never applied to a desired composed resource
        assert got == {k: v for k, v in seen.items() if k != "status"}
        assert got["spec"] == seen["spec"]  # the whole manifest, ciOperator and all
    details = dict(rsp.desired.composite.connection_details)
    if scenario == "ready":
        assert details == {
            "kubeconfig": payloads.KUBECONFIG,
            "kubeAdminPassword": payloads.PASSWORD,
        }
    else:
        assert details == {}
    assert not rsp.conditions
    assert not rsp.results
    assert rsp.desired.composite.ready == fnv1.READY_UNSPECIFIED
    assert (
        verify.problem(rsp.SerializeToString(), tag, scenario, kind="copy-only", request=data)
        is None
    )


# --- deliberately wrong copy-only functions, each caught by the verifier ---------------------


def _nothing(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    return response.to(req)


def _ec_only(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    rsp = copyonly.copy_only(req)
    del rsp.desired.resources["credentials"]
    rsp.desired.composite.connection_details.clear()
    return rsp


def _with_status(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    rsp = copyonly.copy_only(req)
    for key, res in rsp.desired.resources.items():
        res.resource.CopyFrom(req.observed.resources[key].resource)
    return rsp


def _no_details(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    rsp = copyonly.copy_only(req)
    rsp.desired.composite.connection_details.clear()
    return rsp


def _kubeconfig_only(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    rsp = copyonly.copy_only(req)
    del rsp.desired.composite.connection_details["kubeAdminPassword"]
    return rsp


def _another_xr(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    other = fnv1.RunFunctionRequest.FromString(_sent("ready", 2)[1][1])  # another XR's Objects
    rsp = copyonly.copy_only(other)
    rsp.meta.tag = req.meta.tag
    return rsp


def _held_unready(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    rsp = copyonly.copy_only(req)
    rsp.desired.composite.ready = fnv1.READY_FALSE
    return rsp


def _project(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    return fn.compose(req)


WRONG: dict[str, tuple[Variant, str]] = {
    "returns nothing": (_nothing, "desired resources"),
    "copies ec only": (_ec_only, "desired resources"),
    "keeps the status": (_with_status, "without its status"),
    "no connection details": (_no_details, "connection details"),
    "one connection detail": (_kubeconfig_only, "connection details"),
    "another XR's Objects": (_another_xr, "is not the observed Object"),
    "holds the XR unready": (_held_unready, "does more than copy: XR readiness"),
    "the project itself": (_project, "is not the observed Object"),
}


@pytest.mark.parametrize("name", WRONG)
def test_a_wrong_copy_only_is_caught(name: str) -> None:
    variant, why = WRONG[name]
    [(tag, data)] = _sent("ready")
    wrong = variant(fnv1.RunFunctionRequest.FromString(data)).SerializeToString()
    problem = verify.problem(wrong, tag, "ready", kind="copy-only", request=data)
    assert problem is not None
    assert why in problem
    with pytest.raises(BenchError, match=rf"copy-only ready call 0 \(tag {tag}\): .*{why}"):
        verify.check_all("copy-only", [wrong], [(tag, data)], "ready", kind="copy-only")


@pytest.mark.parametrize("variant", [_nothing, _with_status, _held_unready])
def test_a_wrong_copy_only_is_caught_while_provisioning(variant: Variant) -> None:
    [(tag, data)] = _sent("provisioning")
    wrong = variant(fnv1.RunFunctionRequest.FromString(data)).SerializeToString()
    assert verify.problem(wrong, tag, "provisioning", kind="copy-only", request=data)


def test_checking_a_copy_needs_the_request() -> None:
    [(tag, data)] = _sent("ready")
    with pytest.raises(ValueError, match="needs the request"):
        verify.problem(_answer(data).SerializeToString(), tag, "ready", kind="copy-only")


def test_copy_only_is_served_by_the_project_serving_code(tmp_path: Path) -> None:
    sent = _sent("ready", 5)
    with servers.running("copy-only", servers.COPY_ONLY, sent[0][1], log_dir=tmp_path) as server:
        chan = load.channel(server.target)
        try:
            batch = load.batch([load.multicallable(chan)], sent, 2)
        finally:
            chan.close()
        verify.check_all(server.name, batch.responses, sent, "ready", kind="copy-only")
    assert server.proc.returncode == 0  # stopped by PID, drained like the project
    assert server.log is not None
    lines = [json.loads(line) for line in server.log.read_text().splitlines()]
    # function.server's own start-up and graceful-stop lines: the same serving code.
    assert [line["msg"] for line in lines] == ["serving", "stopping", "stopped"]
    assert lines[0]["filename"] == "calllog.py"
