"""The load generator: closed-loop RunFunction calls at a fixed concurrency, cheap per call.

The client shares the machine's cores with the servers, so it does as little as it can per
call: requests are pre-serialized bytes (no protobuf work), calls are issued with gRPC's
C-core futures, and each completion issues the next call from the completion callback (no
thread hand-off, no asyncio loop). Responses are kept as bytes and checked after the round.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import grpc

from scripts.bench import servers

CALL_TIMEOUT = 30.0
# RunFunction on raw bytes; quoted because grpc's classes are generic in the stubs only.
Call: TypeAlias = "grpc.UnaryUnaryMultiCallable[bytes, bytes]"
# A source returns (ref, request bytes), or None when done; the sink gets the ref back with the
# response bytes (or the RpcError) and the latency in seconds.
Source = Callable[[], tuple[Any, bytes] | None]
Sink = Callable[[Any, bytes | BaseException, float], None]


def channel(target: str, *, own_connection: bool = False) -> grpc.Channel:
    """A plain-text channel; `own_connection` gives it its own TCP connection.

    gRPC Python shares connections between channels with the same target and options;
    SO_REUSEPORT spreads connections, not calls, so a multi-worker test needs several.
    """
    options: list[tuple[str, Any]] = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    if own_connection:
        options.append(("grpc.use_local_subchannel_pool", 1))
    return grpc.insecure_channel(target, options=options)


def multicallable(chan: grpc.Channel) -> Call:
    """RunFunction on `chan` taking and returning raw bytes (no (de)serializers)."""
    call: Call = chan.unary_unary(servers.METHOD)
    return call


class _Closed:
    """`concurrency` chains of calls; each completion starts the chain's next call."""

    def __init__(self, calls: Sequence[Call], source: Source, sink: Sink) -> None:
        self.calls = calls
        self.source = source
        self.sink = sink
        self.lock = threading.Lock()
        self.active = 0
        self.done = threading.Event()

    def start(self, concurrency: int) -> None:
        with self.lock:
            self.active = concurrency
        for slot in range(concurrency):
            self._issue(slot)

    def _issue(self, slot: int) -> None:
        item = self.source()
        if item is None:
            with self.lock:
                self.active -= 1
                if self.active == 0:
                    self.done.set()
            return
        ref, payload = item
        started = time.perf_counter()
        future = self.calls[slot % len(self.calls)].future(payload, timeout=CALL_TIMEOUT)
        future.add_done_callback(lambda fut: self._complete(slot, ref, started, fut))

    def _complete(self, slot: int, ref: Any, started: float, future: grpc.Future[bytes]) -> None:
        elapsed = time.perf_counter() - started
        try:
            result: bytes | BaseException = future.result()
        except grpc.RpcError as err:
            result = err
        try:
            self.sink(ref, result, elapsed)
        finally:
            self._issue(slot)


def run(
    calls: Sequence[Call],
    source: Source,
    sink: Sink,
    concurrency: int,
) -> float:
    """Drive calls until `source` returns None; returns the wall time in seconds.

    Call slot i uses `calls[i % len(calls)]`, so passing several channels spreads the slots
    over several connections.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    driver = _Closed(calls, source, sink)
    started = time.perf_counter()
    driver.start(concurrency)
    driver.done.wait()
    return time.perf_counter() - started


@dataclasses.dataclass
class Batch:
    """The outcome of a fixed list of calls: per-call latency and response, by call order."""

    tags: list[str]
    latencies: list[float]
    responses: list[bytes | BaseException | None]
    wall: float = 0.0


def batch(
    calls: Sequence[Call],
    payloads: Sequence[tuple[str, bytes]],
    concurrency: int,
) -> Batch:
    """Send every (tag, payload) once at `concurrency`; keep latencies and raw responses."""
    count = len(payloads)
    out = Batch(
        tags=[tag for tag, _ in payloads],
        latencies=[0.0] * count,
        responses=[None] * count,
    )
    feed = enumerate(payload for _, payload in payloads)
    feed_lock = threading.Lock()

    def source() -> tuple[int, bytes] | None:
        with feed_lock:
            return next(feed, None)

    def sink(at: int, result: bytes | BaseException, elapsed: float) -> None:
        out.latencies[at] = elapsed
        out.responses[at] = result

    out.wall = run(calls, source, sink, concurrency)
    return out
