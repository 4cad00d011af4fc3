"""The bench's output: a table for people, PASS/MISS per budget line, then one JSON line.

The budget (README, docs/bench.md) is a set of ratios against the no-op floor measured in
the same run, because these machines vary by tens of percent from run to run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
from typing import Any

from scripts.bench import stats
from scripts.bench.measure import Results, Row

CPU_LIMIT = 1.3
P99_LIMIT = 1.3
COLD_LIMIT = 1.1
RSS_LIMIT = 1.2
WORKERS_GOAL = 1.7
XRD_GOAL_S = 0.5
JSON_KEYS = (
    "bench",
    "rows",
    "ratios",
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
    unit: str = "x floor"
    note: str = ""  # what the value does not show (e.g. the client shared the servers' cores)

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
            "value": None if self.value is None else round(self.value, 3),
            "limit": self.limit,
            "at_most": self.at_most,
            "unit": self.unit,
            "verdict": self.verdict,
            **({"note": self.note} if self.note else {}),
        }


def _pair(results: Results, scenario: str, concurrency: int) -> tuple[Row | None, Row | None]:
    return (
        results.row("project", scenario, concurrency),
        results.row("floor", scenario, concurrency),
    )


def ratios(results: Results) -> dict[str, dict[str, float | None]]:
    """project/floor for every measured (scenario, concurrency)."""
    out: dict[str, dict[str, float | None]] = {}
    for row in results.rows:
        if row.server != "project":
            continue
        project, floor = _pair(results, row.scenario, row.concurrency)
        if project is None or floor is None:
            continue
        out[f"{row.scenario}/c{row.concurrency}"] = {
            "cpu": stats.ratio(project.cpu_ms, floor.cpu_ms),
            "p50": stats.ratio(project.pct_ms(50), floor.pct_ms(50)),
            "p90": stats.ratio(project.pct_ms(90), floor.pct_ms(90)),
            "p99": stats.ratio(project.pct_ms(99), floor.pct_ms(99)),
            "rps": stats.ratio(project.rps, floor.rps),
        }
    return out


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
    """The budget lines of issue 5, in order."""
    lines = []
    for concurrency in results.settings.concurrency:
        project, floor = _pair(results, "ready", concurrency)
        value = stats.ratio(project.cpu_ms, floor.cpu_ms) if project and floor else None
        lines.append(Line(f"CPU/call Ready c={concurrency}", value, CPU_LIMIT))
    for scenario in results.settings.scenarios:
        project, floor = _pair(results, scenario, 16)
        if project and floor:
            value = stats.ratio(project.pct_ms(99), floor.pct_ms(99))
            lines.append(Line(f"p99 {scenario} c=16", value, P99_LIMIT))
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


def table(results: Results) -> str:
    """The human-readable report."""
    header = (
        f"{'server':34} {'scenario':12} {'c':>3} {'calls':>6} {'CPU ms/call':>11} "
        f"{'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'req/s':>8}"
    )
    out = [header]
    for row in [*results.rows, *results.worker_rows]:
        server = row.server if row.connections == 1 else f"{row.server} ({row.connections} conns)"
        out.append(
            f"{server:34} {row.scenario:12} {row.concurrency:>3} {row.calls:>6} "
            f"{row.cpu_ms:>11.3f} {row.pct_ms(50):>8.2f} {row.pct_ms(90):>8.2f} "
            f"{row.pct_ms(99):>8.2f} {row.rps:>8.0f}"
        )
    out.append("")
    out.append("ratios project/floor:")
    for key, values in ratios(results).items():
        shown = "  ".join(f"{k} {_x(v)}" for k, v in values.items())
        out.append(f"  {key:18} {shown}")
    cold = cold_ms(results)
    if cold["project"] is not None:
        out.append(
            f"cold start (median of {cold['starts']}): project {cold['project']:.0f} ms, "
            f"floor {cold['floor']:.0f} ms, ratio {_x(cold['ratio'])}"
        )
    rss = ", ".join(f"{k} {v / 1024:.1f} MiB" for k, v in results.rss_kb.items())
    out.append(f"RSS after load: {rss}")
    summary = workers_summary(results)
    if "ratio" in summary:
        line = (
            f"workers: 1 -> {summary['rps_1']:.0f} req/s, {summary['workers']} -> "
            f"{summary['rps_n']:.0f} req/s ({_x(summary['ratio'])}, "
            f"{summary['connections']} connections)"
        )
        if "ratio_one_connection" in summary:
            line += (
                f"; over one connection (as Crossplane connects): 1 -> "
                f"{summary['rps_1_one_connection']:.0f}, {summary['workers']} -> "
                f"{summary['rps_n_one_connection']:.0f} req/s "
                f"({_x(summary['ratio_one_connection'])})"
            )
        out.append(line)
        out.append(
            f"  cores used: 1 worker {summary['server_cores_1']} + client "
            f"{summary['client_cores_1']}; {summary['workers']} workers "
            f"{summary['server_cores_n']} + client {summary['client_cores_n']} "
            f"(of {summary['machine_cores']}); connections per worker "
            f"{summary['connections_per_worker']}"
        )
        if summary["pinned"]:
            out.append(
                f"  pinned: servers on CPUs {list(summary['server_cpus'])}, client on "
                f"{list(summary['client_cpus'])}"
            )
        else:
            out.append(
                f"  not pinned ({summary['reason']}); estimate with the client on other "
                f"cores: {summary['workers']} workers -> "
                f"{summary['rps_n_estimate_client_elsewhere'] or 0:.0f} req/s "
                f"({_x(summary['ratio_estimate_client_elsewhere'])})"
            )
    xrd = results.xrd_gen
    if xrd.get("status") == "ok":
        out.append(f"xrd-gen sync --check: {xrd['seconds']:.3f} s (median of {xrd['runs']})")
    else:
        out.append(f"xrd-gen sync --check: {xrd.get('status')} ({xrd.get('reason', '')})")
    out.append(f"verified responses: {results.verified}")
    out.append("")
    out.append("budget:")
    for line in budget(results):
        op = "<=" if line.at_most else ">="
        value = "n/a" if line.value is None else f"{line.value:.3f}"
        out.append(f"  {line.verdict:4}  {line.name:34} {value:>7} {op} {line.limit} {line.unit}")
        if line.note:
            out.append(f"        ({line.note})")
    return "\n".join(out)


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def as_json(results: Results) -> str:
    """The single machine-readable line printed last."""
    lines = budget(results)
    cold = cold_ms(results)
    doc = {
        "bench": "function-ephemeral-cluster",
        "rows": [row.as_dict() for row in [*results.rows, *results.worker_rows]],
        "ratios": {
            k: {m: None if v is None else round(v, 3) for m, v in values.items()}
            for k, values in ratios(results).items()
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
