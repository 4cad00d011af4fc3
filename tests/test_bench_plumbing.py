"""fn-bench's plumbing: /proc parsing, percentiles, response checks, payloads, turns, CLI.

No timing assertions here: speed goals live in the bench output, never in unit tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import fn, structs
from scripts.bench import cli, load, measure, payloads, procstat, stats, verify
from scripts.bench.servers import BenchError

# --- /proc ---------------------------------------------------------------------------------

STAT = (
    "4242 (python -c x) y)) S 1 4242 4242 0 -1 4194560 9000 0 0 0 "
    "250 75 3 4 20 0 5 0 123456 300000000 12000 18446744073709551615"
)
STATUS = "Name:\tpython\nVmPeak:\t  90000 kB\nVmRSS:\t   51234 kB\nThreads:\t5\n"


def test_stat_cpu_is_utime_plus_stime_after_the_command_name() -> None:
    assert procstat.parse_stat_cpu(STAT, clk_tck=100) == pytest.approx(3.25)


def test_status_rss_and_a_zombie_without_one() -> None:
    assert procstat.parse_status_rss_kb(STATUS) == 51234
    assert procstat.parse_status_rss_kb("Name:\tzombie\nState:\tZ (zombie)\n") == 0


def _fake_proc(root: Path, pid: int, cpu_ticks: tuple[int, int], rss: int, kids: list[int]) -> None:
    task = root / str(pid) / "task" / str(pid)
    task.mkdir(parents=True)
    (task / "children").write_text(" ".join(map(str, kids)) + (" " if kids else ""))
    utime, stime = cpu_ticks
    fields = ["S", "1"] + ["0"] * 9 + [str(utime), str(stime)] + ["0"] * 5
    (root / str(pid) / "stat").write_text(f"{pid} (w) {' '.join(fields)}\n")
    (root / str(pid) / "status").write_text(f"Name:\tw\nVmRSS:\t{rss} kB\n")


def test_cpu_and_rss_sum_over_the_worker_tree(tmp_path: Path) -> None:
    _fake_proc(tmp_path, 10, (100, 100), 40000, [11, 12])
    _fake_proc(tmp_path, 11, (300, 50), 50000, [])
    _fake_proc(tmp_path, 12, (200, 0), 52000, [])
    assert procstat.tree(10, tmp_path) == [10, 12, 11]
    clk = procstat.CLK_TCK
    assert procstat.cpu_seconds(10, tmp_path) == pytest.approx(750 / clk)
    assert procstat.rss_kb(10, tmp_path) == 142000
    assert procstat.cpu_seconds(99, tmp_path) == 0.0  # gone: nothing, no error


def test_established_connections_on_a_port() -> None:
    text = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
        "  timeout inode\n"
        "   0: 0100007F:2383 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 111\n"
        "   1: 0100007F:2383 0100007F:D431 01 00000000:00000000 00:00000000 00000000 0 0 222\n"
        "   2: 0100007F:D431 0100007F:2383 01 00000000:00000000 00:00000000 00000000 0 0 333\n"
    )
    assert procstat.parse_tcp_inodes(text, 0x2383) == {222}


# --- statistics ----------------------------------------------------------------------------


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert stats.percentile(values, 50) == 50
    assert stats.percentile(values, 90) == 90
    assert stats.percentile(values, 99) == 99
    assert stats.percentile(values, 100) == 100
    assert stats.percentile([7.0], 99) == 7
    assert stats.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2  # a measured value, not 2.5


@pytest.mark.parametrize("pct", [0, -1, 101])
def test_percentile_rejects_bad_input(pct: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        stats.percentile([1.0], pct)
    with pytest.raises(ValueError, match="no values"):
        stats.percentile([], 50)


def test_median_and_ratio() -> None:
    assert stats.median([3.0, 1.0, 2.0]) == 2
    assert stats.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert stats.ratio(3.0, 2.0) == 1.5
    assert stats.ratio(None, 2.0) is None
    assert stats.ratio(1.0, 0.0) is None


# --- payloads and response checks ----------------------------------------------------------


def _compose(data: bytes) -> fnv1.RunFunctionResponse:
    req = fnv1.RunFunctionRequest.FromString(data)
    return asyncio.run(fn.FunctionRunner().RunFunction(req, None))


@pytest.mark.parametrize("scenario", payloads.SCENARIOS)
def test_every_payload_is_distinct_and_composes(scenario: str) -> None:
    stream = payloads.Stream(scenario, fleet=3)
    items = [stream.next() for _ in range(6)]
    tags = [tag for tag, _ in items]
    assert len(set(tags)) == 6
    names, versions = set(), set()
    for tag, data in items:
        for token in (payloads.TAG_TOKEN, payloads.RV_TOKEN, payloads.XR_TOKEN):
            assert token.encode() not in data
        req = fnv1.RunFunctionRequest.FromString(data)
        assert req.meta.tag == tag
        meta = structs.struct_to_dict(req.observed.composite.resource)["metadata"]
        names.add(meta["name"])
        versions.add(meta["resourceVersion"])
        rsp = _compose(data)
        assert verify.problem(rsp.SerializeToString(), tag, scenario, kind="project") is None
    assert len(names) == 3  # the fleet rotates
    assert len(versions) == 6


def test_unknown_scenario_and_fleet_bounds() -> None:
    with pytest.raises(ValueError, match="scenario"):
        payloads.build("deleting")
    with pytest.raises(ValueError, match="fleet"):
        payloads.Stream("ready", fleet=0)


def _response(tag: str = "t", *, fatal: bool = False, ec: bool = True) -> fnv1.RunFunctionResponse:
    rsp = fnv1.RunFunctionResponse(meta=fnv1.ResponseMeta(tag=tag))
    if ec:
        rsp.desired.resources["ec"].resource.update({"kind": "Object"})
    rsp.desired.composite.ready = fnv1.READY_FALSE
    if fatal:
        rsp.results.add(severity=fnv1.SEVERITY_FATAL, message="spec.ciOperator: missing")
    return rsp


def test_verify_rejects_a_fatal_result_a_wrong_tag_and_a_missing_ec() -> None:
    good = _response().SerializeToString()
    assert verify.problem(good, "t", "provisioning", kind="project") is None
    fatal = _response(fatal=True).SerializeToString()
    assert "FATAL" in (verify.problem(fatal, "t", "provisioning", kind="project") or "")
    assert "FATAL" in (verify.problem(fatal, "t", "provisioning", kind="floor") or "")
    assert "tag" in (verify.problem(good, "other", "provisioning", kind="project") or "")
    no_ec = _response(ec=False).SerializeToString()
    assert "ec" in (verify.problem(no_ec, "t", "provisioning", kind="project") or "")
    assert verify.problem(no_ec, "t", "provisioning", kind="floor") is None  # the floor
    assert "credentials" in (verify.problem(good, "t", "ready", kind="project") or "")
    assert "undecodable" in (verify.problem(b"\xff\xff", "t", "ready", kind="floor") or "")


def test_check_all_names_the_first_bad_call() -> None:
    good = _response("a").SerializeToString()
    with pytest.raises(BenchError, match=r"project provisioning call 1 \(tag b\): .*FATAL"):
        verify.check_all(
            "project",
            [good, _response("b", fatal=True).SerializeToString()],
            [("a", b""), ("b", b"")],
            "provisioning",
            kind="project",
        )
    with pytest.raises(BenchError, match="call failed"):
        verify.check_all("floor", [RuntimeError("boom")], [("a", b"")], "ready", kind="floor")
    with pytest.raises(BenchError, match="no response"):
        verify.check_all("floor", [None], [("a", b"")], "ready", kind="floor")


def test_closed_loop_driver_keeps_every_call_in_order() -> None:
    class Done:
        def __init__(self, value: bytes) -> None:
            self.value = value

        def result(self) -> bytes:
            return self.value

        def add_done_callback(self, callback: Callable[[Done], object]) -> None:
            callback(self)

    class Echo:
        def future(self, payload: bytes, timeout: float) -> Done:
            assert timeout > 0
            return Done(payload[::-1])

    items = [(f"t{i}", f"p{i}".encode()) for i in range(50)]
    fakes = cast("list[load.Call]", [Echo(), Echo()])  # duck-typed: `future` is all it uses
    batch = load.batch(fakes, items, 4)
    assert batch.tags == [tag for tag, _ in items]
    assert batch.responses == [payload[::-1] for _, payload in items]
    assert all(latency >= 0 for latency in batch.latencies)


# --- rounds --------------------------------------------------------------------------------


def test_turn_order_rotates_so_each_server_holds_each_place_equally() -> None:
    assert [measure.turn_order("AB", n) for n in range(4)] == [
        ("A", "B"),
        ("B", "A"),
        ("A", "B"),
        ("B", "A"),
    ]
    trio = ("floor", "copy-only", "project")
    orders = [measure.turn_order(trio, n) for n in range(6)]
    assert len(set(orders)) == 6  # every permutation once
    for place in range(3):
        assert sorted(order[place] for order in orders) == sorted(trio * 2)
    assert measure.turn_order(trio, 6) == orders[0]


def test_cli_rejects_too_few_calls_before_starting_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--calls", "50"]) == 2
    assert "at least 100" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["--rounds", "-1"])
