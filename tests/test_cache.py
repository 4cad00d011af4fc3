"""The response cache: answers only proven-identical requests, digests only when it can hit."""

from __future__ import annotations

import asyncio

import fnreq as f
import pytest

from function import cache, fn


def _req(tag: str, version: str = "1", name: str = f.XR_NAME) -> object:
    xr = f.xr_v1(name=name)
    xr["metadata"]["resourceVersion"] = version
    return f.request(xr, tag=tag)


def _run(runner: fn.FunctionRunner, req: object) -> object:
    return asyncio.run(runner.RunFunction(req, None))


@pytest.fixture
def digests(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts calls of cache.digest (the cost the fingerprint gate avoids)."""
    calls: list[int] = []
    real = cache.digest

    def counting(req: object) -> bytes | None:
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
