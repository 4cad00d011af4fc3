"""What a bench run measures and keeps: cold starts, rounds of the three servers, cache hits.

Servers run as subprocesses on loopback; their CPU comes from /proc (process tree), latency
and throughput from the client. The floor, the copy-only yardstick and the project take turns
in every round, in an order that rotates through all six permutations, so drift on a noisy
machine hits each alike. Every response is verified before its round counts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from scripts.bench import load, payloads, pinning, servers, stats, verify

Log = Callable[[str], None]
T = TypeVar("T")
# The servers of the measured rounds: name, module, the contract their responses are checked by.
ROUND_SERVERS: tuple[tuple[str, str, verify.Kind], ...] = (
    ("floor", servers.FLOOR, "floor"),
    ("copy-only", servers.COPY_ONLY, "copy-only"),
    ("project", servers.PROJECT, "project"),
)


@dataclasses.dataclass
class Settings:
    """What to run; the defaults keep `make bench` near three minutes on 2 cores."""

    calls: int = 2000  # per server per round
    rounds: int = 6  # rounds per (scenario, concurrency); 6 = every order of the three once
    concurrency: tuple[int, ...] = (1, 16)
    scenarios: tuple[str, ...] = payloads.SCENARIOS
    cold_starts: int = 9
    fleet: int = 256
    warmup: int = 300
    cache_calls: int = 1000
    fill_cache: int = 300  # distinct requests sent twice before RSS is read (cache holds 256)
    workers: int = 2  # 0 skips the workers comparison
    worker_calls: int = 4000
    worker_rounds: int = 4
    worker_connections: int = 8  # reopened until every worker holds one
    pin: bool = True  # servers on N CPUs, client on the rest, when the machine has them
    server_cpus: tuple[int, ...] | None = None  # explicit placement (both or neither)
    client_cpus: tuple[int, ...] | None = None
    xrd_runs: int = 3

    def placement(self) -> pinning.Placement:
        """Where the workers comparison runs (PinError for unusable explicit lists)."""
        if not self.pin:
            return pinning.Placement(reason="pinning turned off (--no-pin)")
        return pinning.plan(self.workers, servers=self.server_cpus, client=self.client_cpus)


@dataclasses.dataclass
class Row:
    """Accumulated measurements of one server in one setting."""

    server: str
    scenario: str
    concurrency: int
    connections: int = 1
    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    client_cpu: float = 0.0  # load generator CPU (measured for the workers rows only)
    latencies: list[float] = dataclasses.field(default_factory=list, repr=False)

    def add(self, batch: load.Batch, cpu: float) -> None:
        """Count one verified round."""
        self.calls += len(batch.latencies)
        self.wall += batch.wall
        self.cpu += cpu
        self.latencies.extend(batch.latencies)

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per call."""
        return 1000 * self.cpu / self.calls if self.calls else 0.0

    @property
    def rps(self) -> float:
        """Calls per second of wall time."""
        return self.calls / self.wall if self.wall else 0.0

    def pct_ms(self, pct: float) -> float:
        """Latency percentile in milliseconds."""
        return 1000 * stats.percentile(self.latencies, pct)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "server": self.server,
            "scenario": self.scenario,
            "concurrency": self.concurrency,
            "connections": self.connections,
            "calls": self.calls,
            "cpu_ms_per_call": round(self.cpu_ms, 4),
            "p50_ms": round(self.pct_ms(50), 3),
            "p90_ms": round(self.pct_ms(90), 3),
            "p99_ms": round(self.pct_ms(99), 3),
            "rps": round(self.rps, 1),
        }


@dataclasses.dataclass
class Results:
    """Everything a run measured (report.py turns it into the table, budget and JSON)."""

    settings: Settings
    rows: list[Row] = dataclasses.field(default_factory=list)
    cold_start_s: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    rss_kb: dict[str, int] = dataclasses.field(default_factory=dict)
    worker_rows: list[Row] = dataclasses.field(default_factory=list)
    worker_spread: list[int] = dataclasses.field(default_factory=list)
    worker_placement: pinning.Placement = dataclasses.field(default_factory=pinning.Placement)
    xrd_gen: dict[str, Any] = dataclasses.field(default_factory=dict)
    verified: int = 0

    def row(self, server: str, scenario: str, concurrency: int) -> Row | None:
        """The row for that server and setting, if measured."""
        for row in self.rows:
            if (row.server, row.scenario, row.concurrency) == (server, scenario, concurrency):
                return row
        return None


def turn_order(items: Sequence[T], number: int) -> tuple[T, ...]:
    """The order of round `number`: every permutation in turn (A/B, B/A for two items).

    Over len(items)! rounds each item is first, middle and last equally often, so a machine
    that drifts within a round charges no server more than another.
    """
    orders = list(itertools.permutations(items))
    return orders[number % len(orders)]


def verified_round(
    server: servers.Server,
    calls: Sequence[load.Call],
    batch_payloads: Sequence[tuple[str, bytes]],
    concurrency: int,
    scenario: str,
    *,
    kind: verify.Kind,
) -> tuple[load.Batch, float]:
    """One verified round: (batch, server CPU seconds)."""
    before = server.cpu_seconds()
    batch = load.batch(calls, batch_payloads, concurrency)
    cpu = server.cpu_seconds() - before
    verify.check_all(server.name, batch.responses, batch_payloads, scenario, kind=kind)
    return batch, cpu


