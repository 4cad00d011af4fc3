"""The proof: a cluster's whole life, tick by tick, through the real function over gRPC.

scripts/sim simulates Crossplane (claims, XRs, applying desired state, deleting what it
omits, connection Secrets), provider-kubernetes and the app.ci reconciler. The tenant's steps
are the Konflux tasks': create the claim, wait for `ClusterReady=True`, read the kubeconfig
from the claim's Secret, patch `tearDownCluster: true`, wait for `ProwJobCompleted=True`,
delete the claim. At every tick the invariants hold: the EphemeralCluster is never deleted
before the claim, no credential leaks (objects, conditions, results, errors, the function's
log), the delivered kubeconfig never changes, `ClusterReady=True` on the claim means its
Secret already holds exactly what app.ci issued, no condition goes stale, and a FATAL reaches
the claim as a condition (scripts/sim/invariants.py). The negative controls, which show each
invariant can fail, are in test_lifecycle_controls.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import pytest
import validation as v
import yaml
from conftest import present
from lifecycle_helpers import (
    HIVE,
    everything_gone,
    flip_teardown_back,
    make_world,
    message_of,
    provision,
    real_function,
    status_of,
    teardown_and_delete,
    validate,
)

from function import structs
from scripts.render.fakes import serve_fake
from scripts.render.launcher import FunctionProcess
from scripts.sim.world import World


@pytest.fixture(scope="module")
def function_process() -> Iterator[FunctionProcess]:
    """The real function for this module's worlds (stopped by PID at the end)."""
    with FunctionProcess() as fn:
        yield fn


VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "v1-secretRef": ({}, {}),
    "v1-status-kubeconfig": ({"design": "status"}, {"ciOperator": HIVE}),
    "v2": ({"v2": True}, {}),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_whole_lifecycle(variant: str, function_process: FunctionProcess) -> None:
    options, spec = VARIANTS[variant]
    world = make_world(function_process.address, function_process.output, **options)
    try:
        ticks = provision(world, **spec)
        ec = world.ec()
        assert ec is not None
        issued = world.reconciler.issued[ec["metadata"]["name"]]
        # The exact bytes app.ci issued, in the tenant's Secret, the tick the claim says ready.
        secret = world.connection_secret()
        assert secret["kubeconfig"] == issued.kubeconfig
        assert secret.get("kubeAdminPassword", b"") == issued.password
        assert bool(issued.password) is ("ciOperator" in spec or bool(options.get("v2")))
        assert status_of(world, "Ready") == "True"
        assert (world.request() or {}).get("status", {}).get("phase") == "Ready"
        validate(world)
        down, gone = teardown_and_delete(world)
        assert 5 <= ticks <= 10
        assert down <= 8
        assert gone <= 4
    finally:
        world.close()


@pytest.mark.parametrize("when", ["provisioning", "ready"])
def test_environment_config_disappears_mid_flight(
    when: str, function_process: FunctionProcess
) -> None:
    world = make_world(function_process.address, function_process.output)
    try:
        world.create_request()
        if when == "provisioning":
            world.run_until(lambda w: w.ec() is not None, "EC created")
        else:
            world.run_until(lambda w: status_of(w, "ClusterReady") == "True", "ClusterReady")
        world.remove_environment_config()
        ec_before = present(world.ec())
        for _ in range(3):
            world.step()
        ec = world.ec()
        assert ec is not None
        assert ec["metadata"]["uid"] == ec_before["metadata"]["uid"]
        assert ec["metadata"]["annotations"] == ec_before["metadata"]["annotations"]
        xr = world.xrs()[0]
        envcfg = {c["type"]: c for c in xr["status"]["conditions"]}["EnvironmentConfigReady"]
        assert (envcfg["status"], envcfg["reason"]) == ("False", "EnvironmentConfigNotFound")
        world.run_until(lambda w: status_of(w, "ClusterReady") == "True", "ClusterReady")
        assert world.connection_secret()["kubeconfig"]
        teardown_and_delete(world)  # teardown still gets through without the config
    finally:
        world.close()


def test_function_restarted_mid_flight() -> None:
    with FunctionProcess() as fn:
        world = make_world(fn.address, fn.output)
        try:
            world.create_request()
            world.run_until(lambda w: w.ec() is not None, "EC created")
            objects = {o["metadata"]["name"]: o["spec"] for o in world.objects()}
            fn.kill()  # SIGKILL: a crash, no graceful shutdown
            for _ in range(2):
                world.step()
            xr = world.xrs()[0]
            synced = {c["type"]: c for c in xr["status"]["conditions"]}["Synced"]
            assert synced["status"] == "False"
            assert "cannot connect to Function" in synced["message"]
            assert {o["metadata"]["name"]: o["spec"] for o in world.objects()} == objects
            assert world.ec() is not None
            fn.start()  # same port: Crossplane's target does not change
            provision_ticks = world.run_until(
                lambda w: status_of(w, "ClusterReady") == "True", "ClusterReady"
            )
            assert provision_ticks <= 10
            fn.kill()
            fn.start()  # a fresh process between two ticks: nothing changes
            kubeconfig = world.connection_secret()["kubeconfig"]
            for _ in range(2):
                world.step()
            assert world.connection_secret()["kubeconfig"] == kubeconfig
            teardown_and_delete(world)
        finally:
            world.close()


