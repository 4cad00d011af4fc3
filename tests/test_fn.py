"""RunFunction end to end (called directly): lifecycle, keep-when-observed, errors, secrets."""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import Any

import fnreq as f
import pytest
import structlog
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

from function import fn, mapping, observed, requirements

READY_EC = f.ec_manifest(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="creds-x")


@pytest.mark.parametrize(
    ("capabilities", "field", "other"),
    [
        (f.CROSSPLANE_2_2, "resources", "extra_resources"),  # Crossplane >= 2.2
        ((fnv1.CAPABILITY_REQUIRED_RESOURCES,), "resources", "extra_resources"),
        ((), "extra_resources", "resources"),  # Crossplane 1.x, 2.0, 2.1: no capabilities
        (
            (fnv1.CAPABILITY_CAPABILITIES, fnv1.CAPABILITY_CONDITIONS),
            "extra_resources",
            "resources",
        ),
    ],
)
def test_first_call_requests_envcfg_through_the_field_crossplane_reads(
    capabilities: tuple[fnv1.Capability, ...], field: str, other: str
) -> None:
    req = f.request(f.xr_v1(), env="pending", tag="tag-first", capabilities=capabilities)
    rsp = f.run(req)
    assert rsp.meta.tag == "tag-first"
    sel = getattr(rsp.requirements, field)[requirements.REQUIREMENT]
    assert (sel.api_version, sel.kind, sel.match_name) == (
        "apiextensions.crossplane.io/v1beta1",
        "EnvironmentConfig",
        "envcfg",
    )
    # Never both: asking through both costs a second call per reconcile in Crossplane's newer
    # required-resources loop.
    assert len(getattr(rsp.requirements, other)) == 0
    # Not requested yet: no Object, a condition that says why, XR not ready, no results.
    assert "ec" not in rsp.desired.resources
    cond = f.conditions(rsp)["EnvironmentConfigReady"]
    assert cond.status == fnv1.STATUS_CONDITION_FALSE
    assert cond.reason == "WaitingForEnvironmentConfig"
    assert "not requested" in cond.message
    assert rsp.desired.composite.ready == fnv1.READY_FALSE
    assert list(rsp.results) == []


@pytest.mark.parametrize("via", ["required", "extra"])
def test_envcfg_answer_from_crossplane_2_and_1(via: str) -> None:
    rsp = f.run(f.request(f.xr_v1(), via=via))
    ec = f.desired(rsp, "ec")
    assert ec is not None
    annotations = ec["spec"]["forProvider"]["manifest"]["metadata"]["annotations"]
    assert annotations[observed.CLUSTER] == f.CLUSTER
    assert f.conditions(rsp)["EnvironmentConfigReady"].status == fnv1.STATUS_CONDITION_TRUE


def test_literal_cluster_name_needs_no_envcfg() -> None:
    rsp = f.run(f.request(f.xr_v1(), env="pending", fn_input={"konfluxClusterName": "kflux-x"}))
    assert len(rsp.requirements.resources) == 0
    assert len(rsp.requirements.extra_resources) == 0
    annotations = f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]["metadata"]["annotations"]
    assert annotations[observed.CLUSTER] == "kflux-x"
    assert "EnvironmentConfigReady" not in f.conditions(rsp)


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ("pending", "WaitingForEnvironmentConfig"),
        (None, "EnvironmentConfigNotFound"),
        (f.envcfg(cluster=None), "EnvironmentConfigKeyMissing"),
        (f.envcfg(cluster=""), "EnvironmentConfigKeyMissing"),
    ],
)
def test_envcfg_missing_before_creation_composes_nothing(env: f.Env, reason: str) -> None:
    rsp = f.run(f.request(f.xr_v1(), env=env))
    assert len(rsp.desired.resources) == 0
    cond = f.conditions(rsp)["EnvironmentConfigReady"]
    assert (cond.status, cond.reason) == (fnv1.STATUS_CONDITION_FALSE, reason)
    assert f.fatal_messages(rsp) == []


