"""The bench's figures: ratios, PASS/MISS per budget line, and the JSON line printed last.

The budget (README, docs/bench.md) is a set of ratios measured in the same run, because these
machines vary by tens of percent from run to run. CPU per call and p99 are held against the
copy-only yardstick (the least a function returning these Objects costs), their ratio to the
no-op floor printed beside; cold start and RSS are held against the floor.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
from collections.abc import Callable
from typing import Any

from scripts.bench import stats
from scripts.bench.measure import Results, Row

PROJECT, FLOOR, COPY_ONLY = "project", "floor", "copy-only"
FLOOR_UNIT = "x floor"
COPY_ONLY_UNIT = "x copy-only"
CPU_LIMIT = 1.3
P99_LIMIT = 1.3
COLD_LIMIT = 1.1
RSS_LIMIT = 1.2
WORKERS_GOAL = 1.7
XRD_GOAL_S = 0.5
# The ratio tables, as printed and as JSON keys: project/floor stays `ratios` (issue 5).
RATIO_TABLES = (
    ("project/copy-only (the budget's CPU and p99 yardstick)", PROJECT, COPY_ONLY),
    ("project/floor", PROJECT, FLOOR),
    ("copy-only/floor (what carrying the Objects costs)", COPY_ONLY, FLOOR),
)
RATIO_KEYS = ("ratios_copy_only", "ratios", "copy_only_over_floor")
JSON_KEYS = (
    "bench",
    "rows",
    "ratios_copy_only",
    "ratios",
    "copy_only_over_floor",
    "cold_start_ms",
    "rss_mb",
    "workers",
    "xrd_gen",
    "budget",
    "pass",
    "verified_responses",
    "settings",
)


@dataclasses.dataclass(frozen=True)
class Line:
    """One budget or goal line: `value` compared with `limit` (`at_most` or at least)."""

    name: str
    value: float | None
    limit: float
    at_most: bool = True
    unit: str = FLOOR_UNIT
    note: str = ""  # what the value does not show (e.g. the client shared the servers' cores)
    floor_ratio: float | None = None  # lines held against copy-only: the ratio to the floor

    @property
    def verdict(self) -> str:
        """PASS, MISS, or n/a when the value could not be measured."""
        if self.value is None:
            return "n/a"
        ok = self.value <= self.limit if self.at_most else self.value >= self.limit
        return "PASS" if ok else "MISS"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "value": _round(self.value),
            "limit": self.limit,
            "at_most": self.at_most,
            "unit": self.unit,
            "verdict": self.verdict,
            **({"floor_ratio": _round(self.floor_ratio)} if self.unit == COPY_ONLY_UNIT else {}),
            **({"note": self.note} if self.note else {}),
        }


Metric = Callable[[Row], float]
METRICS: dict[str, Metric] = {
    "cpu": lambda row: row.cpu_ms,
    "p50": lambda row: row.pct_ms(50),
    "p90": lambda row: row.pct_ms(90),
    "p99": lambda row: row.pct_ms(99),
    "rps": lambda row: row.rps,
}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def ratio(
    results: Results, metric: str, scenario: str, concurrency: int, *, of: str, over: str
) -> float | None:
    """`metric` of server `of` divided by that of server `over`, in one setting."""
    top = results.row(of, scenario, concurrency)
    bottom = results.row(over, scenario, concurrency)
    if top is None or bottom is None:
        return None
    return stats.ratio(METRICS[metric](top), METRICS[metric](bottom))


def ratios(
    results: Results, *, of: str = PROJECT, over: str = FLOOR
) -> dict[str, dict[str, float | None]]:
    """`of`/`over` for every (scenario, concurrency) where both were measured."""
    out: dict[str, dict[str, float | None]] = {}
    for row in results.rows:
        if row.server != of or results.row(over, row.scenario, row.concurrency) is None:
            continue
        out[f"{row.scenario}/c{row.concurrency}"] = {
            metric: ratio(results, metric, row.scenario, row.concurrency, of=of, over=over)
            for metric in METRICS
        }
    return out


def _against_copy_only(
    name: str, results: Results, *, metric: str, scenario: str, concurrency: int, limit: float
) -> Line:
    """A budget line held against the copy-only yardstick, its ratio to the floor beside."""
    return Line(
        name,
        ratio(results, metric, scenario, concurrency, of=PROJECT, over=COPY_ONLY),
        limit,
        unit=COPY_ONLY_UNIT,
        floor_ratio=ratio(results, metric, scenario, concurrency, of=PROJECT, over=FLOOR),
    )


def cold_ms(results: Results) -> dict[str, float | None]:
    """Median cold start of each server, in ms, and the ratio."""
    med = {k: 1000 * statistics.median(v) for k, v in results.cold_start_s.items() if v}
    return {
        "project": med.get("project"),
        "floor": med.get("floor"),
        "ratio": stats.ratio(med.get("project"), med.get("floor")),
        "starts": min((len(v) for v in results.cold_start_s.values()), default=0),
    }


def workers_summary(results: Results) -> dict[str, Any]:
    """Throughput of 1 vs N workers (several connections) and N workers on one connection."""
    rows = results.worker_rows
    if len(rows) < 2:  # noqa: PLR2004 - one and N workers
        return {"status": "skipped"}
    one, many = rows[0], rows[1]
    cores = os.cpu_count() or 1
    placement = results.worker_placement
    # Unpinned, the client shares the servers' cores. With it elsewhere, N workers could use
    # min(N, cores) cores at the CPU cost per call measured here: an estimate, not a result.
    estimate = None
    if many.cpu and not placement.pinned:
        estimate = min(results.settings.workers, cores) / (many.cpu_ms / 1000)
    out: dict[str, Any] = {
        **placement.as_dict(),
        "workers": results.settings.workers,
        "connections": one.connections,
        "connections_per_worker": results.worker_spread,
        "rps_1": round(one.rps, 1),
        "rps_n": round(many.rps, 1),
        "ratio": stats.ratio(many.rps, one.rps),
        "cpu_ms_per_call_1": round(one.cpu_ms, 4),
        "cpu_ms_per_call_n": round(many.cpu_ms, 4),
        "server_cores_1": round(one.cpu / one.wall, 2) if one.wall else None,
        "server_cores_n": round(many.cpu / many.wall, 2) if many.wall else None,
        "client_cores_1": round(one.client_cpu / one.wall, 2) if one.wall else None,
        "client_cores_n": round(many.client_cpu / many.wall, 2) if many.wall else None,
        "machine_cores": cores,
        "rps_n_estimate_client_elsewhere": None if estimate is None else round(estimate, 1),
        "ratio_estimate_client_elsewhere": stats.ratio(estimate, one.rps),
    }
    if len(rows) > 3:  # noqa: PLR2004 - plus the single-connection rows (1 and N workers)
        out["rps_1_one_connection"] = round(rows[2].rps, 1)
        out["rps_n_one_connection"] = round(rows[3].rps, 1)
        out["ratio_one_connection"] = stats.ratio(rows[3].rps, rows[2].rps)
    return out


def budget(results: Results) -> list[Line]:
    """The budget lines of issues 5 and 14, in order."""
    lines = [
        _against_copy_only(
            f"CPU/call Ready c={c}",
            results,
            metric="cpu",
            scenario="ready",
            concurrency=c,
            limit=CPU_LIMIT,
        )
        for c in results.settings.concurrency
    ]
    lines.extend(
        _against_copy_only(
            f"p99 {scenario} c=16",
            results,
            metric="p99",
            scenario=scenario,
            concurrency=16,
            limit=P99_LIMIT,
        )
        for scenario in results.settings.scenarios
        if results.row(PROJECT, scenario, 16) is not None
    )
    lines.append(Line("cold start (median)", cold_ms(results)["ratio"], COLD_LIMIT))
    rss = stats.ratio(results.rss_kb.get("project"), results.rss_kb.get("floor"))
    lines.append(Line("RSS after load", rss, RSS_LIMIT))
    summary = workers_summary(results)
    lines.append(
        Line(
            f"{max(results.settings.workers, 2)} workers vs 1, c=16 req/s",
            summary.get("ratio"),
            WORKERS_GOAL,
            at_most=False,
            unit="x one worker",
            note="" if summary.get("pinned", True) else f"not pinned: {summary['reason']}",
        )
    )
    xrd = results.xrd_gen.get("seconds")
    lines.append(Line("xrd-gen sync --check wall", xrd, XRD_GOAL_S, unit="s"))
    return lines


def as_json(results: Results) -> str:
    """The single machine-readable line printed last."""
    lines = budget(results)
    cold = cold_ms(results)
    doc = {
        "bench": "function-ephemeral-cluster",
        "rows": [row.as_dict() for row in [*results.rows, *results.worker_rows]],
        **{
            key: {
                k: {m: _round(v) for m, v in values.items()}
                for k, values in ratios(results, of=of, over=over).items()
            }
            for key, (_title, of, over) in zip(RATIO_KEYS, RATIO_TABLES, strict=True)
        },
        "cold_start_ms": {k: None if v is None else round(v, 1) for k, v in cold.items()},
        "rss_mb": {k: round(v / 1024, 2) for k, v in results.rss_kb.items()},
        "workers": {
            k: round(v, 3) if isinstance(v, float) else v
            for k, v in workers_summary(results).items()
        },
        "xrd_gen": results.xrd_gen,
        "budget": [line.as_dict() for line in lines],
        "pass": all(line.verdict != "MISS" for line in lines),
        "verified_responses": results.verified,
        "settings": dataclasses.asdict(results.settings),
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=False)
