"""`ec-task provision` end to end against the lifecycle simulation and the real function.

The step creates the claim, and every tick it waits is a tick of the simulated Crossplane,
provider-kubernetes and app.ci, calling the function over gRPC. Every lifecycle invariant is
checked at every tick, and no credential may appear in the step's log or results.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import validation as v
from conftest import present
from lifecycle_helpers import everything_gone
from tasks_helpers import (
    NAME,
    NAMESPACE,
    PIPELINE_RUN,
    leaked,
    make_world,
    pipeline_run,
    provision_values,
    run_deprovision,
    run_provision,
)

from function.observed import PIPELINE_RUN as PIPELINE_RUN_ANNOTATION
from function.observed import TASK_RUN as TASK_RUN_ANNOTATION
from scripts import crdschema
from scripts.sim.store import TICK_SECONDS
from scripts.sim.world import World
from scripts.tasks.params import provision_request
from scripts.tasks.provision import provision
from scripts.tasks.report import MemoryResults, Outcome
from scripts.tasks.seam import Ref


class FirstURL:
    """World check: the tick in which the claim first showed status.prowJobURL."""

    def __init__(self) -> None:
        self.tick: int | None = None

    def __call__(self, world: World) -> None:
        status = (world.request() or {}).get("status") or {}
        if self.tick is None and status.get("prowJobURL"):
            self.tick = world.tick


def test_ready_then_deprovision_then_pipelinerun_deleted(function_target: str) -> None:
    world = make_world(function_target)
    first_url = FirstURL()
    world.checks.append(first_url)
    try:
        owner = pipeline_run(world)
        run = run_provision(world, provision_values(owner["metadata"]["uid"]))
        assert run.outcome.ok, run.log
        ec = world.ec()
        assert ec is not None
        issued = world.reconciler.issued[ec["metadata"]["name"]]
        # Ready only with the exact kubeconfig app.ci issued in the claim's Secret.
        assert world.connection_secret()["kubeconfig"] == issued.kubeconfig
        assert run.results == {
            "testPlatformClusterClaimName": NAME,
            "testPlatformClusterClaimNamespace": NAMESPACE,
            "prowJobURL": ec["status"]["prowJobURL"],
            "secretRef": f"{NAME}-secret",
        }
        # The URL is printed in the very tick it first reached the claim, long before Ready.
        url_lines = [(tick, line) for tick, line in run.lines if line.startswith("ProwJob URL:")]
        assert url_lines == [(first_url.tick, f"ProwJob URL: {ec['status']['prowJobURL']}")]
        assert present(first_url.tick) < world.tick
        claim = world.request()
        assert claim is not None
        assert claim["metadata"]["annotations"] == {
            PIPELINE_RUN_ANNOTATION: PIPELINE_RUN,
            TASK_RUN_ANNOTATION: NAME,
        }
        assert claim["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "tekton.dev/v1",
                "kind": "PipelineRun",
                "name": PIPELINE_RUN,
                "uid": owner["metadata"]["uid"],
            }
        ]
        # The run names reach app.ci, where they name the ProwJob.
        assert ec["metadata"]["annotations"][PIPELINE_RUN_ANNOTATION] == PIPELINE_RUN
        assert leaked(world, run.log) == []

        down = run_deprovision(world)
        assert down.outcome.ok, down.log
        assert "the ProwJob succeeded (state success)" in down.outcome.message
        assert down.results["prowJobState"] == "success"
        assert present(world.ec())["spec"]["tearDownCluster"] is True
        assert present(world.ec())["status"]["phase"] == "Deprovisioned"
        assert leaked(world, down.log) == []

        # Deleting the PipelineRun garbage-collects the claim through its ownerReference.
        world.control.delete("tekton.dev/v1", "PipelineRun", PIPELINE_RUN, NAMESPACE)
        world.run_until(everything_gone, "all deleted")
    finally:
        world.close()


def test_the_created_claim_passes_the_claim_schema(function_target: str) -> None:
    """What the step sends is what the API server would accept for the generated XRD
    (upstream's default `clusterClaim: {}` would not: cloud, owner and version are required)."""
    world = make_world(function_target)
    try:
        owner = pipeline_run(world)
        run_provision(world, provision_values(owner["metadata"]["uid"], timeout="1m"))
        claim = present(world.request())
        xrd = v.project_xrd("XTestPlatformCluster")
        crd = v.claim_crd(xrd, claim["apiVersion"])
        assert crdschema.validate(claim, crd) == []
        assert "clusterClaim" not in claim["spec"]["ciOperator"]["test"]
        upstream_style: dict[str, Any] = {**claim, "spec": {**claim["spec"]}}
        upstream_style["spec"]["ciOperator"] = {
            **claim["spec"]["ciOperator"],
            "test": {**claim["spec"]["ciOperator"]["test"], "clusterClaim": {}},
        }
        errors = crdschema.validate(upstream_style, crd)
        assert any("clusterClaim" in e and "required" in e for e in errors), errors
    finally:
        world.close()


def test_failed_cluster_fails_fast_with_the_reason(function_target: str) -> None:
    world = make_world(function_target, fail_after=2)
    failed_at: list[int] = []
    world.checks.append(
        lambda w: (
            failed_at.append(w.tick)
            if ((w.request() or {}).get("status") or {}).get("phase") == "Failed"
            else None
        )
    )
    try:
        owner = pipeline_run(world)
        run = run_provision(world, provision_values(owner["metadata"]["uid"]))
        assert not run.outcome.ok
        assert run.outcome.exit_code == 1
        url = present(world.ec())["status"]["prowJobURL"]
        assert run.outcome.message == (
            "the cluster failed to provision: the EphemeralCluster failed: prowjob state: "
            f"failure (ProwJobFailure); ProwJob: {url}"
        )
        assert world.tick == failed_at[0]  # stopped in the tick the claim said Failed
        # The claim's name is a result already, so the deprovision in `finally` still runs.
        assert run.results["testPlatformClusterClaimName"] == NAME
        assert "secretRef" not in run.results

        down = run_deprovision(world)
        assert down.outcome.ok, down.log
        assert "the ProwJob failed: the EphemeralCluster failed" in down.outcome.message
        assert down.results["prowJobState"] == "failure"
    finally:
        world.close()


def test_timeout_says_what_it_waited_for(function_target: str) -> None:
    world = make_world(function_target, ticks_to_ready=50)
    try:
        owner = pipeline_run(world)
        run = run_provision(world, provision_values(owner["metadata"]["uid"], timeout="5m"))
        assert not run.outcome.ok
        # The task's deadline runs on the world's clock: 5 minutes are 10 ticks of 30 s.
        assert run.ticks == 5 * 60 // TICK_SECONDS == 10
        assert run.outcome.message.startswith(
            f"timed out after 5m waiting for TestPlatformCluster {NAMESPACE}/{NAME} to become "
            "Ready (last seen: phase Provisioning, Ready=False"
        )
        assert "ClusterReady=False (SecretsFetchFailure: kubeconfig not ready)" in (
            run.outcome.message
        )
    finally:
        world.close()


def test_without_the_environment_config_nothing_starts(function_target: str) -> None:
    """The platform is misconfigured: provision times out saying so; deprovision in finally
    finds nothing started and does not wait out its own timeout."""
    world = make_world(function_target)
    try:
        world.remove_environment_config()
        owner = pipeline_run(world)
        run = run_provision(world, provision_values(owner["metadata"]["uid"], timeout="3m"))
        assert not run.outcome.ok
        assert "last seen: phase (none yet), Ready=False" in run.outcome.message
        down = run_deprovision(world)
        assert down.outcome.ok
        assert down.ticks == 0
        assert "no cluster was started" in down.outcome.message
        assert present(world.request())["spec"]["tearDownCluster"] is True
    finally:
        world.close()


def test_a_retry_follows_its_own_claim_and_refuses_others(function_target: str) -> None:
    world = make_world(function_target)
    try:
        owner = pipeline_run(world)
        uid = owner["metadata"]["uid"]
        first = run_provision(world, provision_values(uid, timeout="2m"))
        assert not first.outcome.ok  # timed out: the TaskRun is retried, same name
        retry = run_provision(world, provision_values(uid))
        assert retry.outcome.ok, retry.log
        assert "(a retry): following it" in retry.log
        assert len(world.ecs()) == 1

        other = run_provision(world, provision_values("someone-elses-uid"))
        assert not other.outcome.ok
        assert "already exists and is not owned by PipelineRun" in other.outcome.message
        assert other.results == {}
    finally:
        world.close()


def test_claim_deleted_while_waiting(function_target: str) -> None:
    world = make_world(function_target, ticks_to_ready=50)
    try:
        owner = pipeline_run(world)
        calls = {"n": 0}

        def delete_on_third_tick(w: World) -> None:
            calls["n"] += 1
            if calls["n"] == 3:
                w.delete_request()

        world.checks.append(delete_on_third_tick)
        run = run_provision(world, provision_values(owner["metadata"]["uid"]))
        assert not run.outcome.ok
        assert run.ticks <= 5
        assert "is being deleted" in run.outcome.message or "was deleted" in run.outcome.message
    finally:
        world.close()


# Edge cases the simulation does not reach, through a scripted seam -------------------------


class ScriptedKube:
    """`Kube` that replays states: each watch yields its script, a minute apart."""

    def __init__(self, claims: list[dict[str, Any] | None], secrets: list[Any]) -> None:
        self.script = {"claim": claims, "secret": secrets}
        self.clock = 0.0

    def now(self) -> float:
        return self.clock

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        return obj

    def get(self, ref: Ref) -> dict[str, Any] | None:
        return self.script[ref.kind][0]

    def merge_patch(self, *_: Any) -> dict[str, Any]:
        raise AssertionError("provision never patches")

    def watch(self, ref: Ref, deadline: float) -> Iterator[dict[str, Any] | None]:
        for item in self.script[ref.kind]:
            if self.clock >= deadline:
                return
            yield item
            self.clock += 60
        self.clock = max(self.clock, deadline)


def scripted_claim(phase: str = "", *conditions: tuple[str, str], **status: Any) -> dict:
    conds = [
        {"type": t, "status": s, "reason": "R", "message": f"{t} says so"} for t, s in conditions
    ]
    return {
        "metadata": {"name": NAME, "namespace": NAMESPACE, "resourceVersion": phase},
        "spec": {"writeConnectionSecretToRef": {"name": f"{NAME}-secret"}},
        "status": {**({"phase": phase} if phase else {}), "conditions": conds, **status},
    }


READY = scripted_claim("Ready", ("Ready", "True"))
KUBECONFIG = {"data": {"kubeconfig": base64.b64encode(b"kind: Config\n").decode()}}


def scripted_run(kube: ScriptedKube, timeout: str = "10m") -> tuple[Outcome, dict[str, str]]:
    results = MemoryResults()
    req = provision_request(provision_values("uid-1", timeout=timeout))
    return provision(kube, req, lambda _: None, results), results.values


def test_waits_for_a_secret_that_lags_behind_ready() -> None:
    kube = ScriptedKube([scripted_claim("Provisioning"), READY], [None, {"data": {}}, KUBECONFIG])
    outcome, results = scripted_run(kube)
    assert outcome.ok
    assert results["secretRef"] == f"{NAME}-secret"
    assert kube.clock == 180


@pytest.mark.parametrize(
    ("secrets", "state"),
    [([None], "does not exist yet"), ([{"data": {}}], "has no kubeconfig yet")],
)
def test_a_secret_without_kubeconfig_times_out_saying_so(secrets: list[Any], state: str) -> None:
    outcome, results = scripted_run(ScriptedKube([READY], secrets), timeout="5m")
    assert outcome.message == (
        f"timed out after 5m waiting for Secret {NAMESPACE}/{NAME}-secret to hold a kubeconfig "
        f"(the claim is Ready; the Secret {state})"
    )
    assert "secretRef" not in results


def test_torn_down_before_ready_fails() -> None:
    outcome, _ = scripted_run(ScriptedKube([scripted_claim("Deprovisioning")], []))
    assert (
        outcome.message
        == "the cluster is being torn down (phase Deprovisioning) before it was ready"
    )


def test_a_claim_of_upstream_templates_fails_fast_too() -> None:
    """No status fields, only the compatibility conditions (upstream's Composition)."""
    old = scripted_claim("", ("ClusterReady", "False"))
    old["status"]["conditions"] += [
        {
            "type": "_EphemeralClusterPhase",
            "status": "True",
            "reason": "Failed",
            "message": "Failed",
        },
        {
            "type": "_ProwJobURL",
            "status": "True",
            "reason": "ProwJobCreated",
            "message": "https://p",
        },
    ]
    outcome, results = scripted_run(ScriptedKube([old], []))
    assert outcome.message == (
        "the cluster failed to provision: the EphemeralCluster reports phase Failed; ProwJob: https://p"
    )
    assert results["prowJobURL"] == "https://p"
