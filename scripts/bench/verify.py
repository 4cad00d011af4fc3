"""Every response is checked, so a broken function cannot look fast.

Each server kind has its own contract:
- `floor`: echoes the tag, no FATAL result;
- `copy-only` (the yardstick, `scripts.bench.copyonly`): exactly the request's observed `ec`
  and `credentials` as desired, without `status`, the XR's connection details equal to the
  observed `credentials` ones, and nothing else (no condition, result, requirement or
  readiness); checked against the request itself, field by field;
- `project`: the tag, no FATAL result, the `ec` Object in the desired state, and the
  readiness the scenario implies (Ready: credentials delivered and the XR not held unready;
  Provisioning: the XR held unready).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import struct_pb2

from scripts.bench.servers import BenchError

Kind = Literal["floor", "copy-only", "project"]
KINDS: tuple[Kind, ...] = ("floor", "copy-only", "project")
KUBECONFIG_KEY = "kubeconfig"
COPIED = ("ec", "credentials")


def _check_project(rsp: fnv1.RunFunctionResponse, scenario: str) -> str | None:
    if "ec" not in rsp.desired.resources:
        return "no `ec` in the desired resources"
    if scenario == "ready":
        if "credentials" not in rsp.desired.resources:
            return "Ready: no `credentials` Object in the desired resources"
        if KUBECONFIG_KEY not in rsp.desired.composite.connection_details:
            return "Ready: no kubeconfig in the XR connection details"
        if rsp.desired.composite.ready == fnv1.READY_FALSE:
            return "Ready: the XR is held unready"
    elif scenario == "provisioning" and rsp.desired.composite.ready != fnv1.READY_FALSE:
        return "Provisioning: the XR is not held unready"
    return None


def _without_status(observed: struct_pb2.Struct) -> struct_pb2.Struct:
    want = struct_pb2.Struct()
    want.CopyFrom(observed)
    if "status" in want:
        del want["status"]
    return want


def _check_copy(rsp: fnv1.RunFunctionResponse, req: fnv1.RunFunctionRequest) -> str | None:
    observed = req.observed.resources
    expected = [key for key in COPIED if key in observed]
    if sorted(rsp.desired.resources) != sorted(expected):
        return f"desired resources {sorted(rsp.desired.resources)}, observed {expected}"
    for key in expected:
        if rsp.desired.resources[key].resource != _without_status(observed[key].resource):
            return f"desired `{key}` is not the observed Object without its status"
    details = dict(observed["credentials"].connection_details) if "credentials" in observed else {}
    if dict(rsp.desired.composite.connection_details) != details:
        got = sorted(rsp.desired.composite.connection_details)
        return f"XR connection details {got}, observed credentials have {sorted(details)}"
    extra = [
        name
        for name, present in (
            ("conditions", bool(rsp.conditions)),
            ("results", bool(rsp.results)),
            ("requirements", rsp.HasField("requirements")),
            ("XR readiness", rsp.desired.composite.ready != fnv1.READY_UNSPECIFIED),
            ("XR fields", rsp.desired.composite.resource != req.desired.composite.resource),
        )
        if present
    ]
    return f"does more than copy: {', '.join(extra)}" if extra else None


def problem(
    data: bytes, tag: str, scenario: str, *, kind: Kind, request: bytes | None = None
) -> str | None:
    """What is wrong with one serialized response, or None when it is right.

    `request` (the serialized request) is needed for `copy-only`, whose answer is checked
    against what the request carried.
    """
    try:
        rsp = fnv1.RunFunctionResponse.FromString(data)
    except Exception as err:  # any decode failure is a wrong response
        return f"undecodable response ({type(err).__name__})"
    if rsp.meta.tag != tag:
        return f"tag {rsp.meta.tag!r}, sent {tag!r}"
    fatal = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]
    if fatal:
        return f"FATAL result: {fatal[0][:200]}"
    if kind == "project":
        return _check_project(rsp, scenario)
    if kind == "copy-only":
        if request is None:
            raise ValueError("checking a copy-only response needs the request it answers")
        return _check_copy(rsp, fnv1.RunFunctionRequest.FromString(request))
    return None


def check_all(
    server: str,
    responses: Sequence[bytes | BaseException | None],
    sent: Sequence[tuple[str, bytes]],
    scenario: str,
    *,
    kind: Kind,
) -> None:
    """Raise BenchError naming the first wrong response (or failed call) of a round.

    `sent` holds the (tag, request bytes) of each call, in the order of `responses`.
    """
    for index, (data, (tag, request)) in enumerate(zip(responses, sent, strict=True)):
        why: str | None
        if data is None:
            why = "no response recorded"
        elif isinstance(data, BaseException):
            why = f"call failed: {_describe(data)}"
        else:
            why = problem(data, tag, scenario, kind=kind, request=request)
        if why:
            raise BenchError(f"{server} {scenario} call {index} (tag {tag}): {why}")


def _describe(err: BaseException) -> str:
    code = getattr(err, "code", None)
    if callable(code):
        return f"{code()} {getattr(err, 'details', lambda: '')()}"
    return type(err).__name__
