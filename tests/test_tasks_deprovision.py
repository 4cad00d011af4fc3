"""`ec-task deprovision` end to end against the lifecycle simulation and the real function.

It runs in `finally`: after a Ready cluster, after a failed one (test_tasks_provision), after
the claim was deleted, and when the ProwJob fails while tearing down (the simulated app.ci's
`fail_teardown`, as ci-tools' reportProwJobFinalState reports a failed ProwJob).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import present
from tasks_helpers import (
    NAME,
    NAMESPACE,
    make_world,
    pipeline_run,
    provision_values,
    run_deprovision,
    run_provision,
)

from scripts.sim import appci
from scripts.sim.store import TICK_SECONDS
from scripts.sim.world import World
from scripts.tasks.claimstate import Claim
from scripts.tasks.seam import Ref
from scripts.tasks.simkube import SimKube


@pytest.fixture
def ready_world(function_target: str) -> Iterator[World]:
    """A world whose claim was provisioned by the step and is Ready."""
    world = make_world(function_target)
    try:
        owner = pipeline_run(world)
        run = run_provision(world, provision_values(owner["metadata"]["uid"]))
        assert run.outcome.ok, run.log
        yield world
    finally:
        world.close()


def test_claim_already_gone(ready_world: World) -> None:
    ready_world.delete_request()
    ready_world.run_until(lambda w: w.request() is None, "claim removed")
    down = run_deprovision(ready_world)
    assert down.outcome.ok
    assert down.outcome.message == (
        f"TestPlatformCluster {NAMESPACE}/{NAME} is already gone; nothing to tear down"
    )
    assert down.results == {"prowJobState": "unknown"}


def test_claim_being_deleted(ready_world: World) -> None:
    ready_world.delete_request()  # Crossplane's finalizer holds it for now
    assert "deletionTimestamp" in present(ready_world.request())["metadata"]
    down = run_deprovision(ready_world)
    assert down.outcome.ok
    assert down.ticks == 0
    assert "is being deleted" in down.outcome.message


def test_already_torn_down(ready_world: World) -> None:
    first = run_deprovision(ready_world)
    assert first.outcome.ok
    again = run_deprovision(ready_world)  # e.g. a retried finally task
    assert again.outcome.ok
    assert again.ticks == 0
    assert "already torn down; the ProwJob succeeded" in again.outcome.message
    assert again.results["prowJobState"] == "success"


def _reconciler(world: World) -> appci.Reconciler:
    """The simulated app.ci controller, whose knobs these tests turn."""
    assert isinstance(world.reconciler, appci.Reconciler)
    return world.reconciler


def test_prowjob_fails_while_tearing_down(ready_world: World) -> None:
    _reconciler(ready_world).fail_teardown = True
    down = run_deprovision(ready_world)
    assert not down.outcome.ok
    assert down.outcome.exit_code == 1
    url = present(ready_world.ec())["status"]["prowJobURL"]
    assert down.outcome.message == (
        "the ProwJob failed while tearing the cluster down: the EphemeralCluster failed: "
        f"prowjob state: failure (ProwJobFailure); ProwJob: {url}"
    )
    assert down.results["prowJobState"] == "failure"
    assert present(ready_world.ec())["status"]["phase"] == "Failed"


def test_upstream_wait_cannot_tell_failure_from_success(ready_world: World) -> None:
    """Control: upstream's 0.1 waits for ProwJobCompleted=True, which the failed teardown
    above also reaches; the phase is what tells them apart."""
    _reconciler(ready_world).fail_teardown = True
    kube = SimKube(ready_world)
    ref = Ref("claim", NAMESPACE, NAME)
    kube.merge_patch(ref, {"spec": {"tearDownCluster": True}})
    for obj in kube.watch(ref, kube.now() + 3600):
        claim = Claim.of(present(obj))
        if claim.is_true("ProwJobCompleted"):
            break
    assert claim.is_true("ProwJobCompleted")  # upstream would report success here
    assert claim.phase == "Failed"
    assert claim.prow_job_state() == "failure"


def test_timeout_says_what_it_waited_for(ready_world: World) -> None:
    _reconciler(ready_world).ticks_to_deprovision = 50
    down = run_deprovision(ready_world, timeout="6m")
    assert not down.outcome.ok
    assert down.ticks == 6 * 60 // TICK_SECONDS == 12  # the world's clock: 30 s a tick
    assert down.outcome.message.startswith(
        f"timed out after 6m waiting for TestPlatformCluster {NAMESPACE}/{NAME} to reach phase "
        "Deprovisioned (last seen: phase Deprovisioning"
    )
    assert down.results["prowJobState"] == "unknown"


def test_claim_deleted_while_tearing_down(ready_world: World) -> None:
    ticks = {"n": 0}

    def delete_after_a_tick(w: World) -> None:
        ticks["n"] += 1
        if ticks["n"] == 1:
            w.delete_request()

    ready_world.checks.append(delete_after_a_tick)
    down = run_deprovision(ready_world)
    assert down.outcome.ok, down.log
    assert "was deleted while tearing down" in down.outcome.message
