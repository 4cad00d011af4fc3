"""Every response is checked, so a broken function cannot look fast.

The project must answer with the tag it was sent, no FATAL result, the `ec` Object in the
desired state, and the readiness the scenario implies (Ready: credentials delivered and the
XR not held unready; Provisioning: the XR held unready). The floor only has to echo the tag.
"""

from __future__ import annotations

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from scripts.bench.servers import BenchError

KUBECONFIG_KEY = "kubeconfig"


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


def problem(data: bytes, tag: str, scenario: str, *, project: bool) -> str | None:
    """What is wrong with one serialized response, or None when it is right."""
    try:
        rsp = fnv1.RunFunctionResponse.FromString(data)
    except Exception as err:  # any decode failure is a wrong response
        return f"undecodable response ({type(err).__name__})"
    if rsp.meta.tag != tag:
        return f"tag {rsp.meta.tag!r}, sent {tag!r}"
    fatal = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]
    if fatal:
        return f"FATAL result: {fatal[0][:200]}"
    return _check_project(rsp, scenario) if project else None


def check_all(
    server: str,
    responses: list[bytes | BaseException | None],
    tags: list[str],
    scenario: str,
    *,
    project: bool,
) -> None:
    """Raise BenchError naming the first wrong response (or failed call) of a round."""
    for index, (data, tag) in enumerate(zip(responses, tags, strict=True)):
        if data is None:
            why = "no response recorded"
        elif isinstance(data, BaseException):
            why = f"call failed: {_describe(data)}"
        else:
            why = problem(data, tag, scenario, project=project)
        if why:
            raise BenchError(f"{server} {scenario} call {index} (tag {tag}): {why}")


def _describe(err: BaseException) -> str:
    code = getattr(err, "code", None)
    if callable(code):
        return f"{code()} {getattr(err, 'details', lambda: '')()}"
    return type(err).__name__
