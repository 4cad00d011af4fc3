"""Checks that hold at every tick of a lifecycle, whatever happens.

They raise `InvariantError` (an AssertionError) naming the tick and the place, never the
secret itself: a failing run must not print a credential either.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from scripts.sim import appci

if TYPE_CHECKING:
    from scripts.sim.world import World


class InvariantError(AssertionError):
    """A lifecycle rule was broken."""


def ec_outlives_request(world: World) -> None:
    """No EphemeralCluster is asked to go before the tenant deleted its claim (or v2 XR)."""
    asked = world.control.requested_deletion(world.request_key)
    for event in world.appci.events:
        if event.key[1] != appci.KIND or event.verb not in ("delete-requested", "removed"):
            continue
        if asked is None or event.tick < asked:
            raise InvariantError(
                f"tick {world.tick}: EphemeralCluster {event.key[3]} was deleted at tick "
                f"{event.tick}, before the claim was (deletion requested: {asked})"
            )


def one_cluster(world: World) -> None:
    """A request never produces a second EphemeralCluster."""
    count = len(world.ecs())
    if count > 1:
        raise InvariantError(f"tick {world.tick}: {count} EphemeralClusters for one request")


class NoSecretLeaks:
    """Issued credentials appear nowhere but in Secrets (and app.ci's own EC status).

    Looked at: every non-Secret object on the control plane (Objects: metadata and spec, what
    Crossplane applied; their status.atProvider copies app.ci by design), every result and
    condition message the function returned, every reconcile error, and the function's log.
    """

    def __init__(self, logs: Callable[[], str] = lambda: "") -> None:
        self.logs = logs

    def __call__(self, world: World) -> None:
        fragments = [f for c in world.reconciler.issued.values() for f in c.fragments()]
        if not fragments:
            return
        places: dict[str, str] = {}
        for obj in world.control.list():
            kind, name = obj.get("kind"), obj["metadata"].get("name")
            if kind == "Secret":
                continue
            shown = (
                {"metadata": obj["metadata"], "spec": obj.get("spec")} if kind == "Object" else obj
            )
            places[f"{kind} {name}"] = json.dumps(shown)
        places["function results"] = "\n".join(world.composite.results)
        places["function condition messages"] = "\n".join(world.composite.condition_messages)
        places["reconcile errors"] = "\n".join(world.composite.errors)
        places["function log"] = self.logs()
        for where, text in places.items():
            for index, fragment in enumerate(fragments):
                if fragment in text:
                    raise InvariantError(
                        f"tick {world.tick}: credential fragment #{index} leaked into {where}"
                    )


class KubeconfigStable:
    """Once delivered, the tenant's kubeconfig never changes or vanishes until deletion."""

    def __init__(self) -> None:
        self.delivered: bytes | None = None

    def __call__(self, world: World) -> None:
        if world.control.requested_deletion(world.request_key) is not None:
            return
        current = world.connection_secret().get("kubeconfig")
        if self.delivered is None:
            self.delivered = current or None
        elif current != self.delivered:
            raise InvariantError(f"tick {world.tick}: the tenant's kubeconfig changed or vanished")


def standard(logs: Callable[[], str] = lambda: "") -> list[Callable[[World], None]]:
    """Every invariant, ready for `World.checks`."""
    return [ec_outlives_request, one_cluster, NoSecretLeaks(logs), KubeconfigStable()]
