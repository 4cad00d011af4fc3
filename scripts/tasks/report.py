"""How a task step reports: progress lines, Tekton results, and the outcome that sets its exit.

Progress goes to stdout (the TaskRun log), the final message to stderr on failure. Nothing here
ever sees a Secret's data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from scripts.tasks.claimstate import Claim

Out = Callable[[str], None]
#: The result both tasks write as soon as the ProwJob URL is known (Progress writes it).
PROW_JOB_URL = "prowJobURL"


class Results(Protocol):
    """Where a step writes its Tekton results."""

    def write(self, name: str, value: str) -> None: ...


class ResultFiles:
    """Tekton results as files: `$(results.<name>.path)` of each declared result.

    Tekton reads them when the step ends, failed or not (tektoncd/pipeline @3ee1745a,
    pkg/entrypoint/entrypointer.go `Go`, then pkg/pod/status.go), so a result written before a
    failure still reaches `finally` tasks.
    """

    def __init__(self, paths: dict[str, str]) -> None:
        self.paths = {name: Path(path) for name, path in paths.items() if path}

    def write(self, name: str, value: str) -> None:
        path = self.paths.get(name)
        if path is not None:
            path.write_text(value, encoding="utf-8")


class MemoryResults:
    """Results kept in a dict (tests, and runs outside Tekton)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def write(self, name: str, value: str) -> None:
        self.values[name] = value


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How the step ends: exit 0 with a message, or exit 1 with a one-line reason."""

    ok: bool
    message: str

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


@dataclasses.dataclass(frozen=True)
class TimedOut:
    """The deadline passed; `what` says what the step was waiting for and what it last saw."""

    what: str

    def outcome(self, timeout: float) -> Outcome:
        return Outcome(False, f"timed out after {human(timeout)} waiting for {self.what}")


def human(seconds: float) -> str:
    """`7200` -> `2h`, `5400` -> `1h30m`, `45` -> `45s` (for messages)."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or f"{seconds:g}s"


class Progress:
    """Prints the ProwJob URL the first time it is known and every change of phase."""

    def __init__(self, out: Out, results: Results) -> None:
        self.out = out
        self.results = results
        self.url = ""
        self.phase: str | None = None

    def seen(self, claim: Claim) -> None:
        if claim.prow_job_url and claim.prow_job_url != self.url:
            self.url = claim.prow_job_url
            self.out(f"ProwJob URL: {self.url}")
            self.results.write(PROW_JOB_URL, self.url)
        if claim.phase != self.phase:
            self.phase = claim.phase
            self.out(f"{claim.describe()}")
