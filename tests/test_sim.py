"""scripts/sim: the simulated API server and controllers behave like the real ones on the
points the lifecycle proof depends on (finalizers, garbage collection, provider-kubernetes'
create/observe/delete and connection details, the app.ci reconciler's phases)."""

from __future__ import annotations

import base64
from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import pytest

from scripts.sim import appci
from scripts.sim import conditions as sim_conditions
from scripts.sim.claims import secret_bytes
from scripts.sim.connection import NotControllableError, publish
from scripts.sim.crossplane import version
from scripts.sim.provider import FINALIZER, ProviderKubernetes, cel_ready
from scripts.sim.store import ConflictError, Store

OBJ_API = "kubernetes.crossplane.io/v1alpha2"


class Clock:
    def __init__(self) -> None:
        self.tick = 0

    def __call__(self) -> int:
        return self.tick


def cm(name: str, namespace: str = "ns", **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, **extra},
    }


# Store --------------------------------------------------------------------------------------


def test_finalizers_hold_a_deleted_object_and_removal_collects_dependents() -> None:
    clock = Clock()
    store = Store("s", clock)
    owner = store.create(cm("owner", finalizers=["keep"]))
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": owner["metadata"]["uid"],
    }
    store.create(cm("child", ownerReferences=[ref]))
    clock.tick = 3
    store.delete("v1", "ConfigMap", "owner", "ns")
    held = store.get("v1", "ConfigMap", "owner", "ns")
    assert held is not None
    assert held["metadata"]["deletionTimestamp"] == "tick-3"
    assert store.get("v1", "ConfigMap", "child", "ns") is not None
    clock.tick = 5
    store.remove_finalizer(held, "keep")
    assert store.get("v1", "ConfigMap", "owner", "ns") is None
    assert store.get("v1", "ConfigMap", "child", "ns") is None  # background cascading
    assert store.requested_deletion(("v1", "ConfigMap", "ns", "owner")) == 3
    assert store.requested_deletion(("v1", "ConfigMap", "ns", "child")) == 5
    assert [e.verb for e in store.events if e.key[3] == "owner"][-1] == "removed"


def test_reads_and_writes_copy_and_keep_server_fields() -> None:
    store = Store("s", Clock())
    created = store.create(cm("a"))
    created["data"] = {"x": "1"}
    assert "data" not in store.must_get("v1", "ConfigMap", "a", "ns")
    with pytest.raises(ConflictError):
        store.create(cm("a"))
    created["metadata"]["uid"] = "forged"
    updated = store.update(created)
    assert updated["metadata"]["uid"] != "forged"
    assert updated["data"] == {"x": "1"}


def test_spec_changes_bump_the_generation_and_status_is_separate() -> None:
    store = Store("s", Clock())
    obj = store.create({**cm("a"), "spec": {"n": 1}, "status": {"ignored": True}})
    assert "status" not in obj  # status goes through the status subresource
    obj["status"] = {"phase": "x"}
    store.update_status(obj)
    obj["spec"] = {"n": 2}
    obj["status"] = {"phase": "overwritten?"}
    after = store.update(obj)
    assert after["metadata"]["generation"] == 2
    assert after["status"] == {"phase": "x"}


# provider-kubernetes ------------------------------------------------------------------------


def _object(name: str, manifest: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": OBJ_API,
        "kind": "Object",
        "metadata": {"name": name},
        "spec": {"forProvider": {"manifest": manifest}, **spec},
    }


def _secret(data: dict[str, bytes]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds", "namespace": "app"},
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


def _conds(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in obj["status"]["conditions"]}


def test_observe_only_object_reads_connection_details_as_exact_bytes() -> None:
    clock = Clock()
    control, remote = Store("control", clock), Store("appci", clock)
    provider = ProviderKubernetes(control, remote)
    details = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "name": "creds",
            "namespace": "app",
            "fieldPath": "data.kubeconfig",
            "toConnectionSecretKey": "kubeconfig",
        }
    ]
    control.create(
        _object(
            "creds",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "creds", "namespace": "app"},
            },
            managementPolicies=["Observe"],
            connectionDetails=details,
            writeConnectionSecretToRef={"name": "out", "namespace": "cp"},
        )
    )
    provider.reconcile(1)
    obj = control.must_get(OBJ_API, "Object", "creds")
    assert _conds(obj)["Synced"]["status"] == "False"
    assert remote.get("v1", "Secret", "creds", "app") is None  # Observe never creates
    payload = b"\x00binary\nkubeconfig\xff"
    remote.create(_secret({"kubeconfig": payload}))
    provider.reconcile(2)
    obj = control.must_get(OBJ_API, "Object", "creds")
    assert _conds(obj)["Synced"]["status"] == "True"
    assert obj["status"]["atProvider"]["manifest"]["data"] == {"redacted": None}  # sanitized
    out = control.must_get("v1", "Secret", "out", "cp")
    assert base64.b64decode(out["data"]["kubeconfig"]) == payload
    assert out["metadata"]["ownerReferences"][0]["uid"] == obj["metadata"]["uid"]


