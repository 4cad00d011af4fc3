"""The proof: a cluster's whole life, tick by tick, through the real function over gRPC.

scripts/sim simulates Crossplane (claims, XRs, applying desired state, deleting what it
omits, connection Secrets), provider-kubernetes and the app.ci reconciler. The tenant's steps
are the Konflux tasks': create the claim, wait for `ClusterReady=True`, read the kubeconfig
from the claim's Secret, patch `tearDownCluster: true`, wait for `ProwJobCompleted=True`,
delete the claim. At every tick the invariants hold: the EphemeralCluster is never deleted
before the claim, no credential leaks (objects, conditions, results, errors, the function's
log), the delivered kubeconfig never changes, and `ClusterReady=True` on the claim means the
kubeconfig is already in its Secret. The negative controls show each invariant can fail.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import pytest
import validation as v
import yaml

from function import fn as function
from function import structs
from scripts import crdschema
from scripts.render.fakes import serve_fake
from scripts.render.launcher import FunctionProcess
from scripts.sim import invariants
from scripts.sim.invariants import InvariantError
from scripts.sim.world import World, load

HIVE = load("examples/xr-v2.yaml")["spec"]["ciOperator"]


def ready_means_delivered(world: World) -> None:
    """What the provision task relies on: ClusterReady=True ⇒ the kubeconfig is there."""
    cond = world.request_conditions().get("ClusterReady")
    if cond and cond["status"] == "True" and not world.connection_secret().get("kubeconfig"):
        raise InvariantError(f"tick {world.tick}: ClusterReady=True but no kubeconfig yet")


def status_of(world: World, typ: str) -> str | None:
    cond = world.request_conditions().get(typ)
    return cond["status"] if cond else None


def message_of(world: World, typ: str) -> str | None:
    cond = world.request_conditions().get(typ)
    return cond.get("message") if cond else None


def everything_gone(world: World) -> bool:
    return (
        world.request() is None
        and not world.xrs()
        and not world.objects()
        and not world.ecs()
        and not world.control.list("v1", "Secret")
        and not world.appci.list()
    )


@pytest.fixture(scope="module")
def function_process() -> Iterator[FunctionProcess]:
    """The real function for this module's worlds (stopped by PID at the end)."""
    with FunctionProcess() as fn:
        yield fn


def make_world(target: str, logs: Callable[[], str] = lambda: "", **options: Any) -> World:
    world = World(target, **options)
    world.checks += [*invariants.standard(logs), ready_means_delivered]
    return world


def validate(world: World) -> None:
    """Every object the simulation holds against the real schemas (point 5, live): Objects,
    EphemeralClusters (upstream CRD of the design, and the project's crd/ when present), the
    XR and the claim against the generated XRD when xrd/ has it."""
    for obj in world.objects():
        assert v.object_errors(obj) == [], obj["metadata"]["name"]
    upstream = v.UPSTREAM_EC if world.reconciler.design == "secretRef" else v.UPSTREAM_EC_OLD
    # The project CRD is today's design; an old controller's EC matches the old upstream CRD.
    project = None
    if v.PROJECT_EC.is_file() and world.reconciler.design == "secretRef":
        project = crdschema.load_crd(v.PROJECT_EC)
    for ec in world.ecs():
        assert crdschema.validate(ec, v.shared_crd(upstream)) == []
        if project is not None:
            assert crdschema.validate(ec, project) == []
    xrd = v.find_xrd(world.composite.kind)
    if xrd is None:
        return
    for xr in world.xrs():
        assert crdschema.validate(xr, v.xr_crd(xrd, xr["apiVersion"])) == []
    claim = world.request()
    if not world.v2 and claim is not None:
        assert crdschema.validate(claim, v.claim_crd(xrd, claim["apiVersion"])) == []


def provision(world: World, **spec: Any) -> int:
    world.create_request(**spec)
    return world.run_until(lambda w: status_of(w, "ClusterReady") == "True", "ClusterReady")


def teardown_and_delete(world: World) -> tuple[int, int]:
    world.patch_request(tearDownCluster=True)
    down = world.run_until(lambda w: status_of(w, "ProwJobCompleted") == "True", "ProwJobCompleted")
    ec = world.ec()
    assert ec is not None
    assert ec["spec"]["tearDownCluster"] is True
    assert ec["status"]["phase"] == "Deprovisioned"
    assert message_of(world, "_EphemeralClusterPhase") == "Deprovisioned"
    assert status_of(world, "Ready") == "False"
    validate(world)
    world.delete_request()
    gone = world.run_until(everything_gone, "everything deleted")
    return down, gone


VARIANTS = {
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
        ec_before = world.ec()
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
        name = world.ec()["metadata"]["name"]
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
        assert world.appci.requested_deletion(key) > world.control.requested_deletion(
            world.request_key
        )
    finally:
        world.close()


# Negative controls: broken functions make the invariants fail -------------------------------


def _real(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    return asyncio.run(function.FunctionRunner(cache_entries=0).RunFunction(req, None))


def drops_ec_without_envcfg(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Upstream's behaviour: no EnvironmentConfig, no Object."""
    rsp = _real(req)
    answer = req.required_resources.get("envcfg")
    if answer is None or not answer.items:
        for key in ("ec", "credentials"):
            if key in rsp.desired.resources:
                del rsp.desired.resources[key]
    return rsp


def leaks_kubeconfig(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Puts the delivered kubeconfig into the XR status."""
    rsp = _real(req)
    details = rsp.desired.composite.connection_details
    if "kubeconfig" in details:
        status = rsp.desired.composite.resource.get_or_create_struct("status")
        status.update({"debug": base64.b64encode(details["kubeconfig"]).decode()})
    return rsp


def forgets_connection_details(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Stops sending the kubeconfig once the XR is Ready (Crossplane then empties the Secret)."""
    rsp = _real(req)
    xr = structs.struct_to_dict(req.observed.composite.resource)
    ready = any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in xr.get("status", {}).get("conditions", [])
    )
    if ready:
        rsp.desired.composite.ClearField("connection_details")
    return rsp


def ready_too_early(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Copies app.ci's ClusterReady=True before the kubeconfig arrived (the old behaviour)."""
    rsp = _real(req)
    for cond in rsp.conditions:
        if cond.type == "ClusterReady" and cond.reason == "WaitingForKubeconfig":
            cond.status = fnv1.STATUS_CONDITION_TRUE
            cond.reason = "CredentialsReady"
    return rsp


def _lifecycle(world: World) -> None:
    provision(world)
    world.remove_environment_config()
    for _ in range(4):
        world.step()
    teardown_and_delete(world)


@pytest.mark.parametrize(
    ("broken", "violation"),
    [
        (drops_ec_without_envcfg, r"EphemeralCluster \S+ was deleted at tick \d+, before"),
        (leaks_kubeconfig, r"credential fragment #\d+ leaked into XTestPlatformCluster"),
        (forgets_connection_details, r"the tenant's kubeconfig changed or vanished"),
        (ready_too_early, r"ClusterReady=True but no kubeconfig yet"),
    ],
    ids=lambda x: getattr(x, "__name__", "violation"),
)
def test_broken_functions_are_caught(broken: Any, violation: str) -> None:
    with serve_fake(broken) as fake:
        world = make_world(fake.target)
        try:
            with pytest.raises(InvariantError, match=violation) as err:
                _lifecycle(world)
        finally:
            world.close()
    assert "FAKE-sim" not in str(err.value)  # a violation never prints the secret


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