@pytest.mark.parametrize("env", ["pending", None, f.envcfg(cluster=None)])
def test_envcfg_missing_after_creation_keeps_ec(env: f.Env) -> None:
    """Upstream drops the Object here and Crossplane deletes a live cluster; we keep it."""
    manifest = f.ec_manifest(phase="Ready", conditions=f.READY_CONDITIONS, tear_down=None)
    req = f.request(
        f.xr_v1(spec={"ciOperator": f.CI_OPERATOR, "tearDownCluster": True}),
        {"ec": f.ec_object(manifest)},
        env=env,
    )
    rsp = f.run(req)
    ec = f.desired(rsp, "ec")
    assert ec is not None
    body = ec["spec"]["forProvider"]["manifest"]
    # The cluster name the EC was created with is reused, so teardown still gets through.
    assert body["metadata"]["annotations"][observed.CLUSTER] == f.CLUSTER
    assert body["spec"]["tearDownCluster"] is True
    cond = f.conditions(rsp)["EnvironmentConfigReady"]
    assert cond.status == fnv1.STATUS_CONDITION_FALSE
    assert "keeping the existing EphemeralCluster" in cond.message


def test_observed_ec_without_any_cluster_name_is_reemitted_as_observed() -> None:
    manifest = f.ec_manifest(phase="Provisioning", cluster="")
    obj = f.ec_object(manifest)
    rsp = f.run(f.request(f.xr_v1(), {"ec": obj}, env=None))
    kept = f.desired(rsp, "ec")
    assert kept == {
        "apiVersion": obj["apiVersion"],
        "kind": "Object",
        "metadata": {"name": obj["metadata"]["name"]},
        "spec": obj["spec"],
    }
    assert rsp.desired.resources["ec"].ready == fnv1.READY_FALSE


def test_observed_ec_without_status_yet_is_kept() -> None:
    obj = f.ec_object(f.ec_manifest(phase=None))
    del obj["status"]
    rsp = f.run(f.request(f.xr_v1(), {"ec": obj}, env=None))
    assert f.desired(rsp, "ec")["spec"] == obj["spec"]


@pytest.mark.parametrize("key", ["credentials", "connection-secret"])
def test_every_observed_owned_resource_is_kept(key: str) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "n", "namespace": "ns"},
        "data": {"kubeconfig": "eA=="},
    }
    if key == "credentials":
        body = f.credentials_object()
    rsp = f.run(f.request(f.xr_v1(), {key: body}, env=None))
    assert key in rsp.desired.resources


def test_desired_state_of_earlier_steps_passes_through() -> None:
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "audit"}}
    req = f.request(f.xr_v1(), desired={"audit": other})
    req.desired.composite.resource.update({"status": {"fromEarlierStep": "yes"}})
    req.context.update({"apiextensions.crossplane.io/environment": {"x": "y"}})
    rsp = f.run(req)
    assert f.desired(rsp, "audit") == other
    assert "ec" in rsp.desired.resources
    assert f.structs_dict(rsp.desired.composite.resource)["status"]["fromEarlierStep"] == "yes"
    assert f.structs_dict(rsp.context)["apiextensions.crossplane.io/environment"]["x"] == "y"


def test_teardown_is_sticky_once_the_ec_has_it() -> None:
    manifest = f.ec_manifest(phase="Deprovisioning", tear_down=True)
    rsp = f.run(f.request(f.xr_v1(), {"ec": f.ec_object(manifest)}))
    assert (
        f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]["spec"]["tearDownCluster"] is True
    )


def _ec_obj(*, sent: bool | None, synced: bool | None, cluster: str = f.CLUSTER) -> dict:
    """An observed `ec` Object whose spec (what Crossplane applied) says `sent` and whose
    status.atProvider (app.ci, `cluster` annotation) says `synced`; None = no such field, and
    `synced` "absent" = no atProvider at all (provider-kubernetes has not observed it yet)."""
    obj = f.ec_object(f.ec_manifest(phase="Ready", conditions=f.READY_CONDITIONS))
    obj = {**obj, "spec": copy.deepcopy(obj["spec"]), "status": copy.deepcopy(obj["status"])}
    applied = obj["spec"]["forProvider"]["manifest"]
    remote = obj["status"]["atProvider"]["manifest"]
    remote["metadata"]["annotations"][observed.CLUSTER] = cluster
    if not cluster:
        del remote["metadata"]["annotations"][observed.CLUSTER]
    for body, value in ((applied, sent), (remote, synced)):
        if value is not None:
            body["spec"]["tearDownCluster"] = value
    return obj


def _sent(rsp: fnv1.RunFunctionResponse) -> object:
    return f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]["spec"].get("tearDownCluster")


