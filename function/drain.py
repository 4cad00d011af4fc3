"""Graceful stop on SIGTERM: every call the server has received gets its answer.

Why `server.stop(grace)` alone drops calls (grpcio 1.84.0, read in grpc/grpc at that tag):
- `grpc.aio` keeps one outstanding "request call" per registered method
  (`AioServer._server_main_loop` in src/python/grpcio/grpc/_cython/_cygrpc/aio/server.pyx.pxi)
  and re-arms it only when the event loop gets control back. The function composes
  synchronously inside its coroutine, so while a burst is being composed the calls that arrive
  on the wire wait in gRPC core's pending queue, received but not yet handed to Python.
- `stop(grace)` calls `grpc_server_shutdown_and_notify`; core's `Server::ShutdownAndNotify`
  (src/core/server/server.cc) runs `KillPendingWorkLocked`, which zombifies every pending,
  unmatched call: the client sees CANCELLED. The grace period only covers calls already handed
  to a handler, and the process exits as soon as those are done.

So on SIGTERM the server first keeps serving (the listener stays open, pending calls are
matched and answered) until no call has started, run or ended for `QUIET_SECONDS` (counted
from the signal at the earliest) with the event loop free, which means core's queue is empty,
or until half the grace period is spent; only then
does it call `stop()` with the rest of the grace period, which sends GOAWAY and waits for the
calls in progress. Under a load that never pauses, calls still pending at that moment are
cancelled, as they would be by any server that stops.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import grpc
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

QUIET_SECONDS = 0.1  # no call for this long, loop free: core holds no unmatched call
POLL_SECONDS = 0.02


Context = grpc.aio.ServicerContext[fnv1.RunFunctionRequest, fnv1.RunFunctionResponse]


class Runner(Protocol):
    """What the server serves: the function's servicer, the bench's no-op, or this tracker
    (the SDK's generated servicer base class is untyped)."""

    async def RunFunction(  # noqa: N802 - gRPC method name
        self, req: fnv1.RunFunctionRequest, context: Context | None = None, /
    ) -> fnv1.RunFunctionResponse:
        """Answer one call."""
        ...


class CallTracker(grpcv1.FunctionRunnerServiceServicer):
    """Wraps the servicer to count calls in progress and remember the last start or end."""

    def __init__(self, runner: Runner) -> None:
        """`runner` answers the calls; this only counts them."""
        self.runner = runner
        self.active = 0
        self.last_activity = time.monotonic()

    async def RunFunction(  # noqa: N802 - gRPC method name
        self, req: fnv1.RunFunctionRequest, context: Context | None = None
    ) -> fnv1.RunFunctionResponse:
        """Delegate to the wrapped servicer."""
        self.active += 1
        self.last_activity = time.monotonic()
        try:
            return await self.runner.RunFunction(req, context)
        finally:
            self.active -= 1
            self.last_activity = time.monotonic()

    def idle_since(self, since: float, quiet: float = QUIET_SECONDS) -> bool:
        """No call running, and none started or ended within `quiet` seconds after `since`."""
        now = time.monotonic()
        return self.active == 0 and now - max(self.last_activity, since) >= quiet


async def drain_then_stop(server: grpc.aio.Server, tracker: CallTracker, grace: float) -> None:
    """Serve until idle (at most grace/2), then stop with what is left of `grace`."""
    signalled = time.monotonic()
    deadline = signalled + grace
    keep_serving_until = deadline - grace / 2
    while time.monotonic() < keep_serving_until and not tracker.idle_since(signalled):
        await asyncio.sleep(POLL_SECONDS)
    await server.stop(grace=max(deadline - time.monotonic(), 0.0))