def test_teardown_stays_sent_when_the_tenant_drops_the_flag_before_the_provider_synced(
    function_process: FunctionProcess,
) -> None:
    """Issue 10, point 3 (TeardownStays is a standard invariant, so a withdrawal fails here)."""
    world = make_world(function_process.address, function_process.output)
    try:
        seen: list[str | None] = []
        world.checks.append(
            lambda w: seen.append((w.request_conditions().get("ClusterReady") or {}).get("reason"))
        )
        flip_teardown_back(world)
        assert "TearingDown" in seen
        assert world.reconciler.issued  # a cluster was really provisioned and torn down
    finally:
        world.close()


def test_ec_reports_failed(function_process: FunctionProcess) -> None:
    world = make_world(function_process.address, function_process.output, fail_after=2)
    try:
        world.create_request()
        world.run_until(
            lambda w: message_of(w, "_EphemeralClusterPhase") == "Failed", "phase Failed"
        )
        assert status_of(world, "EphemeralClusterFailed") == "True"
        assert message_of(world, "EphemeralClusterFailed") == (
            "the EphemeralCluster failed: prowjob state: failure"
        )
        assert status_of(world, "Ready") == "False"
        assert status_of(world, "ClusterReady") == "False"
        assert not world.connection_secret().get("kubeconfig")
        for _ in range(2):
            world.step()
        assert world.ec() is not None  # a failed cluster is not deleted behind the tenant
        world.delete_request()
        world.run_until(everything_gone, "everything deleted")
    finally:
        world.close()


def test_claim_deleted_while_the_cluster_runs(function_process: FunctionProcess) -> None:
    """No deprovision task ran (the PipelineRun was garbage-collected): the finalizer tears
    the cluster down, and only after the claim was deleted."""
    world = make_world(function_process.address, function_process.output)
    try:
        provision(world)
        name = present(world.ec())["metadata"]["name"]
        world.delete_request()
        seen: list[str] = []

        def gone(w: World) -> bool:
            ec = w.ec()
            if ec is not None:
                seen.append(ec["status"]["phase"])
            return everything_gone(w)

        world.run_until(gone, "everything deleted")
        assert "Deprovisioning" in seen  # torn down before the finalizer let it go
        key = ("ci.openshift.io/v1", "EphemeralCluster", "ephemeral-cluster", name)
        assert present(world.appci.requested_deletion(key)) > present(
            world.control.requested_deletion(world.request_key)
        )
    finally:
        world.close()


def test_the_sim_lifecycle_is_faithful_to_the_examples(function_process: FunctionProcess) -> None:
    """The simulated Ready XR renders the same status as examples/ for the same phase."""
    world = make_world(function_process.address, function_process.output)
    try:
        provision(world)
        xr = world.xrs()[0]
        status = xr["status"]
        assert status["phase"] == "Ready"
        assert {"prowJobId", "prowJobURL"} <= set(status)
        expected = yaml.safe_load_all(
            (v.ROOT / "examples" / "expected" / "ready.yaml").read_text(encoding="utf-8")
        )
        golden_xr = next(d for d in expected if d)
        assert {c["type"] for c in status["conditions"]} == {
            c["type"] for c in golden_xr["status"]["conditions"]
        } | {"Synced"}
    finally:
        world.close()


# What Crossplane and provider-kubernetes do, end to end (issue 9) -------------------------------


def _xr_ready(world: World) -> bool:
    xrs = world.xrs()
    conditions = (xrs[0].get("status") or {}).get("conditions") or [] if xrs else []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def test_claim_waits_while_app_ci_reports_cluster_ready_before_phase_ready(
    function_process: FunctionProcess,
) -> None:
    """app.ci reports ClusterReady=True (and the credentials) four ticks before its phase says
    Ready: the claim is told ClusterReady=True only with a Ready XR, so with its Secret."""
    world = make_world(function_process.address, function_process.output, ready_phase_lag=4)
    try:
        world.create_request()
        reasons = []
        while status_of(world, "ClusterReady") != "True":
            world.step()
            reasons.append(world.request_conditions().get("ClusterReady", {}).get("reason"))
            assert world.tick < 20
        assert "WaitingForPhaseReady" in reasons
        assert _xr_ready(world)
        teardown_and_delete(world)
    finally:
        world.close()


