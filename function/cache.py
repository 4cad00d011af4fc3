"""Memoized responses: the function is a pure function of its request.

Crossplane calls the function again and again with the same observed state (every poll of a
steady XR). The cache keys on a digest of the whole request, serialized deterministically
(not on the tag alone, so a caller that reuses a tag for different content still gets a
correct answer). Responses live only in this process's memory.

The digest costs about as much as a third of composing, so it is only computed when a hit is
possible: a cheap fingerprint (tag, XR name and resourceVersion), equal for equal requests,
must have been seen before. A request met for the first time is composed without a digest
and parked (request and response) in a short pending list; if an identical request follows
while it is parked, it is digested then and answered from there. Every answer from the cache
is still proven by a full digest match.

Bounded in bytes, not only in entries (a caller controls the sizes): responses and parked
first sightings together hold at most `max_bytes` of serialized protobuf (the parked ones at
most 1/`PENDING_SHARE` of it, each part evicting its own oldest first), and a request over
`MAX_REQUEST_BYTES`, a response over `MAX_RESPONSE_BYTES` or a fingerprint over
`MAX_FINGERPRINT_CHARS` (a huge tag is part of the fingerprint) is not remembered anywhere:
not in the digest table, not in the pending list, not in the fingerprint list. The
fingerprint list holds at most `SEEN_PER_ENTRY * entries` fingerprints of at most
`MAX_FINGERPRINT_CHARS` each (1 MiB with the defaults). The request's size comes from the
gRPC layer (`REQUEST_BYTES`, set by `function.server` from the wire bytes it parsed), so
measuring costs nothing on the served path; a direct call measures it with ByteSize().
"""

from __future__ import annotations

import collections
import contextvars
import hashlib
from typing import NamedTuple

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

DEFAULT_ENTRIES = 256
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # stored responses + parked first sightings
MAX_REQUEST_BYTES = 256 * 1024  # bigger requests are composed every time, never remembered
MAX_RESPONSE_BYTES = 256 * 1024  # bigger responses are never remembered
MAX_FINGERPRINT_CHARS = 1024  # Crossplane's tag is 64 hex characters, a name at most 253
PENDING_MAX = 8  # first sightings kept (request + response) for an immediate repeat
PENDING_SHARE = 8  # parked first sightings hold at most max_bytes / PENDING_SHARE
SEEN_PER_ENTRY = 4  # fingerprints remembered per cache entry

# Size of the serialized request being answered, when the transport knows it.
REQUEST_BYTES: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "request_bytes", default=None
)

Fingerprint = tuple[str, str, str]


class Slot(NamedTuple):
    """Where `put` files a composed response: fingerprint, digest if computed, request size."""

    fingerprint: Fingerprint
    key: bytes | None
    request_bytes: int


class Parked(NamedTuple):
    """A first sighting: the request (to prove a repeat), its response, both sizes."""

    req: fnv1.RunFunctionRequest
    rsp: fnv1.RunFunctionResponse
    req_bytes: int
    rsp_bytes: int

    @property
    def size(self) -> int:
        """Bytes this entry holds."""
        return self.req_bytes + self.rsp_bytes


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


def request_bytes(req: fnv1.RunFunctionRequest) -> int:
    """The request's serialized size: from the transport if it said, else measured."""
    size = REQUEST_BYTES.get()
    return req.ByteSize() if size is None else size


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
    """An LRU of responses keyed by request digest, plus a few first sightings; byte-bounded."""

    def __init__(self, entries: int = DEFAULT_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        """`entries` = 0 disables caching; `max_bytes` bounds responses + parked sightings."""
        self.entries = entries
        self.max_bytes = max_bytes
        self.hits = 0
        self._data_bytes = 0
        self._pending_bytes = 0
        self._data: collections.OrderedDict[bytes, tuple[fnv1.RunFunctionResponse, int]] = (
            collections.OrderedDict()
        )
        self._pending: collections.OrderedDict[Fingerprint, Parked] = collections.OrderedDict()
        self._seen: collections.OrderedDict[Fingerprint, None] = collections.OrderedDict()

    def lookup(
        self, req: fnv1.RunFunctionRequest
    ) -> tuple[fnv1.RunFunctionResponse | None, Slot | None]:
        """The cached response (shared: callers must not modify it), else where to put one."""
        if self.entries <= 0:
            return None, None
        mark = fingerprint(req)
        if sum(map(len, mark)) > MAX_FINGERPRINT_CHARS:
            return None, None  # oversized: never remembered, not even as a fingerprint
        size = request_bytes(req)
        if size > MAX_REQUEST_BYTES:
            return None, None
        if mark not in self._seen:
            self._seen[mark] = None
            if len(self._seen) > SEEN_PER_ENTRY * self.entries:
                self._seen.popitem(last=False)
            return None, Slot(mark, None, size)  # never met: it cannot be cached
        self._seen.move_to_end(mark)
        return self._seen_before(req, mark, size)

    def _seen_before(
        self, req: fnv1.RunFunctionRequest, mark: Fingerprint, size: int
    ) -> tuple[fnv1.RunFunctionResponse | None, Slot | None]:
        """A fingerprint met before: digest, then the table, then the parked first sighting."""
        key = digest(req)
        if key is None:
            return None, None
        held = self._data.get(key)
        if held is not None:
            self._data.move_to_end(key)
            self.hits += 1
            return held[0], None
        parked = self._pending.pop(mark, None)
        if parked is not None:
            self._pending_bytes -= parked.size
            if digest(parked.req) == key:
                self._store(key, parked.rsp, parked.rsp_bytes)
                self.hits += 1
                return parked.rsp, None
        return None, Slot(mark, key, size)

    def put(
        self, slot: Slot | None, req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse
    ) -> None:
        """Remember `rsp` for `req` as `lookup` said; evicts the oldest entries when full."""
        if slot is None:
            return
        size = rsp.ByteSize()
        if size > MAX_RESPONSE_BYTES:
            return
        if slot.key is not None:
            self._store(slot.key, rsp, size)
            return
        old = self._pending.pop(slot.fingerprint, None)
        if old is not None:
            self._pending_bytes -= old.size
        parked = Parked(req, rsp, slot.request_bytes, size)
        self._pending[slot.fingerprint] = parked
        self._pending_bytes += parked.size
        limit = min(PENDING_MAX, self.entries)
        while self._pending and (
            len(self._pending) > limit or self._pending_bytes > self.max_bytes // PENDING_SHARE
        ):
            self._pending_bytes -= self._pending.popitem(last=False)[1].size

    def _store(self, key: bytes, rsp: fnv1.RunFunctionResponse, size: int) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self._data_bytes -= old[1]
        self._data[key] = (rsp, size)
        self._data_bytes += size
        budget = self.max_bytes - self.max_bytes // PENDING_SHARE
        while self._data and (len(self._data) > self.entries or self._data_bytes > budget):
            self._data_bytes -= self._data.popitem(last=False)[1][1]

    @property
    def bytes_held(self) -> int:
        """Serialized bytes of the responses and parked first sightings held."""
        return self._data_bytes + self._pending_bytes

    @property
    def fingerprints(self) -> int:
        """Fingerprints remembered (the gate in front of the digest)."""
        return len(self._seen)

    def __len__(self) -> int:
        """Responses held."""
        return len(self._data) + len(self._pending)
