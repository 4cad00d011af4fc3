"""One whole bench run, and the generator timing that goes into its report."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.bench import measure, scaling
from scripts.bench.measure import Log, Results, Settings

ROOT = Path(__file__).resolve().parents[2]


def xrd_gen(settings: Settings, log: Log) -> dict[str, Any]:
    """Wall time of `xrd-gen sync --check` (median); "unavailable" when it is missing or fails."""
    tool = Path(sys.executable).with_name("xrd-gen")
    if not tool.is_file():
        return {"status": "unavailable", "reason": f"{tool} not installed"}
    times = []
    for _ in range(max(settings.xrd_runs, 1)):
        started = time.perf_counter()
        done = subprocess.run(  # the project's own console script
            [str(tool), "sync", "--check"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            reason = lines[-1][:200] if lines else f"exit code {done.returncode}"
            log(f"xrd-gen unavailable: {reason}")
            return {"status": "unavailable", "reason": reason}
    return {"status": "ok", "seconds": round(statistics.median(times), 4), "runs": len(times)}


def run(settings: Settings, log: Log) -> Results:
    """The whole bench; raises BenchError on a wrong response or a server that fails."""
    results = Results(settings)
    with tempfile.TemporaryDirectory(prefix="fn-bench-") as tmp:
        log_dir = Path(tmp)
        if settings.cold_starts:
            results.cold_start_s = measure.cold_starts(settings, log_dir, log)
        measure.ab_rounds(settings, results, log_dir, log)
        if settings.workers > 1:
            scaling.compare(settings, results, log_dir, log)
    results.xrd_gen = xrd_gen(settings, log) if settings.xrd_runs else {"status": "skipped"}
    return results