def test_the_xr_connection_secret_is_named_after_the_xr_uid(
    function_process: FunctionProcess,
) -> None:
    world = make_world(function_process.address, function_process.output)
    try:
        provision(world)
        xr = world.xrs()[0]
        ref = xr["spec"]["writeConnectionSecretToRef"]
        namespace = world.composition["spec"]["writeConnectionSecretsToNamespace"]
        assert ref == {"name": xr["metadata"]["uid"], "namespace": namespace}
        claim = present(world.request())
        source = world.control.must_get("v1", "Secret", ref["name"], ref["namespace"])
        copy = world.control.must_get(
            "v1",
            "Secret",
            claim["spec"]["writeConnectionSecretToRef"]["name"],
            claim["metadata"]["namespace"],
        )
        assert copy["data"] == source["data"]
        assert copy["metadata"]["ownerReferences"][0]["uid"] == claim["metadata"]["uid"]
    finally:
        world.close()


class HoldsTheXrUnready:
    """Sends the kubeconfig but keeps the XR not Ready for its first `calls` calls with it."""

    def __init__(self, calls: int) -> None:
        self.left = calls

    def __call__(self, req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
        rsp = real_function(req)
        if rsp.desired.composite.connection_details.get("kubeconfig") and self.left > 0:
            self.left -= 1
            rsp.desired.composite.ready = fnv1.READY_FALSE
            for cond in rsp.conditions:
                if cond.type == "ClusterReady":
                    cond.status = fnv1.STATUS_CONDITION_FALSE
        return rsp


def test_the_claim_secret_is_filled_only_once_the_xr_is_ready() -> None:
    """Crossplane copies the XR's connection Secret to the claim's only when the XR is Ready,
    even if the XR's Secret already holds the kubeconfig."""
    with serve_fake(HoldsTheXrUnready(calls=6)) as fake:
        world = make_world(fake.target)
        try:
            world.create_request()
            saw_unready_with_kubeconfig = False
            while not _xr_ready(world):
                world.step()
                xr = world.xrs()[0] if world.xrs() else None
                ref = (xr or {}).get("spec", {}).get("writeConnectionSecretToRef")
                xr_secret = (
                    world.control.get("v1", "Secret", ref["name"], ref["namespace"])
                    if ref
                    else None
                )
                if (
                    xr_secret
                    and xr_secret.get("data", {}).get("kubeconfig")
                    and not _xr_ready(world)
                ):
                    saw_unready_with_kubeconfig = True
                    filled = "kubeconfig" in world.connection_secret()
                    assert not filled, "claim Secret filled before the XR was Ready"
                assert world.tick < 25
            assert saw_unready_with_kubeconfig
            world.step()
            assert "kubeconfig" in world.connection_secret()
        finally:
            world.close()


def forgets_connection_details(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Stops sending the kubeconfig once the XR is Ready."""
    rsp = real_function(req)
    xr = structs.struct_to_dict(req.observed.composite.resource)
    ready = any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in xr.get("status", {}).get("conditions", [])
    )
    if ready:
        rsp.desired.composite.ClearField("connection_details")
    return rsp


def test_connection_details_a_function_stops_sending_persist() -> None:
    """Crossplane merge-patches the XR's connection Secret: keys not sent again keep their value
    (the simulation used to replace the Secret and called this a lost kubeconfig)."""
    with serve_fake(forgets_connection_details) as fake:
        world = make_world(fake.target)
        try:
            provision(world)
            kubeconfig = world.connection_secret()["kubeconfig"]
            for _ in range(3):
                world.step()
            same = world.connection_secret()["kubeconfig"] == kubeconfig
            assert same, "the kubeconfig changed or vanished"
            teardown_and_delete(world)
        finally:
            world.close()


def renames_objects(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Asks for a new name for every composed resource on every call."""
    rsp = real_function(req)
    for res in rsp.desired.resources.values():
        meta = res.resource.fields["metadata"].struct_value
        meta.fields["name"].string_value += f"-{len(req.meta.tag) + hash(req.meta.tag) % 1000}"
    return rsp


def test_a_composed_resource_keeps_the_name_it_was_created_with() -> None:
    with serve_fake(renames_objects) as fake:
        world = make_world(fake.target)
        try:
            provision(world)
            names = sorted(o["metadata"]["name"] for o in world.objects())
            for _ in range(3):
                world.step()
            assert sorted(o["metadata"]["name"] for o in world.objects()) == names
            assert len(names) == 2  # one `ec`, one `credentials`
            teardown_and_delete(world)
        finally:
            world.close()


def test_a_fatal_reaches_the_claim_as_a_condition_never_as_an_event(
    function_process: FunctionProcess,
) -> None:
    """An XR name too long for an EphemeralCluster: FATAL naming `metadata.name`."""
    world = make_world(
        function_process.address, function_process.output, request_name="e2e-" + "x" * 56
    )
    try:
        world.create_request()
        for _ in range(3):
            world.step()
        cond = world.request_conditions()["RequestAccepted"]
        assert (cond["status"], cond["reason"]) == ("False", "Rejected")
        assert cond["message"].startswith("metadata.name: EphemeralCluster name")
        assert world.ec() is None
        claim_events = world.events(world.request_key)
        assert claim_events == []  # Crossplane records the FATAL on the XR only
        xr_key = (
            "ci.openshift.org/v1alpha1",
            "XTestPlatformCluster",
            "",
            world.xrs()[0]["metadata"]["name"],
        )
        [*_, last] = world.events(xr_key)
        assert (last.type, last.reason) == ("Warning", "ComposeResources")
        assert "returned a fatal result: metadata.name" in last.message
    finally:
        world.close()


def test_a_fatal_mid_flight_marks_the_other_conditions_unknown_then_clears(
    function_process: FunctionProcess,
) -> None:
    """v2: the tenant renames its connection Secret to the credentials Object's own. FATAL:
    nothing is applied, the response's condition names the field, every other condition turns
    Unknown/FatalError; renamed back, every condition is current again."""
    world = make_world(function_process.address, function_process.output, v2=True)
    try:
        provision(world)
        before = {o["metadata"]["name"]: o["spec"] for o in world.objects()}
        kubeconfig = world.connection_secret()["kubeconfig"]
        original = present(world.request())["spec"]["writeConnectionSecretToRef"]
        name = present(world.request())["metadata"]["name"]
        world.patch_request(writeConnectionSecretToRef={"name": f"credentials-{name}"})
        world.step()
        conds = world.request_conditions()
        assert conds["RequestAccepted"]["status"] == "False"
        assert conds["RequestAccepted"]["message"].startswith(
            "spec.writeConnectionSecretToRef.name:"
        )
        assert (conds["ClusterReady"]["status"], conds["ClusterReady"]["reason"]) == (
            "Unknown",
            "FatalError",
        )
        assert conds["Synced"]["status"] == "False"
        assert conds["Ready"]["status"] == "True"  # Crossplane's own; a FATAL leaves it
        assert {o["metadata"]["name"]: o["spec"] for o in world.objects()} == before
        world.patch_request(writeConnectionSecretToRef=original)
        world.step()
        conds = world.request_conditions()
        assert conds["RequestAccepted"]["status"] == "True"
        assert conds["ClusterReady"]["status"] == "True"
        same = world.connection_secret()["kubeconfig"] == kubeconfig
        assert same, "the kubeconfig changed or vanished"
        teardown_and_delete(world)
    finally:
        world.close()


@pytest.mark.parametrize("watches", [True, False], ids=["enable-watches", "no-watches"])
def test_ec_progress_reaches_the_claim_on_watch_or_on_the_poll(
    watches: bool, function_process: FunctionProcess
) -> None:
    """`watch: true` with provider-kubernetes' --enable-watches: teardown progress reaches the
    claim within a reconcile or three; without the flag, only on the 10-minute poll."""
    world = make_world(function_process.address, function_process.output, enable_watches=watches)
    try:
        provision(world)
        world.patch_request(tearDownCluster=True)
        world.run_until(
            lambda w: (w.ec() or {}).get("status", {}).get("phase") == "Deprovisioning",
            "EC Deprovisioning",
        )
        went = world.now
        world.run_until(
            lambda w: message_of(w, "_EphemeralClusterPhase") != "Ready",
            "claim leaves Ready",
            max_ticks=40,
        )
        lag = world.now - went
        if watches:
            assert lag <= 120
        else:
            assert 600 <= lag <= 720, lag
    finally:
        world.close()


@pytest.mark.parametrize("crossplane", ["1.20", "2.1", "2.2"])
def test_the_environment_config_is_asked_for_the_way_each_crossplane_reads(
    crossplane: str, function_process: FunctionProcess
) -> None:
    world = make_world(function_process.address, function_process.output, crossplane=crossplane)
    try:
        provision(world)
        [(_, rsp, applied)] = world.composite.last.values()
        assert applied
        wants = present(rsp).requirements
        if crossplane == "2.2":  # advertises CAPABILITY_REQUIRED_RESOURCES
            assert list(wants.resources) == ["envcfg"]
            assert not wants.extra_resources
        else:
            assert list(wants.extra_resources) == ["envcfg"]
            assert not wants.resources
        teardown_and_delete(world)
    finally:
        world.close()
