"""Running the task steps against the lifecycle simulation, as a PipelineRun would.

The claim is the one in examples/claim.yaml (the World's helpers and invariants look for that
name), created by `ec-task provision` logic from Tekton-style parameters, owned by a PipelineRun
that exists in the simulated control plane.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from scripts.sim import invariants
from scripts.sim.world import World, load
from scripts.tasks import deprovision, provision
from scripts.tasks.params import provision_request
from scripts.tasks.report import MemoryResults, Outcome
from scripts.tasks.simkube import SimKube

CLAIM = load("examples/claim.yaml")
NAME = CLAIM["metadata"]["name"]
NAMESPACE = CLAIM["metadata"]["namespace"]
PIPELINE_RUN = CLAIM["metadata"]["ownerReferences"][0]["name"]


@dataclasses.dataclass
class Run:
    """One step's run: its outcome, results and log lines (with the tick of each line)."""

    outcome: Outcome
    results: dict[str, str]
    lines: list[tuple[int, str]]
    ticks: int

    @property
    def log(self) -> str:
        return "\n".join(line for _, line in self.lines) + "\n" + self.outcome.message


def make_world(target: str, **options: Any) -> World:
    """A World with every lifecycle invariant checked at every tick."""
    world = World(target, **options)
    world.checks += invariants.standard()
    return world


def pipeline_run(world: World) -> dict[str, Any]:
    """The PipelineRun that owns the claim (so deleting it garbage-collects the claim)."""
    return world.control.create(
        {
            "apiVersion": "tekton.dev/v1",
            "kind": "PipelineRun",
            "metadata": {"name": PIPELINE_RUN, "namespace": NAMESPACE},
            "spec": {"pipelineRef": {"name": "ephemeral-cluster"}},
        }
    )


def provision_values(owner_uid: str, **override: str) -> dict[str, str]:
    """Tekton parameters that ask for examples/claim.yaml's cluster."""
    ci = CLAIM["spec"]["ciOperator"]
    values = {
        "claimName": NAME,
        "namespace": NAMESPACE,
        "ownerKind": "PipelineRun",
        "ownerName": PIPELINE_RUN,
        "ownerUid": owner_uid,
        "workflow": ci["test"]["workflow"],
        "clusterProfile": ci["test"]["clusterProfile"],
        "env": json.dumps(ci["test"]["env"]),
        "releases": json.dumps(ci["releases"]),
        "buildRoot": "{}",
        "baseImages": "{}",
        "externalImages": "{}",
        "clusterClaim": "{}",
        "resources": "",
        "timeout": "2h",
    }
    values.update(override)
    return values


def run_provision(world: World, values: dict[str, str]) -> Run:
    kube = SimKube(world)
    lines: list[tuple[int, str]] = []
    results = MemoryResults()
    start = world.tick
    outcome = provision.provision(
        kube, provision_request(values), lambda s: lines.append((world.tick, s)), results
    )
    return Run(outcome, results.values, lines, world.tick - start)


def run_deprovision(world: World, timeout: str = "2h") -> Run:
    kube = SimKube(world)
    lines: list[tuple[int, str]] = []
    results = MemoryResults()
    start = world.tick
    req = deprovision.DeprovisionRequest.parse(
        {
            "testPlatformClusterClaimName": NAME,
            "testPlatformClusterClaimNamespace": NAMESPACE,
            "timeout": timeout,
        }
    )
    outcome = deprovision.deprovision(kube, req, lambda s: lines.append((world.tick, s)), results)
    return Run(outcome, results.values, lines, world.tick - start)


def leaked(world: World, text: str) -> list[int]:
    """Indexes of issued credential fragments found in `text` (never the fragments)."""
    fragments = [f for c in world.reconciler.issued.values() for f in c.fragments()]
    return [i for i, f in enumerate(fragments) if f in text]
