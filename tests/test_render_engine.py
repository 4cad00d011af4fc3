"""The render pipeline (rules 1-4 and 6 of CROSSPLANE.md) against fake functions over gRPC."""

from __future__ import annotations

import base64
import time

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import pytest
from crossplane.function import resource
from google.protobuf import json_format
from render_helpers import spec_xrd

from scripts.render.engine import RenderError, render
from scripts.render.fakes import (
    composition_manifest,
    function_manifest,
    passthrough,
    serve_fake,
    xr_manifest,
)

UNREACHABLE = "127.0.0.1:1"
ENV = {
    "apiVersion": "apiextensions.crossplane.io/v1beta1",
    "kind": "EnvironmentConfig",
    "metadata": {"name": "envcfg"},
    "data": {"clusterName": "kflux-prd"},
}


def plain(struct) -> dict:
    return json_format.MessageToDict(struct)


def one_step_render(handler, **kwargs):
    with serve_fake(handler) as fake:
        rendered = render(
            xr=kwargs.pop("xr", xr_manifest()),
            composition=composition_manifest(("s1", "fn")),
            functions=[function_manifest("fn", fake.target)],
            **kwargs,
        )
    return rendered, fake.requests


# Rule 1 (details in test_render_composition.py) ---------------------------------------------


def test_composition_is_checked_before_any_function_is_called():
    comp = composition_manifest(("s1", "fn"))
    comp["spec"]["mode"] = "Resources"
    with pytest.raises(RenderError, match=r"must use spec\.mode: Pipeline"):
        render(xr=xr_manifest(), composition=comp, functions=[function_manifest("fn", UNREACHABLE)])


# Rule 2 -------------------------------------------------------------------------------------


def _observed(name: str, key: str) -> dict:
    return {
        "apiVersion": "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": {
            "name": name,
            "annotations": {"crossplane.io/composition-resource-name": key},
        },
        "status": {"atProvider": {"manifest": {"replicas": 3}}},
    }


def test_request_carries_xr_observed_resources_empty_desired_and_input():
    xr = xr_manifest(spec={"releases": {"initial": {"relative": 1}}})
    comp = composition_manifest(
        {"step": "s1", "functionRef": {"name": "fn"}, "input": {"kind": "Input", "n": 2}}
    )
    observed = [_observed("managed-x1", "ec"), _observed("credentials-x1", "credentials")]
    with serve_fake(passthrough) as fake:
        render(
            xr=xr,
            composition=comp,
            functions=[function_manifest("fn", fake.target)],
            observed=observed,
        )
    (req,) = fake.requests
    assert plain(req.observed.composite.resource) == {
        **xr,
        "spec": {"releases": {"initial": {"relative": 1.0}}},
    }
    assert sorted(req.observed.resources) == ["credentials", "ec"]
    assert plain(req.observed.resources["ec"].resource)["metadata"]["name"] == "managed-x1"
    assert req.HasField("desired")
    assert not req.desired.resources
    assert not req.desired.HasField("composite")
    assert plain(req.input) == {"kind": "Input", "n": 2.0}
    # crossplane render v2.2.4 sends xfn.SupportedCapabilities() (internal/xfn/capabilities.go).
    assert list(req.meta.capabilities) == [
        fnv1.CAPABILITY_CAPABILITIES,
        fnv1.CAPABILITY_REQUIRED_RESOURCES,
        fnv1.CAPABILITY_CREDENTIALS,
        fnv1.CAPABILITY_CONDITIONS,
        fnv1.CAPABILITY_REQUIRED_SCHEMAS,
    ]


