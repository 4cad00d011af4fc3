"""`fn-bench soak`: the function under steady c=16 load for a while; memory must stay flat.

RSS is taken after a warm-up (caches and allocator arenas at their working size) and at the
end; growth beyond the limit, or any wrong response, fails the soak. Requests are all
distinct (tags, resourceVersions, a fleet of XRs, both scenarios), as in the bench, except
that every third call repeats a recent one, so the response cache fills, hits and evicts.
"""

from __future__ import annotations

import collections
import dataclasses
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from scripts.bench import load, payloads, servers, verify
from scripts.bench.measure import Log

RSS_GROWTH_LIMIT_PCT = 5.0
REPEAT_EVERY = 3  # every third call repeats one of the RECENT last requests
RECENT = 600  # more than the response cache holds (256), so it also evicts


@dataclasses.dataclass
class SoakResult:
    """What a soak observed."""

    seconds: float
    warmup_seconds: float
    concurrency: int
    workers: int
    calls: int = 0
    errors: int = 0
    first_error: str = ""
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    rss_max_kb: int = 0
    limit_pct: float = RSS_GROWTH_LIMIT_PCT

    @property
    def growth_pct(self) -> float:
        """RSS growth from the end of warm-up to the end, in percent."""
        if not self.rss_start_kb:
            return 0.0
        return 100.0 * (self.rss_end_kb - self.rss_start_kb) / self.rss_start_kb

    @property
    def ok(self) -> bool:
        """No wrong response and RSS within the limit."""
        return self.errors == 0 and self.calls > 0 and self.growth_pct <= self.limit_pct

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "seconds": self.seconds,
            "warmup_seconds": self.warmup_seconds,
            "concurrency": self.concurrency,
            "workers": self.workers,
            "calls": self.calls,
            "errors": self.errors,
            "first_error": self.first_error,
            "rss_start_mb": round(self.rss_start_kb / 1024, 2),
            "rss_end_mb": round(self.rss_end_kb / 1024, 2),
            "rss_max_mb": round(self.rss_max_kb / 1024, 2),
            "rss_growth_pct": round(self.growth_pct, 2),
            "rss_growth_limit_pct": self.limit_pct,
            "pass": self.ok,
        }


class _Feed:
    """Distinct requests, alternating scenarios, until a deadline; verifies each response."""

    def __init__(self, result: SoakResult, fleet: int) -> None:
        self.result = result
        self.streams = [payloads.Stream(s, fleet=fleet, prefix="s") for s in payloads.SCENARIOS]
        self.lock = threading.Lock()
        self.turn = 0
        self.recent: collections.deque[tuple[Any, bytes]] = collections.deque(maxlen=RECENT)
        self.deadline = 0.0
        self.counting = False

    def source(self) -> tuple[Any, bytes] | None:
        with self.lock:
            if time.monotonic() >= self.deadline:
                return None
            self.turn += 1
            if self.turn % REPEAT_EVERY == 0 and self.recent:
                # A repeat of a recent request: the response cache fills, hits and evicts.
                return self.recent[(self.turn * 7) % len(self.recent)]
            stream = self.streams[self.turn % len(self.streams)]
            tag, payload = stream.next()
            item = (tag, stream.scenario), payload
            self.recent.append(item)
        return item

    def sink(self, ref: Any, data: bytes | BaseException, _elapsed: float) -> None:
        tag, scenario = ref
        if isinstance(data, BaseException):
            why: str | None = f"call failed: {type(data).__name__}"
        else:
            why = verify.problem(data, tag, scenario, kind="project")
        with self.lock:
            self.result.calls += 1
            if why:
                self.result.errors += 1
                self.result.first_error = self.result.first_error or f"tag {tag}: {why}"


def _sample_rss(server: servers.Server, result: SoakResult, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        result.rss_max_kb = max(result.rss_max_kb, server.rss_kb())


def soak(
    seconds: float,
    *,
    warmup: float,
    concurrency: int = 16,
    workers: int = 1,
    fleet: int = 256,
    limit_pct: float = RSS_GROWTH_LIMIT_PCT,
    log: Log,
) -> SoakResult:
    """Run the soak; the server is always stopped by PID at the end."""
    result = SoakResult(seconds, warmup, concurrency, workers, limit_pct=limit_pct)
    feed = _Feed(result, fleet)
    extra = ("--workers", str(workers)) if workers > 1 else ()
    first = payloads.Stream("ready", fleet=fleet, prefix="f").next()[1]
    with (
        tempfile.TemporaryDirectory(prefix="fn-soak-") as tmp,
        servers.running(
            "project", servers.PROJECT, first, extra=extra, log_dir=Path(tmp)
        ) as server,
    ):
        conns = 1 if workers == 1 else 2 * workers
        chans = [load.channel(server.target, own_connection=True) for _ in range(conns)]
        calls = [load.multicallable(c) for c in chans]
        try:
            feed.deadline = time.monotonic() + warmup
            load.run(calls, feed.source, feed.sink, concurrency)
            result.rss_start_kb = result.rss_max_kb = server.rss_kb()
            log(f"soak: warm-up done, RSS {result.rss_start_kb / 1024:.1f} MiB")
            stop = threading.Event()
            sampler = threading.Thread(target=_sample_rss, args=(server, result, stop), daemon=True)
            sampler.start()
            feed.deadline = time.monotonic() + seconds
            load.run(calls, feed.source, feed.sink, concurrency)
            stop.set()
            sampler.join()
            result.rss_end_kb = server.rss_kb()
            result.rss_max_kb = max(result.rss_max_kb, result.rss_end_kb)
        finally:
            for chan in chans:
                chan.close()
    return result


def summary(result: SoakResult) -> str:
    """Human-readable lines."""
    verdict = "PASS" if result.ok else "MISS"
    plural = "s" if result.workers > 1 else ""
    head = (
        f"soak: {result.seconds:.0f} s at c={result.concurrency} ({result.workers} "
        f"worker{plural}), {result.calls} calls after {result.warmup_seconds:.0f} s warm-up, "
        f"{result.errors} errors"
    )
    rss = (
        f"RSS start {result.rss_start_kb / 1024:.1f} MiB, end {result.rss_end_kb / 1024:.1f} "
        f"MiB, max {result.rss_max_kb / 1024:.1f} MiB, growth {result.growth_pct:+.2f} % "
        f"(limit {result.limit_pct:.0f} %)"
    )
    lines = [head, rss, f"{verdict}  soak"]
    if result.first_error:
        lines.insert(1, f"first error: {result.first_error}")
    return "\n".join(lines)
