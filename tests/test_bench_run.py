"""fn-bench for real, at toy sizes: servers start and stop by PID, the output has its shape.

Only structure is asserted (keys, verdict words, exit codes, no leftover processes); the
figures themselves are the bench's business, never a unit test's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import ROOT

from scripts.bench import measure, report, runner, servers

TINY = [
    "--calls", "100", "--rounds", "1", "--cold-starts", "1", "--cache-calls", "20",
    "--fill-cache", "20", "--workers", "2", "--worker-calls", "100", "--worker-rounds", "1",
    "--worker-connections", "2", "--xrd-runs", "1",
]  # fmt: skip


def _marked_processes(marker: str) -> list[int]:
    """PIDs whose environment carries `marker` (the bench's servers inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _run_bench(*args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    value = uuid.uuid4().hex
    marker = f"FN_BENCH_TEST_MARKER={value}"
    env = {**os.environ, "FN_BENCH_TEST_MARKER": value}
    result = subprocess.run(
        [sys.executable, "-m", "scripts.bench.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env=env,
    )
    return result, marker


def test_bench_prints_table_budget_and_json_last_and_stops_every_server() -> None:
    cpus = sorted(os.sched_getaffinity(0))
    # Pinned apart when possible (the workers comparison's own placement), else not at all.
    pin = ["--server-cpus", str(cpus[0]), "--client-cpus", str(cpus[1])]
    result, marker = _run_bench(*TINY, *(pin if len(cpus) > 1 else ["--no-pin"]))
    assert result.returncode == 0, result.stderr
    assert _marked_processes(marker) == []
    lines = result.stdout.strip().splitlines()
    doc = json.loads(lines[-1])
    assert tuple(doc) == report.JSON_KEYS
    assert {row["server"] for row in doc["rows"]} >= {
        "floor",
        "copy-only",
        "project",
        "project (cache hit)",
        "project --workers 2",
        "project --workers 2 (1 connection)",
    }
    assert doc["verified_responses"] > 0
    assert doc["cold_start_ms"]["starts"] == 1
    assert set(doc["rss_mb"]) == {"project", "floor", "project --workers 2"}
    assert doc["xrd_gen"]["status"] in {"ok", "unavailable"}
    assert doc["workers"]["pinned"] is (len(cpus) > 1)
    if len(cpus) > 1:
        assert doc["workers"]["server_cpus"] == [cpus[0]]
        assert doc["workers"]["client_cpus"] == [cpus[1]]
    budget = lines[lines.index("budget:") + 1 :]
    yardstick = [line.split()[0] for line in budget if " x copy-only " in line]
    floor = [line.split()[0] for line in budget if line.endswith(" x floor")]
    assert len(yardstick) == 4  # CPU/call Ready c=1 and c=16, p99 at c=16 per scenario
    assert len(floor) == 2  # cold start and RSS
    assert set(yardstick + floor) <= {"PASS", "MISS", "n/a"}
    assert {entry["name"] for entry in doc["budget"] if entry["unit"] == "x copy-only"} == {
        "CPU/call Ready c=1",
        "CPU/call Ready c=16",
        "p99 provisioning c=16",
        "p99 ready c=16",
    }
    assert set(doc["copy_only_over_floor"]) == {
        f"{s}/c{c}" for s in ("provisioning", "ready") for c in (1, 16)
    }
    assert "server" in lines[0]


def test_soak_reports_rss_and_errors_and_stops_its_server() -> None:
    result, marker = _run_bench("soak", "--seconds", "2", "--warmup", "1")
    assert _marked_processes(marker) == []
    doc = json.loads(result.stdout.strip().splitlines()[-1])["soak"]
    assert doc["errors"] == 0
    assert doc["calls"] > 0
    assert doc["rss_start_mb"] > 0
    assert doc["rss_end_mb"] > 0
    assert result.returncode == (0 if doc["pass"] else 1)
    assert ("PASS  soak" if doc["pass"] else "MISS  soak") in result.stdout


def test_soak_verdict_follows_growth_and_errors() -> None:
    from scripts.bench.soak import SoakResult

    ok = SoakResult(10, 1, 16, 1, calls=5, rss_start_kb=1000, rss_end_kb=1040)
    assert ok.ok
    grown = SoakResult(10, 1, 16, 1, calls=5, rss_start_kb=1000, rss_end_kb=1060)
    assert grown.growth_pct == pytest.approx(6.0)
    assert not grown.ok
    assert not SoakResult(10, 1, 16, 1, calls=5, errors=1, rss_start_kb=1, rss_end_kb=1).ok
    assert not SoakResult(10, 1, 16, 1, calls=0).ok


def test_server_stop_sends_sigterm_by_pid_then_kills_a_hung_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    polite = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    server = servers.Server("polite", polite, 0)
    assert server.stop() == -signal.SIGTERM
    ignore = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    stubborn = subprocess.Popen([sys.executable, "-c", ignore], stdout=subprocess.PIPE)
    assert stubborn.stdout is not None
    stubborn.stdout.readline()  # SIGTERM is ignored from here on
    monkeypatch.setattr(servers, "STOP_TIMEOUT", 0.5)
    started = time.monotonic()
    assert servers.Server("stubborn", stubborn, 0).stop() == -signal.SIGKILL
    assert time.monotonic() - started < 30
    stubborn.stdout.close()


def test_a_server_that_cannot_start_is_a_bench_error(tmp_path: Path) -> None:
    with (
        pytest.raises(servers.BenchError, match="exited with code"),
        servers.running("broken", "no_such_module_xyz", b"", log_dir=tmp_path),
    ):
        pass


def _tool(directory: Path, body: str) -> Path:
    python = directory / "python"
    python.write_text("")
    tool = directory / "xrd-gen"
    tool.write_text(f"#!/bin/sh\n{body}\n")
    tool.chmod(0o755)
    return python


def test_xrd_gen_timing_ok_unavailable_or_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = measure.Settings(xrd_runs=2)
    monkeypatch.setattr("scripts.bench.runner.sys.executable", str(tmp_path / "absent" / "python"))
    assert runner.xrd_gen(settings, lambda _m: None)["status"] == "unavailable"

    good = tmp_path / "good"
    good.mkdir()
    monkeypatch.setattr("scripts.bench.runner.sys.executable", str(_tool(good, "exit 0")))
    timing = runner.xrd_gen(settings, lambda _m: None)
    assert timing["status"] == "ok"
    assert timing["runs"] == 2
    assert timing["seconds"] >= 0

    bad = tmp_path / "bad"
    bad.mkdir()
    failing = _tool(bad, "echo 'xrd/ is stale' >&2; exit 1")
    monkeypatch.setattr("scripts.bench.runner.sys.executable", str(failing))
    failed = runner.xrd_gen(settings, lambda _m: None)
    assert failed == {"status": "unavailable", "reason": "xrd/ is stale"}
