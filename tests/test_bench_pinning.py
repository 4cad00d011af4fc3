"""Pinning for the workers comparison: CPU lists, the plan, the client's threads, the servers."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from scripts.bench import cli, measure, payloads, pinning, procstat, report, servers, table

CPUS = tuple(sorted(os.sched_getaffinity(0)))
two_cpus = pytest.mark.skipif(len(CPUS) < 2, reason="needs at least 2 CPUs to pin apart")


def _allowed(pid: int) -> str:
    """Cpus_allowed_list of a process (its main thread), as the kernel prints it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no Cpus_allowed_list for {pid}")


def test_cpu_lists_parse_and_bad_ones_name_the_option() -> None:
    assert pinning.parse("0,2-3", "--server-cpus") == (0, 2, 3)
    assert pinning.parse(" 3 , 1 ", "--client-cpus") == (1, 3)
    for bad in ("a", "3-1", "", "1,-2"):
        with pytest.raises(pinning.PinError, match="--client-cpus"):
            pinning.parse(bad, "--client-cpus")


def test_auto_plan_gives_the_servers_n_cpus_and_the_client_the_rest() -> None:
    placement = pinning.plan(2, cpus=(3, 0, 2, 1))
    assert placement.pinned
    assert (placement.servers, placement.client) == ((0, 1), (2, 3))
    assert placement.as_dict() == {"pinned": True, "server_cpus": (0, 1), "client_cpus": (2, 3)}


def test_too_few_cpus_pin_nothing_and_say_why() -> None:
    placement = pinning.plan(2, cpus=(0, 1))
    assert not placement.pinned
    assert placement.servers is None
    assert placement.client is None
    assert "2 CPUs" in placement.reason
    assert placement.as_dict() == {"pinned": False, "reason": placement.reason}


def test_explicit_lists_must_come_together_be_disjoint_and_available() -> None:
    assert pinning.plan(2, servers=(1,), client=(0,), cpus=(0, 1)).servers == (1,)
    with pytest.raises(pinning.PinError, match="go together"):
        pinning.plan(2, servers=(0,), cpus=(0, 1))
    with pytest.raises(pinning.PinError, match="must not share"):
        pinning.plan(2, servers=(0, 1), client=(1,), cpus=(0, 1))
    with pytest.raises(pinning.PinError, match=r"--client-cpus: CPUs \[7\]"):
        pinning.plan(2, servers=(0,), client=(7,), cpus=(0, 1))


def test_settings_without_pinning_report_it() -> None:
    placement = measure.Settings(pin=False).placement()
    assert not placement.pinned
    assert "--no-pin" in placement.reason


def test_cli_refuses_unusable_cpu_lists_before_starting_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--server-cpus", "0", "--client-cpus", "0"]) == 2
    assert "must not share" in capsys.readouterr().err
    assert cli.main(["--server-cpus", "0"]) == 2
    assert "go together" in capsys.readouterr().err
    assert cli.main(["--server-cpus", "zero", "--client-cpus", "1"]) == 2
    assert "--server-cpus: 'zero'" in capsys.readouterr().err


@two_cpus
def test_client_on_moves_every_thread_and_puts_them_back() -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    worker.start()
    try:
        before = {int(t.name): os.sched_getaffinity(int(t.name)) for t in _tasks()}
        with pinning.client_on((CPUS[-1],)):
            inside = {int(t.name): os.sched_getaffinity(int(t.name)) for t in _tasks()}
            assert worker.native_id in inside
            assert all(cpus == {CPUS[-1]} for cpus in inside.values())
        after = {tid: os.sched_getaffinity(tid) for tid in before}
        assert after == before
    finally:
        stop.set()
        worker.join()


def _tasks() -> list[Path]:
    return list(Path("/proc/self/task").iterdir())


def test_a_pinned_server_and_its_workers_run_only_on_their_cpus(tmp_path: Path) -> None:
    cpu = CPUS[0]
    first = payloads.Stream("ready", fleet=4, prefix="p").next()[1]
    extra = ("--workers", "2")
    with servers.running(
        "pinned", servers.PROJECT, first, extra=extra, log_dir=tmp_path, cpus=(cpu,)
    ) as server:
        tree = procstat.tree(server.pid)
        assert len(tree) == 3  # the supervisor and two workers
        assert {_allowed(pid) for pid in tree} == {str(cpu)}
    with servers.running("free", servers.PROJECT, first, log_dir=tmp_path) as server:
        assert _allowed(server.pid) == _allowed(os.getpid())


def _worker_results(placement: pinning.Placement) -> measure.Results:
    results = measure.Results(measure.Settings())
    for name, rps in (("project", 3000.0), ("project --workers 2", 5400.0)):
        row = measure.Row(name, "ready", 16, connections=8)
        row.calls, row.wall, row.cpu = 1000, 1000 / rps, 0.3
        row.latencies = [0.004] * 1000
        results.worker_rows.append(row)
    results.worker_placement = placement
    return results


def test_report_says_where_the_workers_ran() -> None:
    pinned = _worker_results(pinning.Placement(servers=(0, 1), client=(2, 3)))
    line = next(x for x in report.budget(pinned) if x.name.startswith("2 workers"))
    assert line.verdict == "PASS"  # 1.8x
    assert line.note == ""
    assert "pinned: servers on CPUs [0, 1], client on [2, 3]" in table.render(pinned)
    assert report.workers_summary(pinned)["ratio_estimate_client_elsewhere"] is None

    shared = _worker_results(pinning.plan(2, cpus=(0, 1)))
    line = next(x for x in report.budget(shared) if x.name.startswith("2 workers"))
    assert line.verdict == "PASS"
    assert line.note.startswith("not pinned: 2 CPUs")
    assert "(not pinned: 2 CPUs" in table.render(shared)
    assert line.as_dict()["note"] == line.note
    assert report.workers_summary(shared)["ratio_estimate_client_elsewhere"] is not None
