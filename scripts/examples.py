"""The rendered examples in examples/cases.yaml: their files and render arguments.

One table drives the golden tests, `make demo` and the commands in examples/README.md, so the
three cannot drift apart. Paths are relative to the repository root.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = ROOT / "examples" / "cases.yaml"
FUNCTIONS = "examples/functions.yaml"
EXPECTED_DIR = "examples/expected"


@dataclasses.dataclass(frozen=True)
class Case:
    """One example render: XR, Composition, observed resources and required resources."""

    name: str
    about: str
    xr: str
    composition: str
    observed: str | None = None
    required: str | None = None

    @property
    def expected(self) -> str:
        """The committed golden output."""
        return f"{EXPECTED_DIR}/{self.name}.yaml"

    def args(self, functions: str = FUNCTIONS) -> list[str]:
        """`crossplane render` arguments (the same for xp-render), results included."""
        argv = [self.xr, self.composition, functions]
        if self.observed:
            argv += ["-o", self.observed]
        if self.required:
            argv += ["-e", self.required]
        return [*argv, "-r"]

    def command(self, tool: str = "crossplane render") -> str:
        """The command line a user runs from the repository root."""
        return " ".join([tool, *self.args()])


def load(path: Path = CASES_FILE) -> list[Case]:
    """Every example case, in file order."""
    docs = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [Case(**doc) for doc in docs]


def case(name: str, path: Path = CASES_FILE) -> Case:
    """One case by name (KeyError when there is none)."""
    for found in load(path):
        if found.name == name:
            return found
    raise KeyError(name)


def render_case(found: Case, target: str, *, timeout: float = 30.0) -> list[dict]:
    """Render one case through the function at `target` with xp-render's library.

    Returns the documents `crossplane render -r` would print (the XR first).
    """
    from scripts.render import loading  # noqa: PLC0415 - keeps `load()` light
    from scripts.render.engine import documents, render  # noqa: PLC0415
    from scripts.render.launcher import route_to  # noqa: PLC0415

    rendered = render(
        xr=loading.read_one(ROOT / found.xr, "composite resource (XR)"),
        composition=loading.read_one(ROOT / found.composition, "Composition"),
        functions=route_to(loading.load_functions(ROOT / FUNCTIONS), target),
        observed=loading.load_observed(ROOT / found.observed) if found.observed else [],
        required=loading.load_required([ROOT / found.required] if found.required else []),
        timeout=timeout,
    )
    return documents(rendered, include_results=True, include_context=False)
