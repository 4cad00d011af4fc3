"""Memoized responses: the function is a pure function of its request.

Crossplane calls the function again and again with the same observed state (every poll of a
steady XR); the protocol even promises that requests with the same tag are identical. The
cache keys on a digest of the whole request (not on the tag alone, so a caller that reuses a
tag for different content still gets a correct answer), bounded in entries and request size.
Responses live only in this process's memory.
"""

from __future__ import annotations

import collections
import hashlib

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

DEFAULT_ENTRIES = 256
MAX_REQUEST_BYTES = 256 * 1024  # bigger requests are composed every time


class ResponseCache:
    """An LRU of responses keyed by a digest of the deterministic request bytes."""

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        """`entries` = 0 disables caching."""
        self.entries = entries
        self.hits = 0
        self._data: collections.OrderedDict[bytes, fnv1.RunFunctionResponse] = (
            collections.OrderedDict()
        )

    def key(self, req: fnv1.RunFunctionRequest) -> bytes | None:
        """The cache key of `req`, or None when it must not be cached."""
        try:
            if self.entries <= 0 or req.ByteSize() > MAX_REQUEST_BYTES:
                return None
            data = req.SerializeToString(deterministic=True)
        except Exception:  # a cache must never fail a call
            return None
        return hashlib.blake2b(data, digest_size=20).digest()

    def get(self, key: bytes | None) -> fnv1.RunFunctionResponse | None:
        """The cached response (shared: callers must not modify it)."""
        if key is None:
            return None
        rsp = self._data.get(key)
        if rsp is not None:
            self._data.move_to_end(key)
            self.hits += 1
        return rsp

    def put(self, key: bytes | None, rsp: fnv1.RunFunctionResponse) -> None:
        """Remember `rsp`, evicting the least recently used entry when full."""
        if key is None:
            return
        self._data[key] = rsp
        if len(self._data) > self.entries:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        """Entries held."""
        return len(self._data)
