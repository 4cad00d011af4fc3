"""Helpers shared by the lifecycle tests (tests/test_lifecycle*.py): the tenant's steps and
the checks every scenario makes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import validation as v

from function import fn as function
from scripts import crdschema
from scripts.sim import invariants
from scripts.sim.world import World, load

HIVE = load("examples/xr-v2.yaml")["spec"]["ciOperator"]


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


def make_world(target: str, logs: Callable[[], str] = lambda: "", **options: Any) -> World:
    world = World(target, **options)
    world.checks += invariants.standard(logs)
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


def flip_teardown_back(world: World) -> None:
    """Issue 10, point 3: the tenant asks for teardown while provider-kubernetes is down, then
    drops the flag again before the provider synced it; teardown was sent (the Object's spec
    says so) and must stay sent, so the cluster is torn down once the provider runs again."""
    provision(world)
    world.stop_provider()
    world.patch_request(tearDownCluster=True)
    world.step()  # Crossplane applied the Object with teardown; app.ci has not seen it
    world.patch_request(tearDownCluster=False)
    for _ in range(2):
        world.step()
    world.start_provider()
    world.run_until(
        lambda w: (w.ec() or {}).get("status", {}).get("phase") == "Deprovisioned",
        "EC Deprovisioned after the flag was dropped",
    )
    world.delete_request()
    world.run_until(everything_gone, "everything deleted")


def real_function(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """The function called in-process (no cache), for wrapping in altered variants."""
    return asyncio.run(function.FunctionRunner(cache_entries=0).RunFunction(req, None))