def test_managed_object_is_created_updated_and_deleted_only_when_gone() -> None:
    clock = Clock()
    control, remote = Store("control", clock), Store("appci", clock)
    provider = ProviderKubernetes(control, remote)
    manifest = {**cm("target", "app"), "spec": {"n": 1}}
    query = "has(object.status) && object.status.ok == true"
    control.create(
        _object("o", manifest, readiness={"policy": "DeriveFromCelQuery", "celQuery": query})
    )
    provider.reconcile(1)
    assert remote.must_get("v1", "ConfigMap", "target", "app")["spec"] == {"n": 1}
    obj = control.must_get(OBJ_API, "Object", "o")
    assert FINALIZER in obj["metadata"]["finalizers"]
    assert _conds(obj)["Ready"]["status"] == "False"
    target = remote.must_get("v1", "ConfigMap", "target", "app")
    target["status"] = {"ok": True}
    remote.update_status(target)
    obj["spec"]["forProvider"]["manifest"]["spec"] = {"n": 2}
    control.update(obj)
    provider.reconcile(2)
    assert remote.must_get("v1", "ConfigMap", "target", "app")["spec"] == {"n": 2}
    assert _conds(control.must_get(OBJ_API, "Object", "o"))["Ready"]["status"] == "True"
    # The remote object has a finalizer: the Object waits for it.
    target = remote.must_get("v1", "ConfigMap", "target", "app")
    target["metadata"]["finalizers"] = ["remote/hold"]
    remote.update(target)
    control.delete(OBJ_API, "Object", "o")
    provider.reconcile(3)
    assert control.get(OBJ_API, "Object", "o") is not None
    remote.remove_finalizer(remote.must_get("v1", "ConfigMap", "target", "app"), "remote/hold")
    provider.reconcile(4)
    assert control.get(OBJ_API, "Object", "o") is None


def test_cel_readiness_query() -> None:
    query = "has(object.status) && object.status.conditions.exists(c, c.type == 'A')"
    assert cel_ready(query, {"status": {"conditions": [{"type": "A"}]}})
    assert not cel_ready(query, {"status": {"conditions": [{"type": "B"}]}})
    assert not cel_ready(query, {"spec": {}})


# app.ci -------------------------------------------------------------------------------------


def _ec(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": appci.API_VERSION,
        "kind": appci.KIND,
        "metadata": {
            "name": "ec1",
            "namespace": appci.NAMESPACE,
            "annotations": {appci.TENANT: "t", appci.CLUSTER: "c"},
        },
        "spec": {"ciOperator": {"test": {"workflow": "w"}}, **spec},
    }


def _run(store: Store, reconciler: appci.Reconciler, clock: Clock, ticks: int) -> list[str]:
    phases = []
    for _ in range(ticks):
        clock.tick += 1
        reconciler.reconcile(clock.tick)
        ec = store.get(appci.API_VERSION, appci.KIND, "ec1", appci.NAMESPACE)
        phases.append(ec["status"]["phase"] if ec else "gone")
    return phases


@pytest.mark.parametrize("design", ["secretRef", "status"])
def test_reconciler_phases_and_credentials(design: str) -> None:
    clock = Clock()
    store = Store("appci", clock)
    reconciler = appci.Reconciler(store, design=design, ticks_to_ready=2)
    store.create(_ec())
    assert _run(store, reconciler, clock, 3) == ["Provisioning", "Provisioning", "Ready"]
    ec = store.must_get(appci.API_VERSION, appci.KIND, "ec1", appci.NAMESPACE)
    assert appci.FINALIZER in ec["metadata"]["finalizers"]
    creds = reconciler.issued["ec1"]
    if design == "secretRef":
        secret = store.must_get("v1", "Secret", ec["status"]["secretRef"], appci.NAMESPACE)
        assert base64.b64decode(secret["data"]["kubeconfig"]) == creds.kubeconfig
        assert "kubeconfig" not in ec["status"]
    else:
        assert ec["status"]["kubeconfig"].encode() == creds.kubeconfig
    ec["spec"]["tearDownCluster"] = True
    store.update(ec)
    assert _run(store, reconciler, clock, 3) == [
        "Deprovisioning",
        "Deprovisioning",
        "Deprovisioned",
    ]
    ec = store.must_get(appci.API_VERSION, appci.KIND, "ec1", appci.NAMESPACE)
    conds = {c["type"]: c["status"] for c in ec["status"]["conditions"]}
    assert conds["TestCompleted"] == conds["ProwJobCompleted"] == "True"
    assert "finalizers" not in ec["metadata"]


