"""A tiny in-memory Kubernetes API: objects, uids, finalizers and garbage collection.

Enough of the API server's behaviour for the lifecycle simulation to be honest about deletion:
a delete only sets `deletionTimestamp` while finalizers remain, an object is removed when its
last finalizer goes, and removing an object deletes its dependents (background cascading, by
ownerReferences uid). Every delete request and removal is recorded with the tick it happened
in, so invariants can ask "when was the EphemeralCluster first asked to go?".
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Key = tuple[str, str, str, str]  # apiVersion, kind, namespace, name


def key_of(obj: Mapping[str, Any]) -> Key:
    """The identity of a manifest."""
    meta = obj.get("metadata") or {}
    return (
        str(obj.get("apiVersion", "")),
        str(obj.get("kind", "")),
        str(meta.get("namespace", "")),
        str(meta.get("name", "")),
    )


#: Simulated seconds per tick. A tick stands for one reconcile of every controller; the
#: provider's poll intervals and the lifecycle's timing checks are counted in these seconds.
TICK_SECONDS = 30
_EPOCH = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)


def seconds(tick: int) -> int:
    """Simulated time at the start of `tick`, in seconds since the simulation started."""
    return tick * TICK_SECONDS


def timestamp(tick: int) -> str:
    """A real RFC 3339 time per tick (schemas declare date-time), TICK_SECONDS apart."""
    when = _EPOCH + datetime.timedelta(seconds=seconds(tick))
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class NotFoundError(KeyError):
    """No such object."""


class ConflictError(ValueError):
    """The object already exists."""


@dataclasses.dataclass
class Event:
    """One write to the store, for invariants and for reading a failed run."""

    tick: int
    verb: str  # create, update, status, delete-requested, removed
    key: Key


class Store:
    """One cluster's objects. All reads and writes copy, so callers never share state."""

    def __init__(self, name: str, clock: Callable[[], int]) -> None:
        self.name = name
        self.clock = clock
        self.objects: dict[Key, dict[str, Any]] = {}
        self.events: list[Event] = []
        self._uids = itertools.count(1)
        self._versions = itertools.count(1)

    # Reads --------------------------------------------------------------------------------

    def get(self, api_version: str, kind: str, name: str, namespace: str = "") -> dict | None:
        """A copy of the object, or None."""
        obj = self.objects.get((api_version, kind, namespace, name))
        return copy.deepcopy(obj) if obj is not None else None

    def must_get(self, api_version: str, kind: str, name: str, namespace: str = "") -> dict:
        """A copy of the object, which must exist (KeyError naming it otherwise)."""
        obj = self.get(api_version, kind, name, namespace)
        if obj is None:
            raise KeyError(f"{kind} {namespace}/{name} ({api_version}) does not exist")
        return obj

    def list(
        self,
        api_version: str | None = None,
        kind: str | None = None,
        namespace: str | None = None,
    ) -> list[dict]:
        """Copies of matching objects, sorted by key."""
        return [
            copy.deepcopy(self.objects[k])
            for k in sorted(self._match(api_version, kind, namespace))
        ]

    def _match(
        self, api_version: str | None, kind: str | None, namespace: str | None
    ) -> Iterator[Key]:
        for k in self.objects:
            if api_version is not None and k[0] != api_version:
                continue
            if kind is not None and k[1] != kind:
                continue
            if namespace is not None and k[2] != namespace:
                continue
            yield k

    def by_uid(self, uid: str) -> dict | None:
        """A copy of the object with this uid."""
        for obj in self.objects.values():
            if obj["metadata"].get("uid") == uid:
                return copy.deepcopy(obj)
        return None

    def requested_deletion(self, key: Key) -> int | None:
        """The first tick in which deletion of `key` was requested (None if never)."""
        return next(
            (e.tick for e in self.events if e.key == key and e.verb == "delete-requested"), None
        )

    # Writes -------------------------------------------------------------------------------

    def create(self, obj: Mapping[str, Any]) -> dict:
        """Create; the server sets uid, resourceVersion, generation and creationTimestamp."""
        new = copy.deepcopy(dict(obj))
        new.pop("status", None)  # the status subresource is written separately
        meta = new.setdefault("metadata", {})
        if not meta.get("name"):
            raise ValueError(f"{self.name}: cannot create {new.get('kind')} without a name")
        k = key_of(new)
        if k in self.objects:
            raise ConflictError(f"{self.name}: {k} already exists")
        meta["uid"] = f"{self.name}-uid-{next(self._uids):04d}"
        meta["generation"] = 1
        meta["creationTimestamp"] = f"tick-{self.clock()}"
        meta["resourceVersion"] = str(next(self._versions))
        self.objects[k] = new
        self.events.append(Event(self.clock(), "create", k))
        return copy.deepcopy(new)

    def update(self, obj: Mapping[str, Any]) -> dict:
        """Replace metadata (labels, annotations, finalizers, owners) and spec/data; keep status.

        The generation goes up when the spec changes, as for any resource with a status
        subresource.
        """
        k = key_of(obj)
        current = self.objects.get(k)
        if current is None:
            raise NotFoundError(k)
        new = copy.deepcopy(dict(obj))
        meta = new.setdefault("metadata", {})
        for field in ("uid", "creationTimestamp", "deletionTimestamp", "generation"):
            if field in current["metadata"]:
                meta[field] = current["metadata"][field]
            else:
                meta.pop(field, None)
        if "status" in current:
            new["status"] = current["status"]
        else:
            new.pop("status", None)
        if new.get("spec") != current.get("spec"):
            meta["generation"] = current["metadata"].get("generation", 1) + 1
        if new == current:
            return copy.deepcopy(current)
        meta["resourceVersion"] = str(next(self._versions))
        self.objects[k] = new
        self.events.append(Event(self.clock(), "update", k))
        self._finish_if_done(k)
        return copy.deepcopy(new)

    def update_status(self, obj: Mapping[str, Any]) -> dict:
        """Replace only the status (the status subresource)."""
        k = key_of(obj)
        current = self.objects.get(k)
        if current is None:
            raise NotFoundError(k)
        status = copy.deepcopy(obj.get("status"))
        if current.get("status") == status:
            return copy.deepcopy(current)
        if status is None:
            current.pop("status", None)
        else:
            current["status"] = status
        current["metadata"]["resourceVersion"] = str(next(self._versions))
        self.events.append(Event(self.clock(), "status", k))
        return copy.deepcopy(current)

    def delete(self, api_version: str, kind: str, name: str, namespace: str = "") -> None:
        """Request deletion: finalizers hold the object (deletionTimestamp set) until removed."""
        k = (api_version, kind, namespace, name)
        current = self.objects.get(k)
        if current is None:
            return
        meta = current["metadata"]
        if "deletionTimestamp" not in meta:
            meta["deletionTimestamp"] = f"tick-{self.clock()}"
            self.events.append(Event(self.clock(), "delete-requested", k))
        self._finish_if_done(k)

    def remove_finalizer(self, obj: Mapping[str, Any], finalizer: str) -> None:
        """Drop one finalizer; a deleted object without finalizers is removed."""
        k = key_of(obj)
        current = self.objects.get(k)
        if current is None:
            return
        finalizers = current["metadata"].get("finalizers") or []
        if finalizer in finalizers:
            current["metadata"]["finalizers"] = [f for f in finalizers if f != finalizer]
            if not current["metadata"]["finalizers"]:
                del current["metadata"]["finalizers"]
            self.events.append(Event(self.clock(), "update", k))
        self._finish_if_done(k)

    def _finish_if_done(self, k: Key) -> None:
        current = self.objects.get(k)
        if current is None:
            return
        meta = current["metadata"]
        if "deletionTimestamp" in meta and not meta.get("finalizers"):
            del self.objects[k]
            self.events.append(Event(self.clock(), "removed", k))
            self._collect(meta.get("uid", ""))

    def _collect(self, owner_uid: str) -> None:
        """Background cascading deletion of everything the removed object owned."""
        for k, obj in list(self.objects.items()):
            owners = obj["metadata"].get("ownerReferences") or []
            if any(o.get("uid") == owner_uid for o in owners):
                self.delete(*k[:2], k[3], k[2])
