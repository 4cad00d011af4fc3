""".github/workflows: CI runs what developers run, and a CRD change cannot leave xrd/ stale."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as a boolean
    return doc


def runs(doc: dict[str, Any], job: str) -> list[str]:
    return [step["run"] for step in doc["jobs"][job]["steps"] if "run" in step]


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE))


def test_tests_run_make_test_on_pushes_and_pull_requests() -> None:
    doc = workflow("test.yml")
    assert {"push", "pull_request"} <= set(doc["on"])
    assert "make test" in runs(doc, "test")
    (python,) = [s for s in doc["jobs"]["test"]["steps"] if "setup-python" in s.get("uses", "")]
    assert python["with"]["python-version"] == "3.11"  # pyproject: requires-python 3.11


def test_crd_changes_are_checked_on_prs_and_synced_by_pr_on_main() -> None:
    doc = workflow("xrd-sync.yml")
    for event in ("pull_request", "push"):
        assert "crd/**" in doc["on"][event]["paths"]
    assert doc["on"]["push"]["branches"] == ["main"]
    assert any("xrd-gen sync --check" in run for run in runs(doc, "check"))
    assert "make xrd" in runs(doc, "sync")
    (pr,) = [s for s in doc["jobs"]["sync"]["steps"] if "create-pull-request" in s.get("uses", "")]
    assert pr["with"]["add-paths"] == "xrd/"
    assert doc["jobs"]["sync"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert doc["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_every_make_target_a_workflow_calls_exists(path: Path) -> None:
    called = set(re.findall(r"\bmake ([a-z][a-z-]*)", path.read_text()))
    assert called
    assert called <= make_targets()