def test_deleting_a_ready_cluster_tears_it_down_before_the_finalizer_goes() -> None:
    clock = Clock()
    store = Store("appci", clock)
    reconciler = appci.Reconciler(store, ticks_to_ready=1)
    store.create(_ec())
    _run(store, reconciler, clock, 2)
    store.delete(appci.API_VERSION, appci.KIND, "ec1", appci.NAMESPACE)
    assert _run(store, reconciler, clock, 4) == ["Deprovisioning", "Deprovisioning", "gone", "gone"]
    assert store.get("v1", "Secret", "ec1-credentials", appci.NAMESPACE) is None  # owned


def test_failures_and_invalid_requests() -> None:
    clock = Clock()
    store = Store("appci", clock)
    failing = appci.Reconciler(store, fail_after=1)
    store.create(_ec())
    assert _run(store, failing, clock, 2) == ["Provisioning", "Failed"]
    other = Store("appci", clock)
    invalid = _ec()
    del invalid["metadata"]["annotations"][appci.CLUSTER]
    other.create(invalid)
    assert _run(other, appci.Reconciler(other), clock, 1) == ["Failed"]
    with pytest.raises(ValueError, match="unknown credentials design"):
        appci.Reconciler(other, design="carrier-pigeon")


# provider-kubernetes: when an Object's status is refreshed ----------------------------------------


def _refreshes(*, enable_watches: bool, watch: bool, ready: bool) -> list[int]:
    """Ticks (30 s each) in which the Object was reconciled while the remote object changed
    every tick and the Object's spec did not."""
    clock = Clock()
    control, remote = Store("control", clock), Store("appci", clock)
    provider = ProviderKubernetes(control, remote, enable_watches=enable_watches)
    query = "true" if ready else "false"
    spec: dict[str, Any] = {"readiness": {"policy": "DeriveFromCelQuery", "celQuery": query}}
    if watch:
        spec["watch"] = True
    control.create(_object("o", {**cm("target", "app"), "spec": {"n": 1}}, **spec))
    seen = []
    for tick in range(1, 45):
        clock.tick = tick
        before = provider.reconciles
        provider.reconcile(tick)
        if provider.reconciles > before:
            seen.append(tick)
        target = remote.must_get("v1", "ConfigMap", "target", "app")
        target["status"] = {"n": tick}
        remote.update_status(target)  # app.ci's controller moves on
    return seen


def test_a_ready_object_is_refreshed_on_the_poll_interval_only() -> None:
    # Ready: the default --poll of 10 minutes = 20 ticks.
    assert _refreshes(enable_watches=False, watch=True, ready=True) == [1, 21, 41]
    # Not Ready: the provider's poll interval hook polls every 30 s.
    assert _refreshes(enable_watches=False, watch=False, ready=False) == list(range(1, 45))


def test_watch_true_needs_the_providers_enable_watches() -> None:
    assert _refreshes(enable_watches=True, watch=True, ready=True) == list(range(1, 45))
    assert _refreshes(enable_watches=True, watch=False, ready=True) == [1, 21, 41]
    assert _refreshes(enable_watches=False, watch=True, ready=True) == [1, 21, 41]


def test_a_spec_change_is_reconciled_at_once() -> None:
    clock = Clock()
    control, remote = Store("control", clock), Store("appci", clock)
    provider = ProviderKubernetes(control, remote)
    control.create(_object("o", {**cm("target", "app"), "spec": {"n": 1}}))  # Ready on create
    provider.reconcile(1)
    clock.tick = 2
    obj = control.must_get(OBJ_API, "Object", "o")
    obj["spec"]["forProvider"]["manifest"]["spec"] = {"n": 2}
    control.update(obj)
    provider.reconcile(2)
    assert remote.must_get("v1", "ConfigMap", "target", "app")["spec"] == {"n": 2}
    assert provider.reconciles == 2


# Connection Secrets ------------------------------------------------------------------------------


def _owner(store: Store, name: str) -> dict[str, Any]:
    return store.create({"apiVersion": "example.org/v1", "kind": "XR", "metadata": {"name": name}})