@pytest.mark.parametrize("xr_flag", [None, False], ids=["flag-dropped", "flag-false"])
@pytest.mark.parametrize("env", ["default", None], ids=["envcfg", "envcfg-missing"])
def test_teardown_stays_sent_before_the_provider_synced_it(
    xr_flag: bool | None, env: f.Env
) -> None:
    """Issue 10, point 3: the Object's spec says teardown (Crossplane applied it), app.ci has not
    seen it yet, and the XR drops the flag: the old code consulted only status.atProvider and
    withdrew it."""
    spec: dict[str, Any] = {"ciOperator": f.CI_OPERATOR}
    if xr_flag is not None:
        spec["tearDownCluster"] = xr_flag
    obj = _ec_obj(sent=True, synced=None)
    rsp = f.run(f.request(f.xr_v1(spec=spec), {"ec": obj}, env=env))
    assert _sent(rsp) is True
    # Not usable any more: the claim is not told ClusterReady=True while teardown is sent.
    cond = f.conditions(rsp)["ClusterReady"]
    assert (cond.status, cond.reason) == (fnv1.STATUS_CONDITION_FALSE, "TearingDown")
    assert rsp.desired.composite.ready == fnv1.READY_FALSE


def test_teardown_stays_sent_when_the_object_has_no_status_yet() -> None:
    obj = _ec_obj(sent=True, synced=None)
    del obj["status"]
    rsp = f.run(f.request(f.xr_v1(), {"ec": obj}))
    assert _sent(rsp) is True


def test_teardown_stays_sent_without_envcfg_and_without_the_cluster_annotation() -> None:
    """Issue 10, point 3, the second path: no EnvironmentConfig and the EC lacks its cluster
    annotation, so the Object is re-emitted as observed; app.ci has the teardown, the Object's
    spec does not (the old code re-emitted it without)."""
    obj = _ec_obj(sent=None, synced=True, cluster="")
    assert "tearDownCluster" not in obj["spec"]["forProvider"]["manifest"]["spec"]
    rsp = f.run(f.request(f.xr_v1(), {"ec": obj}, env=None))
    assert _sent(rsp) is True
    kept = f.desired(rsp, "ec")
    assert (
        kept["spec"]["forProvider"]["manifest"]["metadata"]
        == (obj["spec"]["forProvider"]["manifest"]["metadata"])
    )


def test_teardown_asked_without_envcfg_and_without_the_cluster_annotation_gets_through() -> None:
    obj = _ec_obj(sent=None, synced=None, cluster="")
    xr = f.xr_v1(spec={"ciOperator": f.CI_OPERATOR, "tearDownCluster": True})
    rsp = f.run(f.request(xr, {"ec": obj}, env=None))
    assert _sent(rsp) is True


def test_no_teardown_is_invented() -> None:
    rsp = f.run(f.request(f.xr_v1(), {"ec": _ec_obj(sent=False, synced=False)}))
    assert _sent(rsp) is None
    rsp = f.run(f.request(f.xr_v1(), {"ec": _ec_obj(sent=None, synced=None, cluster="")}, env=None))
    assert "tearDownCluster" not in f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]["spec"]


@pytest.mark.parametrize(
    ("xr", "fn_input", "field"),
    [
        (f.xr_v1(spec={"notCiOperator": {}}), None, "spec.ciOperator"),
        (f.xr_v1(spec={"ciOperator": "a string"}), None, "spec.ciOperator"),
        (f.xr_v1(spec={"ciOperator": {}, "tearDownCluster": "yes"}), None, "spec.tearDownCluster"),
        (f.xr_v1(tenant=None), None, "spec.claimRef.namespace"),
        (f.xr_v1(tenant="Not_A_Namespace"), None, "spec.claimRef.namespace"),
        (f.xr_v1(name="x" * 64), None, "metadata.name"),
        (f.xr_v1(name="n" * 250), None, "metadata.name"),
        (f.xr_v2(secret_name="Bad_Name"), None, "spec.writeConnectionSecretToRef.name"),
        # The credentials Object's own connection Secret (provider-kubernetes owns it).
        (
            f.xr_v2(secret_name="credentials-e2e-pr-abc12-provision"),
            None,
            "spec.writeConnectionSecretToRef.name",
        ),
        (f.xr_v1(), {"credentialsMode": "vault"}, "input.credentialsMode"),
        (f.xr_v1(), {"bogus": 1}, "input.bogus"),
        (f.xr_v1(), {"ttl": {"steady": "forever"}}, "input.ttl.steady"),
    ],
)
def test_fatal_names_the_field(xr: dict, fn_input: dict | None, field: str) -> None:
    req = f.request(xr, fn_input=fn_input)
    rsp = f.run(req)
    messages = f.fatal_messages(rsp)
    assert len(messages) == 1, messages
    assert messages[0].startswith(field + ":"), messages
    assert rsp.meta.tag == req.meta.tag
    assert rsp.results[0].target == fnv1.TARGET_COMPOSITE_AND_CLAIM
    # Crossplane never turns a FATAL result into a claim event; it does apply the response's
    # conditions, so the claim learns why from this one (issue 9, point 3).
    [cond] = rsp.conditions
    assert (cond.type, cond.status, cond.reason) == (
        "RequestAccepted",
        fnv1.STATUS_CONDITION_FALSE,
        "Rejected",
    )
    assert cond.target == fnv1.TARGET_COMPOSITE_AND_CLAIM
    assert cond.message == messages[0]
    assert cond.message.startswith(field + ":")


