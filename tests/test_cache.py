"""The response cache: answers only proven-identical requests, digests only when it can hit."""

from __future__ import annotations

import asyncio

import fnreq as f
import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import cache, fn


def _req(tag: str, version: str = "1", name: str = f.XR_NAME) -> fnv1.RunFunctionRequest:
    xr = f.xr_v1(name=name)
    xr["metadata"]["resourceVersion"] = version
    return f.request(xr, tag=tag)


def _run(runner: fn.FunctionRunner, req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    return asyncio.run(runner.RunFunction(req, None))


@pytest.fixture
def digests(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts calls of cache.digest (the cost the fingerprint gate avoids)."""
    calls: list[int] = []
    real = cache.digest

    def counting(req: fnv1.RunFunctionRequest) -> bytes | None:
        calls.append(1)
        return real(req)

    monkeypatch.setattr(cache, "digest", counting)
    return calls


def test_first_sightings_are_not_digested(digests: list[int]) -> None:
    runner = fn.FunctionRunner()
    for i in range(20):
        _run(runner, _req(f"tag-{i}", version=str(i)))
    assert digests == []
    assert runner.cache.hits == 0


def test_repeat_after_the_pending_window_is_cached_then_hit(digests: list[int]) -> None:
    runner = fn.FunctionRunner()
    first = _run(runner, _req("steady"))
    for i in range(cache.PENDING_MAX + 1):  # push the first sighting out of the pending list
        _run(runner, _req(f"other-{i}", version=str(i)))
    second = _run(runner, _req("steady"))
    assert second is not first  # composed again (pending entry gone), now stored by digest
    third = _run(runner, _req("steady"))
    assert third is second
    assert runner.cache.hits == 1
    assert len(digests) == 2  # only the two repeats were digested


def test_same_fingerprint_different_content_is_composed() -> None:
    runner = fn.FunctionRunner()
    plain = _run(runner, _req("same"))
    xr = f.xr_v1(spec={"ciOperator": {"changed": True}})
    xr["metadata"]["resourceVersion"] = "1"
    changed = _run(runner, f.request(xr, tag="same"))
    assert changed is not plain
    ci = f.desired(changed, "ec")["spec"]["forProvider"]["manifest"]["spec"]["ciOperator"]
    assert ci == {"changed": True}
    assert runner.cache.hits == 0


def test_fingerprint_reads_tag_name_and_resource_version() -> None:
    assert cache.fingerprint(_req("t", version="42", name="x")) == ("t", "x", "42")
    assert cache.fingerprint(f.request({"apiVersion": "v1"}, tag="t")) == ("t", "", "")


def test_oversized_requests_are_never_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_REQUEST_BYTES", 10)
    runner = fn.FunctionRunner()
    responses = [_run(runner, _req("big")) for _ in range(3)]
    assert responses[1] is not responses[2]
    assert runner.cache.hits == 0


BIG_TAG = "t" * (3_500_000)  # the reproducer: 3.5 MB tags


def _big_tag_req(i: int) -> fnv1.RunFunctionRequest:
    return _req(f"{i:08d}{BIG_TAG}", version=str(i))


def test_huge_tags_are_not_remembered_anywhere() -> None:
    """Before: each 3.5 MB tag stayed in the fingerprint list and the pending list."""
    runner = fn.FunctionRunner()
    for i in range(3):
        rsp = _run(runner, _big_tag_req(i))
        assert "ec" in rsp.desired.resources
    _run(runner, _big_tag_req(0))  # even a repeat is composed again
    assert runner.cache.fingerprints == 0
    assert len(runner.cache) == 0
    assert runner.cache.bytes_held == 0
    assert runner.cache.hits == 0


def test_a_request_over_the_size_limit_is_not_parked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_REQUEST_BYTES", 100)
    runner = fn.FunctionRunner()
    _run(runner, _req("small-tag"))
    assert (len(runner.cache), runner.cache.fingerprints, runner.cache.bytes_held) == (0, 0, 0)


def test_the_transport_size_is_trusted_without_measuring(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the served path the size comes from the wire bytes (cache.REQUEST_BYTES)."""
    runner = fn.FunctionRunner()

    async def served(req: fnv1.RunFunctionRequest, size: int) -> fnv1.RunFunctionResponse:
        cache.REQUEST_BYTES.set(size)
        return await runner.RunFunction(req, None)

    asyncio.run(served(_req("a"), cache.MAX_REQUEST_BYTES + 1))
    assert len(runner.cache) == 0
    asyncio.run(served(_req("b"), 10))
    assert len(runner.cache) == 1


def test_a_response_over_the_size_limit_is_not_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cache, "MAX_RESPONSE_BYTES", 100)
    runner = fn.FunctionRunner()
    for _ in range(3):
        _run(runner, _req("steady"))
    assert len(runner.cache) == 0
    assert runner.cache.bytes_held == 0
    assert runner.cache.hits == 0


def test_held_bytes_stay_within_the_budget_and_are_counted_exactly() -> None:
    size = fn.compose(_req("probe")).ByteSize()
    budget = 8 * 6 * size  # 5 parked sightings (request + response) fit in the parked share
    runner = fn.FunctionRunner(cache_entries=1000, cache_bytes=budget)
    for i in range(60):
        req = _req(f"tag-{i}", version=str(i))
        _run(runner, req)
        _run(runner, req)  # second sighting: parked one is answered and stored
        _run(runner, req)  # third: a hit from the table
        held = runner.cache.bytes_held
        assert held <= budget
    entries = list(runner.cache._data.values())
    parked = list(runner.cache._pending.values())
    assert held == sum(n for _, n in entries) + sum(p.size for p in parked)
    assert held == sum(rsp.ByteSize() for rsp, _ in entries) + sum(
        p.req.ByteSize() + p.rsp.ByteSize() for p in parked
    )
    assert 0 < len(entries) < 60  # the budget, not the 1000 entries, evicted the oldest
    assert runner.cache.hits == 120
    # The most recent request is still answered from the cache; the oldest is not.
    assert _run(runner, _req("tag-59", version="59")) is entries[-1][0]
    assert runner.cache.hits == 121
    _run(runner, _req("tag-0", version="0"))
    assert runner.cache.hits == 121


def test_first_sightings_count_against_the_budget() -> None:
    req_size = _req("tag-0").ByteSize()
    rsp_size = fn.compose(_req("tag-0")).ByteSize()
    budget = cache.PENDING_SHARE * 3 * (req_size + rsp_size) + 10
    runner = fn.FunctionRunner(cache_bytes=budget)
    for i in range(cache.PENDING_MAX):
        _run(runner, _req(f"tag-{i}", version=str(i)))
    assert len(runner.cache) == 3  # PENDING_MAX would have kept 8
    assert runner.cache.bytes_held <= budget // cache.PENDING_SHARE


def test_a_real_server_stays_small_under_huge_tags() -> None:
    """The issue's reproducer, shortened: before, 60 calls with 3.5 MB tags added ~200 MiB."""
    import grpc
    import serving
    from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

    from scripts.bench import procstat

    mib = 1024 * 1024
    limits = [("grpc.max_receive_message_length", 16 * mib)]
    limits.append(("grpc.max_send_message_length", 16 * mib))
    with serving.server("--insecure", "--max-recv-message-size", "8") as (proc, port):
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=limits) as channel:
            stub = grpcv1.FunctionRunnerServiceStub(channel)
            for i in range(70):
                if i == 10:  # after warming up: allocator arenas at their working size
                    before = procstat.rss_kb(proc.pid)
                tag = f"{i:06d}{BIG_TAG}"
                rsp = stub.RunFunction(f.request(f.xr_v1(), tag=tag), timeout=60)
                assert rsp.meta.tag == tag
                assert "ec" in rsp.desired.resources
            growth_mib = (procstat.rss_kb(proc.pid) - before) / 1024
        assert serving.stop(proc)[0] == 0
    assert growth_mib < 64, f"RSS grew {growth_mib:.0f} MiB over 60 calls with 3.5 MB tags"