def test_publish_merges_or_replaces_and_refuses_another_controllers_secret() -> None:
    store = Store("control", Clock())
    xr, other = _owner(store, "xr"), _owner(store, "other")
    publish(store, xr, "s", "ns", {"a": b"1", "b": b"2"}, merge=True)
    publish(store, xr, "s", "ns", {"a": b"3"}, merge=True)
    assert secret_bytes(store, "s", "ns") == {"a": b"3", "b": b"2"}  # b persists
    publish(store, xr, "s", "ns", {"a": b"4"}, merge=False)
    assert secret_bytes(store, "s", "ns") == {"a": b"4"}
    with pytest.raises(NotControllableError, match="cannot establish control"):
        publish(store, other, "s", "ns", {"a": b"5"}, merge=True)
    assert secret_bytes(store, "s", "ns") == {"a": b"4"}


# What Crossplane does with a response's conditions and results -----------------------------------


def _response(*conditions: fnv1.Condition, results: tuple[fnv1.Result, ...] = ()) -> Any:
    rsp = fnv1.RunFunctionResponse()
    rsp.conditions.extend(conditions)
    rsp.results.extend(results)
    return rsp


def _cond(
    typ: str, status: fnv1.Status, target: fnv1.Target = fnv1.TARGET_COMPOSITE_AND_CLAIM
) -> Any:
    return fnv1.Condition(type=typ, status=status, reason="R", target=target)


def test_conditions_are_set_never_removed_and_claim_types_recorded() -> None:
    status: dict[str, Any] = {}
    sim_conditions.apply(
        status,
        _response(
            _cond("A", fnv1.STATUS_CONDITION_FALSE),
            _cond("B", fnv1.STATUS_CONDITION_TRUE, fnv1.TARGET_COMPOSITE),
            _cond("Ready", fnv1.STATUS_CONDITION_TRUE),  # Crossplane's own: ignored
        ),
    )
    sim_conditions.apply(status, _response(_cond("C", fnv1.STATUS_CONDITION_TRUE)))
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "A": "False",
        "B": "True",
        "C": "True",
    }
    assert status["claimConditionTypes"] == ["A", "C"]


def test_a_fatal_applies_its_conditions_and_marks_the_others_unknown() -> None:
    status: dict[str, Any] = {}
    sim_conditions.apply(
        status,
        _response(_cond("A", fnv1.STATUS_CONDITION_TRUE), _cond("B", fnv1.STATUS_CONDITION_TRUE)),
    )
    fatal = fnv1.Result(severity=fnv1.SEVERITY_FATAL, message="spec.x: bad")
    rsp = _response(_cond("B", fnv1.STATUS_CONDITION_FALSE), results=(fatal,))
    outcome = sim_conditions.outcome(rsp, "step")
    assert outcome.fatal == 'pipeline step "step" returned a fatal result: spec.x: bad'
    sim_conditions.fatal(status, rsp, outcome.fatal)
    got = {c["type"]: c for c in status["conditions"]}
    assert (got["A"]["status"], got["A"]["reason"]) == ("Unknown", "FatalError")
    assert got["A"]["message"] == sim_conditions.FATAL_MESSAGE
    assert got["B"]["status"] == "False"
    assert (got["Synced"]["status"], got["Synced"]["message"]) == ("False", outcome.fatal)


def test_results_become_events_until_the_fatal_which_does_not() -> None:
    results = (
        fnv1.Result(severity=fnv1.SEVERITY_NORMAL, message="n", target=fnv1.TARGET_COMPOSITE),
        fnv1.Result(
            severity=fnv1.SEVERITY_WARNING,
            message="w",
            reason="Why",
            target=fnv1.TARGET_COMPOSITE_AND_CLAIM,
        ),
        fnv1.Result(
            severity=fnv1.SEVERITY_FATAL, message="f", target=fnv1.TARGET_COMPOSITE_AND_CLAIM
        ),
        fnv1.Result(severity=fnv1.SEVERITY_NORMAL, message="after"),
    )
    outcome = sim_conditions.outcome(_response(results=results), "s")
    assert outcome.events == [
        (False, "Normal", "ComposeResources", "n"),
        (True, "Warning", "Why", "w"),
    ]
    assert outcome.fatal is not None


def test_crossplane_1_20_answers_only_extra_resources() -> None:
    assert not version("1.20").capabilities
    assert not version("1.20").answers_resources
    assert fnv1.CAPABILITY_REQUIRED_RESOURCES in version("2.2").capabilities
    assert not version("2.1").capabilities
    with pytest.raises(ValueError, match=r"unknown Crossplane version '1\.17'"):
        version("1.17")
