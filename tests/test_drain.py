"""SIGTERM drains: every call the server has received is answered, then it exits 0.

The server is the real CLI and serving code; only compose is made slow (a blocking sleep on
the event loop, as a long compose blocks it) so that 16 calls are certainly outstanding when
SIGTERM arrives. Before the fix about half of them ended CANCELLED.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import fnreq as f
import grpc
import pytest
import serving
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

from function import drain
from scripts import procs

CALLS = 16
SLOW_SECONDS = 0.06  # 16 calls: ~1 s of blocked loop, well inside half the 5 s grace period

SLOW_SERVER = f"""
import os, pathlib, time
from function import fn

class Slow(fn.FunctionRunner):
    async def RunFunction(self, req, context=None):
        pathlib.Path(os.environ["DRAIN_MARK"]).touch()
        time.sleep({SLOW_SECONDS})  # blocks the event loop, like a long compose
        return await super().RunFunction(req, context)

fn.FunctionRunner = Slow
from function.main import cli
cli()
"""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_answers_all_16_outstanding_calls_then_exits_0(tmp_path: Path, workers: str):
    mark = tmp_path / "started"
    environ = serving.env(DRAIN_MARK=str(mark))
    command = [serving.COMMAND[0], "-c", SLOW_SERVER]
    with serving.server("--insecure", "--workers", workers, command=command, environ=environ) as (
        proc,
        port,
    ):
        options = [("grpc.use_local_subchannel_pool", 1)]
        channels = [grpc.insecure_channel(f"127.0.0.1:{port}", options=options) for _ in range(2)]
        try:
            futures = [
                grpcv1.FunctionRunnerServiceStub(channels[i % 2]).RunFunction.future(
                    f.request(f.xr_v1(), tag=f"drain-{i}"), timeout=30
                )
                for i in range(CALLS)
            ]
            procs.wait_until(proc, mark.exists, 30.0)  # the server started a call
            time.sleep(0.2)  # every request is on the server by now; most are not answered
            answered_before = sum(fut.done() for fut in futures)
            code, out, err = serving.stop(proc)
            outcomes = []
            for fut in futures:
                try:
                    outcomes.append((fut.result().meta.tag, "OK"))
                except grpc.RpcError as failure:
                    outcomes.append(("", failure.code().name))
        finally:
            for channel in channels:
                channel.close()
    assert answered_before < CALLS  # the test really had calls outstanding at SIGTERM
    assert [status for _, status in outcomes] == ["OK"] * CALLS
    assert sorted(tag for tag, _ in outcomes) == sorted(f"drain-{i}" for i in range(CALLS))
    assert code == 0, err
    assert "Traceback" not in err
    assert '"msg": "stopping"' in out
    assert '"msg": "stopped"' in out


def _idle(tracker: drain.CallTracker, since: float, quiet: float) -> bool:
    return tracker.idle_since(since, quiet)


def test_tracker_counts_calls_and_waits_for_quiet() -> None:
    class Echo:
        async def RunFunction(  # noqa: N802
            self, req: fnv1.RunFunctionRequest, _context: drain.Context | None = None
        ) -> fnv1.RunFunctionResponse:
            assert tracker.active == 1
            return fnv1.RunFunctionResponse(meta=fnv1.ResponseMeta(tag=req.meta.tag))

    tracker = drain.CallTracker(Echo())
    start = time.monotonic()
    assert not _idle(tracker, start, quiet=0.05)  # just signalled: not yet quiet
    req = fnv1.RunFunctionRequest(meta=fnv1.RequestMeta(tag="req"))
    assert asyncio.run(tracker.RunFunction(req)).meta.tag == "req"
    assert tracker.active == 0
    assert not _idle(tracker, start, quiet=0.05)  # a call just ended
    time.sleep(0.06)
    assert _idle(tracker, start, quiet=0.05)


def test_tracker_counts_a_call_that_raises() -> None:
    class Boom:
        async def RunFunction(  # noqa: N802
            self, req: fnv1.RunFunctionRequest, _context: drain.Context | None = None
        ) -> fnv1.RunFunctionResponse:
            raise RuntimeError(req.meta.tag)

    tracker = drain.CallTracker(Boom())
    with pytest.raises(RuntimeError):
        asyncio.run(tracker.RunFunction(fnv1.RunFunctionRequest(meta=fnv1.RequestMeta(tag="x"))))
    assert tracker.active == 0
