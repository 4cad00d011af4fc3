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


def steps(doc: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return doc["jobs"][job]["steps"]


def test_the_sync_check_shows_the_classification_in_the_summary() -> None:
    (check,) = [r for r in runs(workflow("xrd-sync.yml"), "check") if "sync --check" in r]
    assert "2> xrd.log" in check  # the classified changes go to stderr
    assert check.index("cat xrd.log") < check.index("GITHUB_STEP_SUMMARY")


def test_upstream_is_followed_daily_from_the_pinned_repository_and_path() -> None:
    doc = workflow("xrd-upstream.yml")
    assert set(doc["on"]) == {"schedule", "workflow_dispatch"}
    assert doc["on"]["schedule"][0]["cron"]
    assert doc["permissions"] == {"contents": "read"}
    assert doc["jobs"]["follow"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    block = yaml.safe_load((ROOT / "xrd" / "xrd-gen.yaml").read_text())["upstream"]
    (checkout,) = [s for s in steps(doc, "follow") if s.get("id") == "upstream"]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["repository"] == block["repository"]
    assert checkout["with"]["sparse-checkout"] == block["path"].rsplit("/", 1)[0]
    assert "ref" not in checkout["with"]  # upstream HEAD, never a pinned ref
    assert checkout["with"]["persist-credentials"] is False


def test_follow_runs_offline_on_the_checkout_and_feeds_the_pull_request() -> None:
    doc = workflow("xrd-upstream.yml")
    (follow,) = [s for s in steps(doc, "follow") if s.get("id") == "follow"]
    run = follow["run"]
    assert '.venv/bin/xrd-gen follow --from .upstream --commit "$UPSTREAM_COMMIT"' in run
    assert follow["env"]["UPSTREAM_COMMIT"] == "${{ steps.upstream.outputs.commit }}"
    assert '--outputs "$GITHUB_OUTPUT"' in run
    assert "rm -rf .upstream" in run  # the nested checkout never reaches the commit
    assert "${{" not in run  # expressions reach the shell through env, not by substitution
    (pr,) = [s for s in steps(doc, "follow") if "create-pull-request" in s.get("uses", "")]
    assert "if" not in pr  # always runs: with nothing left to change it closes the PR
    assert pr["with"]["branch"] == "xrd-gen/upstream"
    assert pr["with"]["add-paths"].split() == ["crd/", "xrd/"]
    assert pr["with"]["body-path"] == "${{ runner.temp }}/xrd-upstream-body.md"
    assert '--body "$RUNNER_TEMP/xrd-upstream-body.md"' in run
    assert "steps.follow.outputs.breaking == 'true'" in pr["with"]["labels"]
    assert "steps.follow.outputs.verdict" in pr["with"]["title"]
    (unlabel,) = [s for s in steps(doc, "follow") if "--remove-label" in s.get("run", "")]
    assert "steps.follow.outputs.breaking != 'true'" in unlabel["if"]


def test_only_the_upstream_workflow_commits_crd() -> None:
    """crd/ is rewritten only by `xrd-gen follow`, in the xrd-upstream workflow's PR."""
    committing = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        doc = workflow(path.name)
        for job in doc["jobs"]:
            for step in steps(doc, job):
                if "create-pull-request" in step.get("uses", ""):
                    committing[path.name] = step["with"]["add-paths"].split()
    assert committing == {"xrd-sync.yml": ["xrd/"], "xrd-upstream.yml": ["crd/", "xrd/"]}