def cold_starts(settings: Settings, log_dir: Path, log: Log) -> dict[str, list[float]]:
    """Alternate project and floor starts; each first response is verified."""
    stream = payloads.Stream("ready", fleet=settings.fleet, prefix="c")
    out: dict[str, list[float]] = {"project": [], "floor": []}
    # One unmeasured start each writes the bytecode cache, as an installed package ships it.
    for module in (servers.PROJECT, servers.FLOOR):
        servers.cold_start("warm-up", module, stream.next()[1], log_dir=log_dir)
    for i in range(settings.cold_starts):
        order = [("project", servers.PROJECT), ("floor", servers.FLOOR)]
        for name, module in order if i % 2 == 0 else order[::-1]:
            tag, payload = stream.next()
            seconds, response = servers.cold_start(name, module, payload, log_dir=log_dir)
            kind: verify.Kind = "project" if name == "project" else "floor"
            why = verify.problem(response, tag, "ready", kind=kind)
            if why:
                raise servers.BenchError(f"{name} cold start: first response: {why}")
            out[name].append(seconds)
    log(
        "cold start medians: "
        + ", ".join(f"{k} {1000 * statistics.median(v):.0f} ms" for k, v in out.items())
    )
    return out


def ab_rounds(settings: Settings, results: Results, log_dir: Path, log: Log) -> None:
    """Floor, copy-only and project side by side, one channel each, rotating turns."""
    streams = {s: payloads.Stream(s, fleet=settings.fleet) for s in settings.scenarios}
    first = streams[settings.scenarios[0]].next()[1]
    with contextlib.ExitStack() as stack:
        trio = [
            (stack.enter_context(servers.running(name, module, first, log_dir=log_dir)), kind)
            for name, module, kind in ROUND_SERVERS
        ]
        started = {server.name: server for server, _ in trio}
        project = started["project"]
        channels = {server.name: load.channel(server.target) for server, _ in trio}
        for chan in channels.values():
            stack.callback(chan.close)  # closed before the servers stop (last in, first out)
        calls = {name: [load.multicallable(ch)] for name, ch in channels.items()}
        for scenario in settings.scenarios:  # warm-up, not measured
            warm = [streams[scenario].next() for _ in range(settings.warmup)]
            for server, kind in trio:
                verified_round(server, calls[server.name], warm, 16, scenario, kind=kind)
        for concurrency in settings.concurrency:
            for scenario in settings.scenarios:
                rows = {s.name: Row(s.name, scenario, concurrency) for s, _ in trio}
                for number in range(settings.rounds):
                    batch_payloads = [streams[scenario].next() for _ in range(settings.calls)]
                    for server, kind in turn_order(trio, number):
                        batch, cpu = verified_round(
                            server,
                            calls[server.name],
                            batch_payloads,
                            concurrency,
                            scenario,
                            kind=kind,
                        )
                        rows[server.name].add(batch, cpu)
                        results.verified += len(batch.responses)
                results.rows.extend(rows.values())
                log(
                    f"{scenario} c={concurrency}: "
                    + ", ".join(
                        f"{r.server} {r.cpu_ms:.3f} ms CPU/call {r.rps:.0f} req/s"
                        for r in rows.values()
                    )
                )
        if settings.cache_calls:
            _cache_hits(settings, results, project, calls["project"], streams)
        _fill_cache(settings, project, calls["project"], streams)
        # Cold start and RSS stay against the floor: the yardstick is for CPU and latency.
        results.rss_kb = {"project": project.rss_kb(), "floor": started["floor"].rss_kb()}


def _cache_hits(
    settings: Settings,
    results: Results,
    project: servers.Server,
    calls: Sequence[load.Call],
    streams: dict[str, payloads.Stream],
) -> None:
    """The same request again and again: what a steady XR's polls cost (clearly labelled)."""
    scenario = "ready" if "ready" in streams else next(iter(streams))
    item = streams[scenario].next()
    verified_round(project, calls, [item], 1, scenario, kind="project")  # first time: composed
    row = Row("project (cache hit)", scenario, 1)
    batch, cpu = verified_round(
        project, calls, [item] * settings.cache_calls, 1, scenario, kind="project"
    )
    row.add(batch, cpu)
    results.verified += len(batch.responses)
    results.rows.append(row)


def _fill_cache(
    settings: Settings,
    project: servers.Server,
    calls: Sequence[load.Call],
    streams: dict[str, payloads.Stream],
) -> None:
    """Repeat FILL_REQUESTS requests so the response cache is full when RSS is read.

    All-distinct load never fills it; a steady fleet does, so RSS "after load" includes it.
    """
    if not settings.fill_cache:
        return
    scenario = "ready" if "ready" in streams else next(iter(streams))
    batch_payloads = [streams[scenario].next() for _ in range(settings.fill_cache)]
    for _ in range(2):
        verified_round(project, calls, batch_payloads, 16, scenario, kind="project")
