"""The seam over the lifecycle simulation: the tasks run against scripts/sim's World.

Only the World's public API and its control-plane store are used. Time is the simulation's
own clock (`World.now`: a tick is `store.TICK_SECONDS`), the same clock the provider's poll
interval and app.ci's phase lag run on, so a task's timeout and the world agree on what a
minute is. Waiting in `watch` is what advances the world, one tick at a time, until the
object changes or the deadline passes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scripts.sim.store import ConflictError
from scripts.tasks.seam import (
    CLAIM_API_VERSION,
    CLAIM_KIND,
    AlreadyExistsError,
    NotFoundError,
    Obj,
    Ref,
)

if TYPE_CHECKING:
    from scripts.sim.world import World

_KINDS = {"claim": (CLAIM_API_VERSION, CLAIM_KIND), "secret": ("v1", "Secret")}


def _merge(target: Obj, patch: Obj) -> Obj:
    """RFC 7386 JSON merge patch."""
    out = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class SimKube:
    """`Kube` for a World."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._start = world.now

    def now(self) -> float:
        """Seconds of simulated time since this seam was made."""
        return float(self.world.now - self._start)

    def create(self, obj: Obj) -> Obj:
        meta = obj["metadata"]
        # What crosses the wire is JSON: the stored copy shares nothing with the caller's dict.
        try:
            return self.world.control.create(json.loads(json.dumps(obj)))
        except ConflictError as err:
            raise AlreadyExistsError(f"{CLAIM_KIND} {meta['namespace']}/{meta['name']}") from err

    def get(self, ref: Ref) -> Obj | None:
        api_version, kind = _KINDS[ref.kind]
        return self.world.control.get(api_version, kind, ref.name, ref.namespace)

    def merge_patch(self, ref: Ref, patch: Obj) -> Obj:
        current = self.get(ref)
        if current is None:
            raise NotFoundError(f"{ref} not found")
        return self.world.control.update(_merge(current, patch))

    def watch(self, ref: Ref, deadline: float) -> Iterator[Obj | None]:
        current = self.get(ref)
        yield current
        version = _version(current)
        while self.now() < deadline:
            self.world.step()
            current = self.get(ref)
            if _version(current) != version:
                version = _version(current)
                yield current


def _version(obj: Obj | None) -> str | None:
    return None if obj is None else obj["metadata"].get("resourceVersion")
