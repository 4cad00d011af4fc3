"""Find the kustomizations under deploy/ and render them with `kubectl kustomize`.

kubectl's embedded kustomize is what `kubectl apply -k` and most GitOps tools run, so a tree
that renders here renders there. Components (`kind: Component`) cannot be built on their
own; they are rendered inside an overlay by the tests.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

#: The file names kustomize recognises, in its order of preference.
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
TIMEOUT_S = 120


class RenderError(RuntimeError):
    """A kustomization that does not render (the message is kubectl's, shortened)."""


@dataclasses.dataclass(frozen=True)
class Kustomization:
    """One kustomization directory and its kind (Kustomization or Component)."""

    path: Path
    kind: str


def kustomization_file(directory: Path) -> Path | None:
    """The kustomization file of `directory`, if it has one."""
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def find(root: Path) -> list[Kustomization]:
    """Every kustomization under `root` (sorted), with its kind."""
    found: list[Kustomization] = []
    for directory in sorted({p.parent for name in KUSTOMIZATION_FILES for p in root.rglob(name)}):
        path = kustomization_file(directory)
        if path is None:
            continue
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise RenderError(f"{path}: not YAML: {err}") from None
        kind = doc.get("kind", "Kustomization") if isinstance(doc, dict) else "?"
        found.append(Kustomization(directory, str(kind)))
    return found


def kubectl() -> str | None:
    """Path of kubectl, if installed."""
    return shutil.which("kubectl")


def render(directory: Path, binary: str = "kubectl") -> list[dict[str, Any]]:
    """The documents `kubectl kustomize directory` prints, or RenderError."""
    try:
        done = subprocess.run(
            [binary, "kustomize", str(directory)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RenderError(f"kubectl kustomize {directory}: {err}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise RenderError(f"kubectl kustomize {directory}: {lines[-1] if lines else 'failed'}")
    try:
        docs = [d for d in yaml.safe_load_all(done.stdout) if d is not None]
    except yaml.YAMLError as err:
        raise RenderError(f"kubectl kustomize {directory}: output is not YAML: {err}") from None
    bad = [d for d in docs if not isinstance(d, dict)]
    if bad:
        raise RenderError(f"kubectl kustomize {directory}: a document is not a mapping")
    return docs
