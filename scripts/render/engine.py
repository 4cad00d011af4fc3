"""Render an XR through a Composition's function pipeline, following `crossplane render` v2.2.

The rules (numbered as in CROSSPLANE.md): 1 Composition checks, 2 observed state, 3 the
requirements loop and context passing, 4 FATAL results and Result documents, 5 composed
metadata (``composed.py``), 6 the XR and its Ready condition (``xr.py``), 7 output
(``output.py``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence

import crossplane.function.proto.v1.run_function_pb2 as fnv1
from google.protobuf import struct_pb2 as structpb

from scripts.render import requirements
from scripts.render.composed import render_composed, resource_name
from scripts.render.composition import check_composition
from scripts.render.errors import RenderError
from scripts.render.loading import decode_secret_data, describe
from scripts.render.output import (
    RENDER_API_VERSION,
    Rendered,
    documents,
    dump_yaml,
    from_struct,
    to_struct,
)
from scripts.render.runner import FunctionClient, development_target
from scripts.render.xr import from_proto, render_xr
from scripts.render.xrd import apply_xrd_defaults

__all__ = ["RenderError", "Rendered", "documents", "dump_yaml", "render"]

#: What `crossplane render` v2.2.4 advertises: xfn.SupportedCapabilities()
#: (crossplane/crossplane v2.2.4, internal/xfn/capabilities.go; cmd/crank/render/render.go).
CAPABILITIES = (
    fnv1.CAPABILITY_CAPABILITIES,
    fnv1.CAPABILITY_REQUIRED_RESOURCES,
    fnv1.CAPABILITY_CREDENTIALS,
    fnv1.CAPABILITY_CONDITIONS,
    fnv1.CAPABILITY_REQUIRED_SCHEMAS,
)


def observed_by_name(observed: Sequence[Mapping]) -> dict[str, dict]:
    """Rule 2: observed composed resources keyed by composition-resource-name."""
    out: dict[str, dict] = {}
    for resource in observed:
        name = resource_name(resource)
        if not name:
            raise RenderError(
                f"observed resource {describe(resource)} has no "
                "crossplane.io/composition-resource-name annotation"
            )
        out[name] = dict(resource)
    return out


def _credentials(step: Mapping, secrets: Sequence[Mapping]) -> dict[str, dict[str, bytes]]:
    out: dict[str, dict[str, bytes]] = {}
    for cred in step.get("credentials") or []:
        ref = cred.get("secretRef")
        if cred.get("source") != "Secret" or not ref:
            continue
        for secret in secrets:
            meta = secret.get("metadata") or {}
            if meta.get("name") == ref.get("name") and meta.get("namespace", "") == ref.get(
                "namespace", ""
            ):
                out[cred.get("name", "")] = decode_secret_data(secret)
                break
        else:
            raise RenderError(
                f'cannot run pipeline step "{step["step"]}": cannot get credentials from secret '
                f'"{ref.get("name")}": secret not found in --function-credentials'
            )
    return out


def _request(
    step: Mapping,
    *,
    observed: fnv1.State,
    desired: fnv1.State,
    context: structpb.Struct | None,
    required: Sequence[dict],
    secrets: Sequence[Mapping],
) -> fnv1.RunFunctionRequest:
    req = fnv1.RunFunctionRequest(observed=observed, desired=desired)
    req.meta.capabilities.extend(CAPABILITIES)
    if context is not None:
        req.context.CopyFrom(context)
    if step.get("input") is not None:
        req.input.CopyFrom(to_struct(step["input"]))
    for name, data in _credentials(step, secrets).items():
        req.credentials[name].credential_data.data.update(data)
    for spec in (step.get("requirements") or {}).get("requiredResources") or []:
        selector = requirements.bootstrap_selector(spec)
        entry = req.required_resources[str(spec.get("requirementName", ""))]
        for resource in requirements.select(selector, required):
            entry.items.add(resource=to_struct(resource))
    return req


def _call(
    client: FunctionClient,
    req: fnv1.RunFunctionRequest,
    required: Sequence[dict],
    *,
    deadline: float,
    timeout: float,
) -> tuple[fnv1.RunFunctionResponse, int]:
    """Rule 3: call until the requirements stop changing (at most MAX_CALLS calls)."""
    previous: fnv1.Requirements | None = None
    for calls in range(1, requirements.MAX_CALLS + 1):
        rsp = client.run(req, deadline=deadline, timeout=timeout)
        if any(r.severity == fnv1.SEVERITY_FATAL for r in rsp.results):
            return rsp, calls
        current = rsp.requirements if rsp.HasField("requirements") else None
        if current == previous:
            return rsp, calls
        previous = current
        wanted = current or fnv1.Requirements()
        requirements.fill(req.required_resources, wanted.resources, required)
        requirements.fill(req.extra_resources, wanted.extra_resources, required)
        requirements.fill_schemas(req.required_schemas, wanted.schemas)
        if rsp.HasField("context"):
            req.context.CopyFrom(rsp.context)
        else:
            req.ClearField("context")
    raise RenderError(
        f"requirements didn't stabilize after {requirements.MAX_CALLS} calls "
        f"(the maximum of {requirements.MAX_CALLS - 1} iterations)"
    )


def _clients(functions: Sequence[Mapping]) -> dict[str, FunctionClient]:
    clients: dict[str, FunctionClient] = {}
    for fn in functions:
        name = (fn.get("metadata") or {}).get("name", "")
        clients[name] = FunctionClient(name, development_target(fn))
    return clients


def render(
    *,
    xr: dict,
    composition: dict,
    functions: list[dict],
    observed: Sequence[dict] = (),
    required: Sequence[dict] = (),
    context: dict | None = None,
    function_credentials: Sequence[dict] = (),
    xrd: dict | None = None,
    timeout: float = 60.0,
    include_full_xr: bool = False,
) -> Rendered:
    """Run the pipeline once and return the rendered XR, composed resources, results, context."""
    deadline = time.monotonic() + timeout
    steps = check_composition(xr, composition)
    if xrd is not None:
        xr = apply_xrd_defaults(xr, xrd)
    seen = observed_by_name(observed)
    clients = _clients(functions)
    required = list(required)
    state = fnv1.State(composite=fnv1.Resource(resource=to_struct(xr)))
    for name, resource in seen.items():
        state.resources[name].resource.CopyFrom(to_struct(resource))
    desired = fnv1.State()
    fctx: structpb.Struct | None = to_struct(copy.deepcopy(context or {}))
    results: list[dict] = []
    conditions: list[dict] = []
    try:
        for step in steps:
            name = step["step"]
            fn_name = step["functionRef"]["name"]
            client = clients.get(fn_name)
            if client is None:
                raise RenderError(
                    f'cannot run pipeline step "{name}": unknown Function "{fn_name}" - does it '
                    "exist in your Functions file?"
                )
            req = _request(
                step,
                observed=state,
                desired=desired,
                context=fctx,
                required=required,
                secrets=function_credentials,
            )
            try:
                rsp, _ = _call(client, req, required, deadline=deadline, timeout=timeout)
            except RenderError as exc:
                raise RenderError(f'cannot run pipeline step "{name}": {exc}') from None
            desired = rsp.desired
            fctx = rsp.context if rsp.HasField("context") else None
            conditions.extend(from_proto(c) for c in rsp.conditions)
            for result in rsp.results:
                if result.severity == fnv1.SEVERITY_FATAL:
                    raise RenderError(
                        f'pipeline step "{name}" returned a fatal result: {result.message}'
                    )
                results.append(
                    {
                        "apiVersion": RENDER_API_VERSION,
                        "kind": "Result",
                        "step": name,
                        "severity": fnv1.Severity.Name(result.severity),
                        "message": result.message,
                    }
                )
    finally:
        for client in clients.values():
            client.close()
    return _output(
        desired,
        xr,
        seen=seen,
        results=results,
        conditions=conditions,
        fctx=fctx,
        include_full_xr=include_full_xr,
    )


def _output(
    desired: fnv1.State,
    xr: dict,
    *,
    seen: Mapping[str, dict],
    results: list[dict],
    conditions: list[dict],
    fctx: structpb.Struct | None,
    include_full_xr: bool,
) -> Rendered:
    """Rules 5 and 6 on the final desired state; connection details are not printed."""
    resources = {name: from_struct(r.resource) for name, r in desired.resources.items()}
    unready = [name for name, r in desired.resources.items() if r.ready != fnv1.READY_TRUE]
    composite = desired.composite
    rendered_xr = render_xr(
        from_struct(composite.resource) if composite.HasField("resource") else {},
        xr,
        composite_ready=composite.ready,
        unready=unready,
        conditions=conditions,
        include_full_xr=include_full_xr,
    )
    return Rendered(
        xr=rendered_xr,
        resources=render_composed(resources, xr, seen),
        results=results,
        context=from_struct(fctx) if fctx is not None else None,
    )
