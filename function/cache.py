"""Memoized responses: the function is a pure function of its request.

Crossplane calls the function again and again with the same observed state (every poll of a
steady XR). The cache keys on a digest of the whole request, serialized deterministically
(not on the tag alone, so a caller that reuses a tag for different content still gets a
correct answer), bounded in entries and request size. Responses live only in this process's
memory.

The digest costs about as much as a third of composing, so it is only computed when a hit is
possible: a cheap fingerprint (tag, XR name and resourceVersion), equal for equal requests,
must have been seen before. A request met for the first time is composed without a digest
and parked (request and response) in a short pending list; if an identical request follows
while it is parked, it is digested then and answered from there. Every answer from the cache
is still proven by a full digest match.
"""

from __future__ import annotations

import collections
import hashlib
from typing import NamedTuple

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

DEFAULT_ENTRIES = 256
MAX_REQUEST_BYTES = 256 * 1024  # bigger requests are composed every time
PENDING_MAX = 8  # first sightings kept (request + response) for an immediate repeat
SEEN_PER_ENTRY = 4  # fingerprints remembered per cache entry

Fingerprint = tuple[str, str, str]


class Slot(NamedTuple):
    """Where `put` files a composed response: its fingerprint and, if computed, its digest."""

    fingerprint: Fingerprint
    key: bytes | None


def fingerprint(req: fnv1.RunFunctionRequest) -> Fingerprint:
    """Tag, XR name and XR resourceVersion: equal requests have equal fingerprints."""
    meta = req.observed.composite.resource.fields.get("metadata")
    if meta is None:
        return (req.meta.tag, "", "")
    fields = meta.struct_value.fields
    name = fields.get("name")
    version = fields.get("resourceVersion")
    return (
        req.meta.tag,
        "" if name is None else name.string_value,
        "" if version is None else version.string_value,
    )


def digest(req: fnv1.RunFunctionRequest) -> bytes | None:
    """A digest of the deterministic request bytes, or None when it must not be cached."""
    try:
        # One serialization, then its length: ByteSize() would walk the message again.
        data = req.SerializeToString(deterministic=True)
    except Exception:  # a cache must never fail a call
        return None
    if len(data) > MAX_REQUEST_BYTES:
        return None
    return hashlib.blake2b(data, digest_size=20).digest()


class ResponseCache:
    """An LRU of `entries` responses keyed by request digest, plus a few first sightings."""

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        """`entries` = 0 disables caching."""
        self.entries = entries
        self.hits = 0
        self._data: collections.OrderedDict[bytes, fnv1.RunFunctionResponse] = (
            collections.OrderedDict()
        )
        self._pending: collections.OrderedDict[
            Fingerprint, tuple[fnv1.RunFunctionRequest, fnv1.RunFunctionResponse]
        ] = collections.OrderedDict()
        self._seen: collections.OrderedDict[Fingerprint, None] = collections.OrderedDict()

    def lookup(
        self, req: fnv1.RunFunctionRequest
    ) -> tuple[fnv1.RunFunctionResponse | None, Slot | None]:
        """The cached response (shared: callers must not modify it), else where to put one."""
        if self.entries <= 0:
            return None, None
        mark = fingerprint(req)
        if mark not in self._seen:
            self._seen[mark] = None
            if len(self._seen) > SEEN_PER_ENTRY * self.entries:
                self._seen.popitem(last=False)
            return None, Slot(mark, None)  # never met: it cannot be cached
        self._seen.move_to_end(mark)
        key = digest(req)
        if key is None:
            return None, None
        rsp = self._data.get(key)
        if rsp is not None:
            self._data.move_to_end(key)
            self.hits += 1
            return rsp, None
        parked = self._pending.pop(mark, None)
        if parked is not None and digest(parked[0]) == key:
            self._store(key, parked[1])
            self.hits += 1
            return parked[1], None
        return None, Slot(mark, key)

    def put(
        self, slot: Slot | None, req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse
    ) -> None:
        """Remember `rsp` for `req` as `lookup` said; evicts the oldest entries when full."""
        if slot is None:
            return
        if slot.key is not None:
            self._store(slot.key, rsp)
            return
        self._pending[slot.fingerprint] = (req, rsp)
        self._pending.move_to_end(slot.fingerprint)
        while len(self._pending) > min(PENDING_MAX, self.entries):
            self._pending.popitem(last=False)

    def _store(self, key: bytes, rsp: fnv1.RunFunctionResponse) -> None:
        self._data[key] = rsp
        self._data.move_to_end(key)
        if len(self._data) > self.entries:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        """Responses held."""
        return len(self._data) + len(self._pending)