def _xr_with(path: str, value: object, xr: dict | None = None) -> dict:
    """An XR with the field at dotted `path` (a `[key]` suffix for map keys) set to `value`."""
    out = copy.deepcopy(xr or f.xr_v1())
    parent: dict = out
    parts = path.split(".")
    if "[" in path:  # metadata.annotations[key] / metadata.labels[key]
        head, key = path[:-1].split("[", 1)
        parts = [*head.split("."), key]
    for part in parts[:-1]:
        parent = parent.setdefault(part, {})
    parent[parts[-1]] = value
    return out


TASK = f"metadata.annotations[{observed.TASK_RUN}]"
LABEL = f"metadata.labels[{observed.CLAIM_NAMESPACE_LABEL}]"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # Issue 10, point 10: present with the wrong type was "required object is missing".
        ("spec.ciOperator", "not-an-object", "must be an object, not a string"),
        ("spec.ciOperator", 3, "must be an object, not a number"),
        ("spec.ciOperator", [], "must be an object, not an array"),
        ("spec.ciOperator", True, "must be an object, not a boolean"),
        ("spec.ciOperator", None, "must be an object, not null"),
        ("spec.tearDownCluster", "yes", "must be a boolean, not a string"),
        ("spec.tearDownCluster", {}, "must be a boolean, not an object"),
        ("spec", "x", "must be an object, not a string"),
        ("metadata.name", 5, "must be a string, not a number"),
        ("metadata.namespace", ["a"], "must be a string, not an array"),
        ("spec.claimRef", "team-a", "must be an object, not a string"),
        ("spec.claimRef.namespace", 1, "must be a string, not a number"),
        ("metadata.annotations", "a=b", "must be an object, not a string"),
        (TASK, 7, "must be a string, not a number"),
        ("spec.writeConnectionSecretToRef", "s", "must be an object, not a string"),
        ("spec.writeConnectionSecretToRef.name", False, "must be a string, not a boolean"),
    ],
)
def test_a_field_of_the_wrong_type_is_named_with_both_types(
    path: str, value: object, message: str
) -> None:
    rsp = f.run(f.request(_xr_with(path, value)))
    assert f.fatal_messages(rsp) == [f"{path}: {message}"]


def test_a_label_of_the_wrong_type_is_named() -> None:
    """Labels are read only without a claimRef (the tenant's fallback)."""
    xr = f.xr_v1(claim_ref=False)
    xr["metadata"]["labels"][observed.CLAIM_NAMESPACE_LABEL] = 1
    assert f.fatal_messages(f.run(f.request(xr))) == [f"{LABEL}: must be a string, not a number"]
    xr["metadata"]["labels"] = []
    wrong = ["metadata.labels: must be an object, not an array"]
    assert f.fatal_messages(f.run(f.request(xr))) == wrong


def test_absent_is_still_missing_and_null_optional_fields_are_absent() -> None:
    rsp = f.run(f.request(f.xr_v1(spec={})))
    assert f.fatal_messages(rsp) == ["spec.ciOperator: required object is missing"]
    nulls = f.xr_v1(spec={"ciOperator": {}, "tearDownCluster": None})
    nulls["metadata"]["annotations"] = None
    assert f.fatal_messages(f.run(f.request(nulls))) == []


def test_unexpected_exception_is_a_short_fatal_logged_with_the_tag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*_: object, **__: object) -> None:
        raise ValueError(f"cannot handle {f.KUBECONFIG!r}")

    monkeypatch.setattr(mapping, "ec_object", boom)
    with structlog.testing.capture_logs() as logs:
        rsp = f.run(f.request(f.xr_v1(), tag="tag-boom"))
    [message] = f.fatal_messages(rsp)
    assert "ValueError" in message
    assert "tag-boom" in message
    assert "S3CR3T" not in message
    [cond] = rsp.conditions
    assert (cond.type, cond.status, cond.message) == (
        "RequestAccepted",
        fnv1.STATUS_CONDITION_FALSE,
        message,
    )
    [entry] = [e for e in logs if e["log_level"] == "error"]
    assert entry["tag"] == "tag-boom"
    assert entry["error"] == "ValueError"
    assert "S3CR3T" not in repr(logs)