def test_required_schemas_are_answered_empty():
    """No --required-schemas here: every requested schema comes back empty ("not found"), as
    crossplane render answers one it was not given."""

    def wants_schema(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
        rsp = passthrough(req)
        rsp.requirements.schemas["xr"].api_version = "example.org/v1"
        rsp.requirements.schemas["xr"].kind = "XR"
        return rsp

    _, requests = one_step_render(wants_schema)
    assert len(requests) == 2
    assert "xr" not in requests[0].required_schemas
    assert requests[1].required_schemas["xr"] == fnv1.Schema()


def test_observed_resource_without_annotation_is_rejected():
    bad = _observed("x", "ec")
    del bad["metadata"]["annotations"]
    with pytest.raises(
        RenderError, match=r"Object/x has no crossplane\.io/composition-resource-name"
    ):
        render(
            xr=xr_manifest(),
            composition=composition_manifest(("s1", "fn")),
            functions=[function_manifest("fn", UNREACHABLE)],
            observed=[bad],
        )


# Desired state and context between steps ----------------------------------------------------


def _adds(key: str, ctx_key: str):
    def handler(req):
        rsp = fnv1.RunFunctionResponse(desired=req.desired, context=req.context)
        resource.update(rsp.desired.resources[key], {"apiVersion": "v1", "kind": "ConfigMap"})
        rsp.context.update({ctx_key: key})
        return rsp

    return handler


def test_desired_and_context_flow_from_step_to_step():
    with serve_fake(_adds("a", "first")) as one, serve_fake(_adds("b", "second")) as two:
        out = render(
            xr=xr_manifest(),
            composition=composition_manifest(("s1", "one"), ("s2", "two")),
            functions=[function_manifest("one", one.target), function_manifest("two", two.target)],
            context={"apiextensions.crossplane.io/environment": {"x": 1}},
        )
    assert plain(one.requests[0].context) == {"apiextensions.crossplane.io/environment": {"x": 1.0}}
    assert sorted(two.requests[0].desired.resources) == ["a"]
    assert plain(two.requests[0].context)["first"] == "a"
    assert [
        r["metadata"]["annotations"]["crossplane.io/composition-resource-name"]
        for r in out.resources
    ] == ["a", "b"]
    assert out.context == {
        "apiextensions.crossplane.io/environment": {"x": 1},
        "first": "a",
        "second": "b",
    }


def test_context_is_none_when_the_last_step_returns_none():
    out, _ = one_step_render(lambda req: fnv1.RunFunctionResponse(desired=req.desired))
    assert out.context is None


# Rule 3: requirements -----------------------------------------------------------------------


def _requires(
    *, field: str = "resources", name: str = "envcfg", changing: bool = False, settle: int = 0
):
    def handler(req):
        rsp = fnv1.RunFunctionResponse(desired=req.desired, context=req.context)
        calls = int(req.context["calls"]) + 1 if "calls" in req.context else 1
        rsp.context.update({"calls": calls})
        selector = getattr(rsp.requirements, field)["env"]
        selector.api_version = "apiextensions.crossplane.io/v1beta1"
        selector.kind = "EnvironmentConfig"
        if settle:
            selector.match_name = f"{name}-{min(calls, settle)}"
        else:
            selector.match_name = f"{name}-{calls}" if changing else name
        return rsp

    return handler


@pytest.mark.parametrize(
    ("handler", "calls", "field"),
    [
        (passthrough, 1, None),
        (_requires(), 2, "required_resources"),
        (_requires(field="extra_resources"), 2, "extra_resources"),
    ],
)
def test_requirements_loop_calls_again_until_stable(handler, calls, field):
    out, requests = one_step_render(handler, required=[ENV])
    assert len(requests) == calls
    if field:
        assert not getattr(requests[0], field)
        (item,) = getattr(requests[1], field)["env"].items
        assert plain(item.resource)["data"] == {"clusterName": "kflux-prd"}
        # The second call carries the context the first call returned.
        assert plain(requests[1].context) == {"calls": 1.0}
        assert out.context == {"calls": 2}


def test_missing_required_resource_is_an_empty_entry():
    _, requests = one_step_render(_requires(name="absent"), required=[ENV])
    assert len(requests) == 2
    assert "env" in requests[1].required_resources
    assert not requests[1].required_resources["env"].items


def test_requirements_that_never_settle_fail_after_six_calls():
    with pytest.raises(RenderError, match=r'pipeline step "s1": requirements didn.t stabilize'):
        one_step_render(_requires(changing=True), required=[ENV])


def test_requirements_may_change_five_times_and_settle_on_the_sixth_call():
    out, requests = one_step_render(_requires(settle=5), required=[ENV])
    assert len(requests) == 6
    assert out.context == {"calls": 6}


def test_bootstrap_requirements_of_a_step_are_sent_on_the_first_call():
    comp = composition_manifest(
        {
            "step": "s1",
            "functionRef": {"name": "fn"},
            "requirements": {
                "requiredResources": [
                    {
                        "requirementName": "env",
                        "apiVersion": "apiextensions.crossplane.io/v1beta1",
                        "kind": "EnvironmentConfig",
                        "name": "envcfg",
                    }
                ]
            },
        }
    )
    with serve_fake(passthrough) as fake:
        render(
            xr=xr_manifest(),
            composition=comp,
            functions=[function_manifest("fn", fake.target)],
            required=[ENV],
        )
    assert len(fake.requests[0].required_resources["env"].items) == 1


# Rule 4: results ----------------------------------------------------------------------------


def _results(*severities: int):
    def handler(req):
        rsp = passthrough(req)
        for index, severity in enumerate(severities):
            rsp.results.add(severity=severity, message=f"m{index}", reason="R")
        return rsp

    return handler


def test_results_become_documents_in_order():
    normal, warning = fnv1.SEVERITY_NORMAL, fnv1.SEVERITY_WARNING
    with serve_fake(_results(normal, warning)) as one, serve_fake(_results(normal)) as two:
        out = render(
            xr=xr_manifest(),
            composition=composition_manifest(("s1", "one"), ("s2", "two")),
            functions=[function_manifest("one", one.target), function_manifest("two", two.target)],
        )
    assert out.results == [
        {
            "apiVersion": "render.crossplane.io/v1beta1",
            "kind": "Result",
            "step": step,
            "severity": severity,
            "message": message,
        }
        for step, severity, message in [
            ("s1", "SEVERITY_NORMAL", "m0"),
            ("s1", "SEVERITY_WARNING", "m1"),
            ("s2", "SEVERITY_NORMAL", "m0"),
        ]
    ]


def test_fatal_result_fails_naming_the_step_and_stops_the_pipeline():
    fatal = _results(fnv1.SEVERITY_NORMAL, fnv1.SEVERITY_FATAL)
    with (
        serve_fake(passthrough) as one,
        serve_fake(fatal) as two,
        serve_fake(passthrough) as three,
        pytest.raises(RenderError) as err,
    ):
        render(
            xr=xr_manifest(),
            composition=composition_manifest(("s1", "one"), ("boom", "two"), ("s3", "three")),
            functions=[
                function_manifest("one", one.target),
                function_manifest("two", two.target),
                function_manifest("three", three.target),
            ],
        )
    assert str(err.value) == 'pipeline step "boom" returned a fatal result: m1'
    assert len(two.requests) == 1  # no requirements loop after a fatal result
    assert not three.requests


# Rule 6: conditions from functions ----------------------------------------------------------


def test_function_conditions_follow_ready_and_system_types_are_dropped():
    def handler(req):
        rsp = passthrough(req)
        rsp.conditions.add(type="Ready", status=fnv1.STATUS_CONDITION_FALSE, reason="Nope")
        rsp.conditions.add(type="Synced", status=fnv1.STATUS_CONDITION_FALSE, reason="Nope")
        rsp.conditions.add(type="Healthy", status=fnv1.STATUS_CONDITION_FALSE, reason="Nope")
        rsp.conditions.add(
            type="ClusterReady", status=fnv1.STATUS_CONDITION_TRUE, reason="Up", message="ok"
        )
        rsp.conditions.add(type="Other", status=fnv1.STATUS_CONDITION_UNSPECIFIED, reason="X")
        return rsp

    out, _ = one_step_render(handler)
    assert out.xr["status"]["conditions"] == [
        {
            "type": "Ready",
            "status": "True",
            "reason": "Available",
            "lastTransitionTime": "2024-01-01T00:00:00Z",
        },
        {
            "type": "ClusterReady",
            "status": "True",
            "reason": "Up",
            "message": "ok",
            "lastTransitionTime": "2024-01-01T00:00:00Z",
        },
        {
            "type": "Other",
            "status": "Unknown",
            "reason": "X",
            "lastTransitionTime": "2024-01-01T00:00:00Z",
        },
    ]


def test_desired_composite_status_is_the_xr_output_and_connection_details_are_not_printed():
    def handler(req):
        rsp = passthrough(req)
        resource.update(rsp.desired.composite, {"status": {"phase": "Ready", "count": 2}})
        rsp.desired.composite.connection_details["kubeconfig"] = b"secret-kubeconfig"
        rsp.desired.resources["ec"].connection_details["k"] = b"secret-kubeconfig"
        resource.update(rsp.desired.resources["ec"], {"apiVersion": "v1", "kind": "ConfigMap"})
        rsp.desired.resources["ec"].ready = fnv1.READY_TRUE
        return rsp

    out, _ = one_step_render(handler)
    assert out.xr["status"]["phase"] == "Ready"
    assert out.xr["status"]["count"] == 2
    assert isinstance(out.xr["status"]["count"], int)
    assert "secret-kubeconfig" not in repr(out)


# Credentials --------------------------------------------------------------------------------


def _secret(name: str, namespace: str, **data: bytes) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


def _credential_step() -> dict:
    return {
        "step": "s1",
        "functionRef": {"name": "fn"},
        "credentials": [
            {
                "name": "creds",
                "source": "Secret",
                "secretRef": {"namespace": "crossplane-system", "name": "fn-creds"},
            }
        ],
    }


def test_function_credentials_come_from_the_matching_secret():
    secrets = [
        _secret("fn-creds", "other", token=b"wrong"),
        _secret("fn-creds", "crossplane-system", token=b"t0ken"),
    ]
    with serve_fake(passthrough) as fake:
        render(
            xr=xr_manifest(),
            composition=composition_manifest(_credential_step()),
            functions=[function_manifest("fn", fake.target)],
            function_credentials=secrets,
        )
    data = fake.requests[0].credentials["creds"].credential_data.data
    assert dict(data) == {"token": b"t0ken"}


def test_missing_credentials_secret_is_an_error():
    with pytest.raises(RenderError, match='pipeline step "s1": cannot get credentials from secret'):
        render(
            xr=xr_manifest(),
            composition=composition_manifest(_credential_step()),
            functions=[function_manifest("fn", UNREACHABLE)],
        )


# Functions and targets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (
            function_manifest("other", UNREACHABLE),
            'cannot run pipeline step "s1": unknown Function "fn" - does it exist',
        ),
        (
            function_manifest("fn", runtime=""),
            'Function "fn" uses the Docker runtime, which is not supported here',
        ),
        (function_manifest("fn", runtime="Docker"), "not supported here"),
        (
            function_manifest("fn", runtime="Podman"),
            'unsupported "render.crossplane.io/runtime" annotation value "Podman"',
        ),
        (
            function_manifest("fn", UNREACHABLE),
            'cannot run pipeline step "s1": cannot connect to Function "fn" at 127.0.0.1:1',
        ),
    ],
)
def test_function_errors_are_one_clear_line(function, message):
    with pytest.raises(RenderError) as err:
        render(
            xr=xr_manifest(), composition=composition_manifest(("s1", "fn")), functions=[function]
        )
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_v1beta1_only_function_is_reached_through_the_fallback():
    def handler(req):
        rsp = passthrough(req)
        resource.update(rsp.desired.resources["ec"], {"apiVersion": "v1", "kind": "ConfigMap"})
        return rsp

    with serve_fake(handler, versions=("v1beta1",)) as fake:
        out = render(
            xr=xr_manifest(),
            composition=composition_manifest(("s1", "fn")),
            functions=[function_manifest("fn", fake.target)],
        )
    assert len(fake.requests) == 1
    assert [r["kind"] for r in out.resources] == ["ConfigMap"]


def test_slow_function_fails_at_the_timeout():
    def slow(req):
        time.sleep(2)
        return passthrough(req)

    started = time.monotonic()
    with pytest.raises(RenderError, match=r"did not answer within 0.3s \(--timeout\)"):
        one_step_render(slow, timeout=0.3)
    assert time.monotonic() - started < 2


def test_xrd_defaults_reach_the_function():
    xrd = spec_xrd({"tearDownCluster": {"type": "boolean", "default": False}})
    out, requests = one_step_render(passthrough, xrd=xrd, include_full_xr=True)
    assert plain(requests[0].observed.composite.resource)["spec"] == {"tearDownCluster": False}
    assert out.xr["spec"] == {"tearDownCluster": False}
