"""1 process vs `--workers N` at c=16: does a pod use its cores?

Both servers get the same CPUs (N of them, see `pinning`), the client the others when the
machine has them. Connections are reopened until the workers hold them evenly, rounds
alternate, every response is verified. A last pair of rounds over a single connection shows
what Crossplane (one connection per pod) gets from N workers.
"""

from __future__ import annotations

import resource
from pathlib import Path

import grpc

from scripts.bench import load, measure, payloads, pinning, procstat, servers
from scripts.bench.measure import Log


def _spread(
    server: servers.Server,
    stream: payloads.Stream,
    count: int,
    settings: measure.Settings,
    log: Log,
) -> list[grpc.Channel]:
    """`count` connections, reopened until the workers hold them evenly (counts differ by ≤ 1).

    The kernel picks a worker per connection (SO_REUSEPORT hashing); a worker with fewer
    connections would get fewer of the calls (each slot sticks to its connection), and the
    comparison would measure the kernel's dice, not the workers.
    """
    for _attempt in range(24):
        chans = [load.channel(server.target, own_connection=True) for _ in range(count)]
        warm = [stream.next() for _ in range(max(settings.warmup, 4 * count))]
        measure.verified_round(
            server, [load.multicallable(c) for c in chans], warm, 16, "ready", kind="project"
        )
        spread = procstat.connections_by_process(server.pid, server.port)
        workers_seen = [n for pid, n in spread.items() if pid != server.pid]
        if len(workers_seen) <= 1 or max(workers_seen) - min(workers_seen) <= 1:
            return chans
        for chan in chans:
            chan.close()
    log("workers: could not spread the connections evenly; measuring anyway")
    return [load.channel(server.target, own_connection=True) for _ in range(count)]


def _alternate(
    pair: tuple[servers.Server, servers.Server],
    calls: dict[str, list[load.Call]],
    rows: dict[str, measure.Row],
    *,
    stream: payloads.Stream,
    per_round: int,
    settings: measure.Settings,
    results: measure.Results,
) -> None:
    """`worker_rounds` verified c=16 Ready rounds, the pair's order alternating each round."""
    first, second = pair
    for number in range(settings.worker_rounds):
        batch_payloads = [stream.next() for _ in range(per_round)]
        for server in (first, second) if number % 2 == 0 else (second, first):
            client_before = _client_cpu()
            batch, cpu = measure.verified_round(
                server, calls[server.name], batch_payloads, 16, "ready", kind="project"
            )
            rows[server.name].add(batch, cpu)
            rows[server.name].client_cpu += _client_cpu() - client_before
            results.verified += len(batch.responses)


def compare(settings: measure.Settings, results: measure.Results, log_dir: Path, log: Log) -> None:
    """1 process vs `--workers N` at c=16 over several connections, alternating rounds."""
    stream = payloads.Stream("ready", fleet=settings.fleet, prefix="w")
    first = stream.next()[1]
    extra = ("--workers", str(settings.workers))
    name_n = f"project --workers {settings.workers}"
    placement = results.worker_placement = settings.placement()
    where = placement.servers
    log(
        f"workers: servers on CPUs {list(where or ())}, client on {list(placement.client or ())}"
        if placement.pinned
        else f"workers: not pinned ({placement.reason})"
    )
    with (
        pinning.client_on(placement.client),
        servers.running("project", servers.PROJECT, first, log_dir=log_dir, cpus=where) as one,
        servers.running(
            name_n, servers.PROJECT, first, extra=extra, log_dir=log_dir, cpus=where
        ) as many,
    ):
        conns = settings.worker_connections
        channels = {s.name: _spread(s, stream, conns, settings, log) for s in (one, many)}
        single = load.channel(many.target, own_connection=True)
        single_one = load.channel(one.target, own_connection=True)
        try:
            calls = {k: [load.multicallable(c) for c in v] for k, v in channels.items()}
            rows = {
                s.name: measure.Row(s.name, "ready", 16, connections=conns) for s in (one, many)
            }
            _alternate(
                (one, many),
                calls,
                rows,
                stream=stream,
                per_round=settings.worker_calls,
                settings=settings,
                results=results,
            )
            spread = procstat.connections_by_process(many.pid, many.port)
            results.worker_spread = [n for pid, n in sorted(spread.items()) if pid != many.pid]
            # What a client with one connection (Crossplane, per pod) gets from N workers.
            lone = {
                s.name: measure.Row(f"{s.name} (1 connection)", "ready", 16, connections=1)
                for s in (one, many)
            }
            singles = {
                one.name: [load.multicallable(single_one)],
                many.name: [load.multicallable(single)],
            }
            _alternate(
                (one, many),
                singles,
                lone,
                stream=stream,
                per_round=settings.worker_calls // 2,
                settings=settings,
                results=results,
            )
            results.worker_rows = [*rows.values(), *lone.values()]
            results.rss_kb[name_n] = many.rss_kb()
            log(
                "workers: "
                + ", ".join(f"{r.server} {r.rps:.0f} req/s" for r in results.worker_rows)
                + f"; connections per worker {results.worker_spread}"
            )
        finally:
            for chans in channels.values():
                for ch in chans:
                    ch.close()
            single.close()
            single_one.close()


def _client_cpu() -> float:
    """CPU seconds of this process (the load generator: all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
