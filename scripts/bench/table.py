"""The bench's table for people: rows, ratios, cold start, RSS, workers, budget lines."""

from __future__ import annotations

from typing import Any

from scripts.bench import report
from scripts.bench.measure import Results


def render(results: Results) -> str:
    """The human-readable report."""
    out = _rows_text(results)
    for title, of, over in report.RATIO_TABLES:
        out.append("")
        out.append(f"ratios {title}:")
        for key, values in report.ratios(results, of=of, over=over).items():
            shown = "  ".join(f"{k} {_x(v)}" for k, v in values.items())
            out.append(f"  {key:18} {shown}")
    cold = report.cold_ms(results)
    if cold["project"] is not None:
        out.append(
            f"cold start (median of {cold['starts']}): project {cold['project']:.0f} ms, "
            f"floor {cold['floor']:.0f} ms, ratio {_x(cold['ratio'])}"
        )
    rss = ", ".join(f"{k} {v / 1024:.1f} MiB" for k, v in results.rss_kb.items())
    out.append(f"RSS after load: {rss}")
    out.extend(_workers_text(report.workers_summary(results)))
    xrd = results.xrd_gen
    if xrd.get("status") == "ok":
        out.append(f"xrd-gen sync --check: {xrd['seconds']:.3f} s (median of {xrd['runs']})")
    else:
        out.append(f"xrd-gen sync --check: {xrd.get('status')} ({xrd.get('reason', '')})")
    out.append(f"verified responses: {results.verified}")
    out.append("")
    out.append("budget:")
    for line in report.budget(results):
        op = "<=" if line.at_most else ">="
        value = "n/a" if line.value is None else f"{line.value:.3f}"
        text = f"  {line.verdict:4}  {line.name:34} {value:>7} {op} {line.limit} {line.unit}"
        if line.unit == report.COPY_ONLY_UNIT:
            text += f"  ({_x(line.floor_ratio)} floor)"
        out.append(text)
        if line.note:
            out.append(f"        ({line.note})")
    return "\n".join(out)


def _rows_text(results: Results) -> list[str]:
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
    return out


def _workers_text(summary: dict[str, Any]) -> list[str]:
    if "ratio" not in summary:
        return []
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
    cores = (
        f"  cores used: 1 worker {summary['server_cores_1']} + client "
        f"{summary['client_cores_1']}; {summary['workers']} workers "
        f"{summary['server_cores_n']} + client {summary['client_cores_n']} "
        f"(of {summary['machine_cores']}); connections per worker "
        f"{summary['connections_per_worker']}"
    )
    out = [line, cores]
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
    return out


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"
