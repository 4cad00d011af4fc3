""".github/workflows: CI runs what developers run, and a CRD change cannot leave xrd/ stale."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from packaging.specifiers import SpecifierSet
from packaging.version import Version

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


def step(doc: dict[str, Any], job: str, uses: str) -> dict[str, Any]:
    """The one step of `job` that uses an action whose reference starts with `uses`."""
    (found,) = [s for s in doc["jobs"][job]["steps"] if s.get("uses", "").startswith(uses)]
    return found


def supported_pythons() -> list[str]:
    """The Pythons pyproject.toml declares (classifiers), each admitted by requires-python."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert all(SpecifierSet(project["requires-python"]).contains(v) for v in versions)
    return versions


def test_supported_pythons_are_311_to_313() -> None:
    assert supported_pythons() == ["3.11", "3.12", "3.13"]


def test_tests_run_make_test_on_pushes_and_pull_requests_for_each_python() -> None:
    doc = workflow("test.yml")
    assert {"push", "pull_request"} <= set(doc["on"])
    job = doc["jobs"]["test"]
    assert job["strategy"]["matrix"]["python"] == supported_pythons()
    (python,) = [s for s in job["steps"] if "setup-python" in s.get("uses", "")]
    assert python["with"]["python-version"] == "${{ matrix.python }}"
    assert 'make test PYTHON="python${{ matrix.python }}"' in runs(doc, "test")
    assert 'make wheel-check PYTHON="python${{ matrix.python }}"' in runs(doc, "test")


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


# The release path (.github/workflows/release.yml) -------------------------------------------


def test_release_builds_on_prs_and_pushes_on_main_and_tags() -> None:
    doc = workflow("release.yml")
    assert doc["on"]["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert "pull_request" in doc["on"]
    assert doc["permissions"] == {"contents": "read"}
    push = doc["jobs"]["push"]
    assert push["if"] == "github.event_name != 'pull_request'"
    assert set(push["needs"]) == {"build", "examples"}
    assert push["permissions"] == {"contents": "read", "packages": "write"}


def test_release_builds_one_image_and_package_per_architecture() -> None:
    doc = workflow("release.yml")
    build = doc["jobs"]["build"]
    assert build["strategy"]["matrix"]["arch"] == ["amd64", "arm64"]
    image = step(doc, "build", "docker/build-push-action@")["with"]
    assert image["platforms"] == "linux/${{ matrix.arch }}"
    assert image["target"] == "image"  # the Dockerfile's runtime stage
    assert image["outputs"] == "type=docker,dest=runtime-${{ matrix.arch }}.tar"
    [xpkg] = [r for r in runs(doc, "build") if "xpkg build" in r]
    for flag in (
        "--package-root=package",
        "--embed-runtime-image-tarball=runtime-${{ matrix.arch }}.tar",
        "--package-file=${{ matrix.arch }}.xpkg",
    ):
        assert f" {flag}" in xpkg
    assert step(doc, "build", "actions/upload-artifact@")["with"]["path"] == "*.xpkg"


def test_release_pushes_both_architectures_as_one_tag_versioned_from_git() -> None:
    doc = workflow("release.yml")
    [version] = [r for r in runs(doc, "push") if "XPKG_VERSION=" in r]
    assert "GITHUB_REF_NAME" in version  # a tag is its own version
    assert "git rev-parse --short=12 HEAD" in version  # otherwise a pseudo-version
    [push] = [r for r in runs(doc, "push") if "xpkg push" in r]
    assert "--package-files amd64.xpkg,arm64.xpkg" in push
    assert '"$XPKG:$XPKG_VERSION"' in push
    assert step(doc, "push", "docker/login-action@")["with"]["registry"] == "ghcr.io"


def test_release_checks_the_examples_with_the_real_crossplane_cli_first() -> None:
    doc = workflow("release.yml")
    step(doc, "examples", "./.github/actions/setup-crossplane")
    [tests] = [r for r in runs(doc, "examples") if "pytest" in r]
    assert "tests/test_examples.py" in tests  # crossplane render vs the xp-render goldens
    assert "tests/test_examples_crossplane.py" in tests  # crossplane beta validate
    assert "grep -q '^SKIPPED'" in tests  # a skipped CLI test fails the job


def test_crossplane_cli_is_pinned_to_a_release_with_dockerless_render() -> None:
    action = yaml.safe_load((ROOT / ".github/actions/setup-crossplane/action.yml").read_text())
    version = Version(action["inputs"]["version"]["default"].lstrip("v"))
    # From v2.3 `crossplane render` is `crossplane composition render`, run in a container.
    assert Version("2.0") <= version < Version("2.3")
    [install] = action["runs"]["steps"]
    assert re.fullmatch(
        r"https://raw\.githubusercontent\.com/crossplane/crossplane/[0-9a-f]{40}/install\.sh",
        install["env"]["INSTALL_SH"],
    )


# Make: one venv per interpreter, linters in `make lint` -------------------------------------


def _make(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VENV", "MAKEFLAGS")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_each_interpreter_gets_its_own_venv_and_the_default_keeps_dot_venv() -> None:
    minor = "{}.{}".format(*sys.version_info[:2])
    given = _make("-n", "setup", f"PYTHON={sys.executable}")
    assert f"creating .venv-py{minor} with {sys.executable} ({minor})" in given.stdout
    default = _make("-n", "setup")
    assert re.search(r"creating \.venv with \S+ \(3\.1[1-3]\)", default.stdout), default.stdout


def test_unsupported_interpreter_is_refused_in_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "python3.9"
    fake.write_text(
        '#!/bin/sh\ncase "$2" in *executable*) echo "$0";; *version_info*) echo 3.9;; esac\n'
    )
    fake.chmod(0o755)
    done = _make("setup", f"PYTHON={fake}", f"VENV={tmp_path / 'venv'}")
    assert done.returncode != 0
    assert f"make: Python 3.11 to 3.13 is required, {fake} is 3.9" in done.stdout
    assert not (tmp_path / "venv").exists()


def test_lint_runs_hadolint_on_every_dockerfile_and_actionlint() -> None:
    text = (ROOT / "Makefile").read_text()
    [listed] = re.findall(r"^DOCKERFILES := (.*)$", text, flags=re.MULTILINE)
    assert sorted(listed.split()) == sorted(p.name for p in ROOT.glob("Dockerfile*"))
    lint = text.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/hadolint $(DOCKERFILES)" in lint
    assert "$(BIN)/actionlint" in lint


def _linter(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_hadolint_fails_a_dockerfile_that_breaks_its_rules(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu:latest\nRUN apt-get install curl\n")
    done = subprocess.run(
        [_linter("hadolint"), str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # latest tag


def test_actionlint_fails_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: [missing]\n"
        "    steps:\n      - run: echo ${{ matrix.nope }}\n"
    )
    done = subprocess.run(
        [_linter("actionlint"), str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "missing" in done.stdout
