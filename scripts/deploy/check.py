"""deploy-check: render every kustomization under deploy/ and hold each document to the real
CRDs (and the built-in schemas), then check that the rendered objects fit together.

The CRDs come from ../shared/schemas, which only CI and development machines have: without
it the check is skipped (not failed) and says so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from scripts.deploy import refs, render
from scripts.deploy.schemas import Schemas


class SkippedError(RuntimeError):
    """The check cannot run here (no ../shared); the message says why."""


@dataclasses.dataclass
class Report:
    """What the check found, per kustomization directory."""

    rendered: dict[str, int] = dataclasses.field(default_factory=dict)  # dir -> documents
    errors: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every kustomization rendered and nothing was wrong."""
        return not self.errors


def schemas_dir(shared: Path) -> Path:
    """The CRD directory, or Skipped when ../shared is not on this machine."""
    directory = shared / "schemas"
    if not directory.is_dir():
        raise SkippedError(
            f"{shared}/schemas not found: the real CRDs (../shared) are only on CI and "
            "development machines, so rendered documents cannot be validated here"
        )
    return directory


def check_documents(label: str, docs: list[dict], schemas: Schemas) -> tuple[list[str], list[str]]:
    """Errors (schema errors per document, then references) and notes for one rendering; the
    errors name `label`, the notes do not (the same note from several renderings is one)."""
    errors = [
        f"{label}: {doc.get('kind')} {(doc.get('metadata') or {}).get('name')}: {problem}"
        for doc in docs
        for problem in schemas.errors(doc)
    ]
    errors += [f"{label}: {problem}" for problem in refs.errors(docs)]
    return errors, refs.notes(docs)


def run(root: Path, shared: Path, *, kubectl: str | None = None) -> Report:
    """Render and check every Kustomization under `root`/deploy; SkippedError without ../shared."""
    schemas = Schemas.from_directory(schemas_dir(shared))
    binary = kubectl or render.kubectl()
    if binary is None:
        raise FileNotFoundError("kubectl not found on PATH: deploy-check renders with it")
    report = Report()
    notes: set[str] = set()
    for found in render.find(root / "deploy"):
        label = str(found.path.relative_to(root))
        if found.kind != "Kustomization":
            continue  # Components are built inside an overlay (tests/test_deploy_check.py)
        try:
            docs = render.render(found.path, binary)
        except render.RenderError as err:
            report.errors.append(f"{label}: {err}")
            continue
        report.rendered[label] = len(docs)
        errors, found_notes = check_documents(label, docs, schemas)
        report.errors += errors
        notes.update(found_notes)
    report.notes = sorted(notes)
    return report