def _scenarios() -> list[fnv1.RunFunctionRequest]:
    creds = (
        f.credentials_object("creds-x", data=True),
        {"kubeconfig": f.KUBECONFIG, "kubeAdminPassword": f.PASSWORD},
    )
    old = f.ec_manifest(
        phase="Ready", conditions=f.READY_CONDITIONS, kubeconfig=f.KUBECONFIG, password=f.PASSWORD
    )
    failed = f.ec_manifest(
        phase="Failed",
        kubeconfig=f.KUBECONFIG,
        password=f.PASSWORD,
        conditions=[
            f.cond("ProwJobCompleted", "True", "ProwJobFailed", f"oops {f.PASSWORD.decode()}"),
            f.cond("ClusterReady", "False", "Broken", "bad token sha256~S3CR3T-T0KEN-do-not-leak"),
        ],
    )
    return [
        f.request(f.xr_v1(), {"ec": f.ec_object(READY_EC), "credentials": creds}),
        f.request(f.xr_v1(), {"ec": f.ec_object(READY_EC), "credentials": creds}, env=None),
        f.request(f.xr_v1(), {"ec": f.ec_object(old)}),
        f.request(f.xr_v1(), {"ec": f.ec_object(old)}, fn_input={"credentialsMode": "status"}),
        f.request(f.xr_v2(), {"ec": f.ec_object(old, v2=True)}),
        f.request(f.xr_v2(), {"ec": f.ec_object(READY_EC, v2=True), "credentials": creds}),
        f.request(
            f.xr_v1(spec={"ciOperator": {}, "tearDownCluster": "x"}), {"ec": f.ec_object(old)}
        ),
        f.request(f.xr_v1(), {"ec": f.ec_object(failed)}),
    ]


def test_secrets_never_reach_logs_status_conditions_or_results(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[str] = []
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        for req in _scenarios():
            rsp = f.run(req)
            seen.append(str(rsp.desired.composite.resource))
            seen.extend(str(c) for c in rsp.conditions)
            seen.extend(str(r) for r in rsp.results)
    out = capsys.readouterr()
    seen += [repr(logs), caplog.text, out.out, out.err]
    blob = "\n".join(seen)
    for secret in (f.KUBECONFIG.decode(), "S3CR3T-T0KEN", f.PASSWORD.decode()):
        assert secret not in blob
    # And the scenarios did carry the secrets somewhere legitimate (the test can fail).
    rsp = f.run(_scenarios()[0])
    assert rsp.desired.composite.connection_details["kubeconfig"] == f.KUBECONFIG


def test_runner_is_constructible_without_arguments() -> None:
    runner = fn.FunctionRunner()
    assert isinstance(runner, grpcv1.FunctionRunnerServiceServicer)


def test_identical_requests_reuse_the_response_and_different_ones_do_not() -> None:
    runner = fn.FunctionRunner()
    req = f.request(f.xr_v1(), {"ec": f.ec_object(READY_EC)}, tag="t1")
    first = asyncio.run(runner.RunFunction(req, None))
    again = asyncio.run(
        runner.RunFunction(f.request(f.xr_v1(), {"ec": f.ec_object(READY_EC)}, tag="t1"), None)
    )
    assert again is first
    assert runner.cache.hits == 1
    # Same tag, different content (a careless caller): still a correct, fresh answer.
    other = f.request(
        f.xr_v1(spec={"ciOperator": {"x": 1}}), {"ec": f.ec_object(READY_EC)}, tag="t1"
    )
    rsp = asyncio.run(runner.RunFunction(other, None))
    assert rsp is not first
    assert f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]["spec"]["ciOperator"] == {"x": 1}


def test_errors_are_not_cached_and_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = fn.FunctionRunner(cache_entries=2)
    bad = f.request(f.xr_v1(spec={}))
    for _ in range(2):
        assert f.fatal_messages(asyncio.run(runner.RunFunction(bad, None)))
    assert len(runner.cache) == 0
    for i in range(5):
        asyncio.run(runner.RunFunction(f.request(f.xr_v1(), tag=f"t{i}"), None))
    assert len(runner.cache) == 2
    disabled = fn.FunctionRunner(cache_entries=0)
    req = f.request(f.xr_v1())
    assert asyncio.run(disabled.RunFunction(req, None)) is not asyncio.run(
        disabled.RunFunction(req, None)
    )
