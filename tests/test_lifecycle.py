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

from collections.abc import Iterator

import pytest
import validation as v
import yaml
from lifecycle_helpers import (
    HIVE,
    everything_gone,
    make_world,
    message_of,
    provision,
    status_of,
    teardown_and_delete,
    validate,
)

from scripts.render.launcher import FunctionProcess
from scripts.sim.world import World


@pytest.fixture(scope="module")
def function_process() -> Iterator[FunctionProcess]:
    """The real function for this module's worlds (stopped by PID at the end)."""
    with FunctionProcess() as fn:
        yield fn


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
