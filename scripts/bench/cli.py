"""``fn-bench``: the function against its yardsticks (default), or ``fn-bench soak``.

Progress goes to stderr; stdout gets the table, the budget lines and, last, one JSON line.
Exit status: 0 when the run completed (MISS lines are reported, not fatal, unless --strict),
1 when a response was wrong or a server failed, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from scripts.bench import measure, pinning, report, runner, servers, table
from scripts.bench import soak as soakmod

PROG = "fn-bench"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Options of the bench run and of the soak subcommand."""
    d = measure.Settings()
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Benchmark function-ephemeral-cluster against a copy-only function (the "
        "yardstick for CPU and p99) and a no-op SDK function (the floor), in the same rounds, "
        "on loopback; prints a table, PASS/MISS per budget line, then JSON.",
    )
    p.add_argument("--calls", type=_positive, default=d.calls, help="calls per server per round")
    p.add_argument(
        "--rounds",
        type=_positive,
        default=d.rounds,
        help="rounds per setting (each server once per round, order rotating)",
    )
    p.add_argument("--cold-starts", type=_positive, default=d.cold_starts, help="starts each")
    p.add_argument("--fleet", type=_positive, default=d.fleet, help="distinct XRs rotated")
    p.add_argument("--cache-calls", type=_positive, default=d.cache_calls, help="0 skips")
    p.add_argument("--fill-cache", type=_positive, default=d.fill_cache, help="0 skips")
    p.add_argument("--workers", type=_positive, default=d.workers, help="compare 1 vs N; 0 skips")
    p.add_argument("--worker-calls", type=_positive, default=d.worker_calls)
    p.add_argument("--worker-rounds", type=_positive, default=d.worker_rounds)
    p.add_argument("--worker-connections", type=_positive, default=d.worker_connections)
    p.add_argument(
        "--server-cpus",
        metavar="LIST",
        help="CPUs for both servers in the workers comparison, e.g. 0-1 (with --client-cpus); "
        "default: the first N CPUs when there are more than N",
    )
    p.add_argument("--client-cpus", metavar="LIST", help="CPUs for the load generator, e.g. 2-3")
    p.add_argument("--no-pin", action="store_true", help="never pin the workers comparison")
    p.add_argument("--xrd-runs", type=_positive, default=d.xrd_runs, help="0 skips xrd-gen")
    p.add_argument("--long", action="store_true", help="4x the calls and rounds (~6 min)")
    p.add_argument("--strict", action="store_true", help="exit 3 when a budget line MISSes")
    sub = p.add_subparsers(dest="command", metavar="{soak}")
    s = sub.add_parser("soak", help="steady c=16 load; RSS must stay flat, no errors")
    s.add_argument("--seconds", type=_seconds, default=600.0, help="measured duration")
    s.add_argument("--warmup", type=_seconds, help="warm-up seconds (default: 10%%, 2-30 s)")
    s.add_argument("--concurrency", type=_positive, default=16)
    s.add_argument("--workers", dest="soak_workers", type=_positive, default=1)
    s.add_argument("--max-growth", type=float, default=soakmod.RSS_GROWTH_LIMIT_PCT, help="%%")
    return p


def _log(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> measure.Settings:
    scale = 4 if args.long else 1
    return measure.Settings(
        calls=args.calls * scale,
        rounds=max(args.rounds, 1) * scale,
        cold_starts=args.cold_starts * (2 if args.long else 1),
        fleet=max(args.fleet, 1),
        cache_calls=args.cache_calls,
        fill_cache=args.fill_cache,
        workers=args.workers,
        worker_calls=args.worker_calls * scale,
        worker_rounds=max(args.worker_rounds, 1) * (2 if args.long else 1),
        worker_connections=max(args.worker_connections, 1),
        pin=not args.no_pin,
        server_cpus=_cpus(args.server_cpus, "--server-cpus"),
        client_cpus=_cpus(args.client_cpus, "--client-cpus"),
        xrd_runs=args.xrd_runs,
    )


def _cpus(text: str | None, option: str) -> tuple[int, ...] | None:
    return None if text is None else pinning.parse(text, option)


def _bench(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
        if settings.workers > 1:
            settings.placement()  # unusable CPU lists fail before anything starts
    except pinning.PinError as err:
        _log(str(err))
        return 2
    if settings.calls < 100:  # noqa: PLR2004 - p99 needs at least 100 calls
        _log("--calls must be at least 100 (p99 needs 100 calls per round)")
        return 2
    results = runner.run(settings, _log)
    print(table.render(results))
    print(report.as_json(results), flush=True)
    missed = [line for line in report.budget(results) if line.verdict == "MISS"]
    return 3 if args.strict and missed else 0


def _soak(args: argparse.Namespace) -> int:
    warmup = args.warmup or min(max(args.seconds * 0.1, 2.0), 30.0)
    result = soakmod.soak(
        args.seconds,
        warmup=warmup,
        concurrency=max(args.concurrency, 1),
        workers=max(args.soak_workers, 1),
        limit_pct=args.max_growth,
        log=_log,
    )
    print(soakmod.summary(result))
    print(json.dumps({"soak": result.as_dict()}, separators=(",", ":")), flush=True)
    return 0 if result.ok else 1


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds: every started server is stopped by PID


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _soak(args) if args.command == "soak" else _bench(args)
    except servers.BenchError as err:
        _log(f"error: {err}")
        return 1
    except KeyboardInterrupt:
        _log("interrupted; servers stopped")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
