"""fn-bench's budget arithmetic and report: which ratio each line holds, PASS/MISS, the output.

CPU/call and p99 are held against the copy-only yardstick, with the ratio to the no-op floor
beside; cold start and RSS stay against the floor. Made-up rows, so every ratio is known.
"""

from __future__ import annotations

import json

import pytest

from scripts.bench import measure, report, table

# (scenario, concurrency) -> server -> (CPU ms per call, p99 ms)
FIGURES: dict[tuple[str, int], dict[str, tuple[float, float]]] = {
    ("ready", 1): {"floor": (0.20, 1.0), "copy-only": (0.24, 1.2), "project": (0.30, 1.5)},
    ("ready", 16): {"floor": (0.20, 4.0), "copy-only": (0.24, 5.0), "project": (0.336, 6.0)},
    ("provisioning", 1): {"floor": (0.20, 1.0), "copy-only": (0.22, 1.1), "project": (0.26, 1.3)},
    ("provisioning", 16): {"floor": (0.20, 4.0), "copy-only": (0.22, 5.0), "project": (0.26, 7.0)},
}


def _row(server: str, scenario: str, concurrency: int, cpu_ms: float, p99_ms: float) -> measure.Row:
    row = measure.Row(server, scenario, concurrency)
    row.calls, row.wall, row.cpu = 100, 0.1, cpu_ms / 10
    row.latencies = [p99_ms / 1000] * 100
    return row


def _results(servers: tuple[str, ...] = ("floor", "copy-only", "project")) -> measure.Results:
    results = measure.Results(measure.Settings(workers=0))
    for (scenario, concurrency), by_server in FIGURES.items():
        for server in servers:
            results.rows.append(_row(server, scenario, concurrency, *by_server[server]))
    results.cold_start_s = {"project": [0.13, 0.12, 0.14], "floor": [0.12, 0.12, 0.13]}
    results.rss_kb = {"project": 60_000, "floor": 50_000}
    results.xrd_gen = {"status": "unavailable", "reason": "not installed"}
    return results


def _check_budget(lines: list[report.Line]) -> None:
    """What issue 14 asks of the budget lines, on FIGURES."""
    by_name = {line.name: line for line in lines}
    expected = {  # name: (value against copy-only, verdict, ratio to the floor)
        "CPU/call Ready c=1": (1.25, "PASS", 1.5),
        "CPU/call Ready c=16": (1.4, "MISS", 1.68),
        "p99 ready c=16": (1.2, "PASS", 1.5),
        "p99 provisioning c=16": (1.4, "MISS", 1.75),
    }
    for name, (value, verdict, floor) in expected.items():
        line = by_name[name]
        assert line.value == pytest.approx(value), name
        assert line.verdict == verdict, name
        assert line.unit == "x copy-only", name
        assert line.floor_ratio == pytest.approx(floor), name
    cold, rss = by_name["cold start (median)"], by_name["RSS after load"]
    assert cold.value == pytest.approx(130 / 120)
    assert cold.unit == "x floor"
    assert rss.value == pytest.approx(1.2)
    assert (rss.unit, rss.verdict, rss.floor_ratio) == ("x floor", "PASS", None)


def test_cpu_and_p99_lines_are_held_against_copy_only_with_the_floor_ratio_beside() -> None:
    _check_budget(report.budget(_results()))


@pytest.mark.parametrize(
    ("of", "over"),
    [
        ("project", "floor"),  # the issue-5 denominator
        ("copy-only", "floor"),  # the yardstick's own cost
        ("project", "project"),
    ],
)
def test_a_wrong_denominator_is_caught(monkeypatch: pytest.MonkeyPatch, of: str, over: str) -> None:
    monkeypatch.setattr(report, "PROJECT", of)
    monkeypatch.setattr(report, "COPY_ONLY", over)
    with pytest.raises(AssertionError):
        _check_budget(report.budget(_results()))


def test_without_a_copy_only_row_the_lines_are_not_measured_not_judged_by_the_floor() -> None:
    lines = {line.name: line for line in report.budget(_results(("floor", "project")))}
    cpu = lines["CPU/call Ready c=1"]
    assert (cpu.value, cpu.verdict) == (None, "n/a")
    assert cpu.floor_ratio == pytest.approx(1.5)
    assert lines["p99 ready c=16"].verdict == "n/a"


def test_other_lines_keep_their_limits() -> None:
    lines = {line.name: line for line in report.budget(_results())}
    assert lines["cold start (median)"].verdict == "PASS"  # 130 / 120 ms
    assert lines["xrd-gen sync --check wall"].verdict == "n/a"
    assert lines["2 workers vs 1, c=16 req/s"].verdict == "n/a"
    assert {line.unit for line in lines.values()} == {"x copy-only", "x floor", "x one worker", "s"}


def test_table_prints_every_ratio_and_both_on_each_yardstick_line() -> None:
    text = table.render(_results())
    assert "ratios project/copy-only" in text
    assert "ratios project/floor:" in text
    assert "ratios copy-only/floor" in text
    assert "PASS  CPU/call Ready c=1" in text
    line = next(x for x in text.splitlines() if "CPU/call Ready c=16" in x)
    assert line.split() == ["MISS", "CPU/call", "Ready", "c=16", "1.400", "<=", "1.3", "x",
                            "copy-only", "(1.68x", "floor)"]  # fmt: skip
    rss = next(x for x in text.splitlines() if "RSS after load " in x and "<=" in x)
    assert rss.rstrip().endswith("1.2 x floor")


def test_json_line_carries_the_yardstick_figures() -> None:
    line = report.as_json(_results())
    assert "\n" not in line
    doc = json.loads(line)
    assert tuple(doc) == report.JSON_KEYS
    assert doc["pass"] is False
    assert doc["ratios_copy_only"]["ready/c1"]["cpu"] == 1.25
    assert doc["ratios"]["ready/c1"]["cpu"] == 1.5  # project/floor, as in issue 5
    assert doc["copy_only_over_floor"]["ready/c1"]["cpu"] == 1.2
    assert doc["copy_only_over_floor"]["ready/c16"]["p99"] == 1.25
    budget = {entry["name"]: entry for entry in doc["budget"]}
    assert budget["CPU/call Ready c=16"] == {
        "name": "CPU/call Ready c=16",
        "value": 1.4,
        "limit": 1.3,
        "at_most": True,
        "unit": "x copy-only",
        "verdict": "MISS",
        "floor_ratio": 1.68,
    }
    assert "floor_ratio" not in budget["RSS after load"]
    assert {row["server"] for row in doc["rows"]} == {"floor", "copy-only", "project"}
