"""scripts.xrdgen.report: the pull request body, terminal lines and workflow outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_xrdgen_follow import Project
from xrdgen_helpers import NEXT, spec_props

from scripts.xrdgen import report


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path)


def test_a_breaking_body_carries_verdict_changes_and_diff(project: Project) -> None:
    def change(doc: dict) -> None:
        spec_props(doc)["size"]["type"] = "string"
        spec_props(doc)["priority"] = {"type": "integer", "description": "Upstream says: p."}

    project.change(change)
    outcome = project.follow()
    body = report.body(outcome)
    assert body.startswith(f"{report.MARK}\n## Upstream CRD changed: **BREAKING**\n")
    assert "**BREAKING: 3 of 4 changes break existing objects.** Do not merge as is" in body
    assert (
        "`xrd/xwidgets.yaml`:\n\n```text\n"
        "BREAKING   xwidgets.example.org v1 spec.size: type changed from integer to string\n```"
    ) in body
    assert "### Not forwarded to the XRDs\n\n- `xwidgets.yaml: spec.priority: not forwarded" in body
    assert "### Need a description in the project's words\n\n- `spec.priority`\n" in body
    assert f"/compare/{'0123456789ab'}" in body
    assert "```diff\n--- a/crd/c.yaml\n+++ b/crd/c.yaml\n" in body
    assert "+# Source schema sha256: " in body
    assert "Upstream says" not in body  # upstream's prose never reaches the project


def test_a_compatible_body_asks_for_descriptions(project: Project) -> None:
    project.change(lambda d: spec_props(d).update(note={"type": "string"}))
    body = report.body(project.follow())
    assert "## Upstream CRD changed: **compatible**" in body
    assert "Existing claims stay valid." in body


def test_an_unchanged_body_and_lines(project: Project) -> None:
    outcome = project.follow()
    assert report.body(outcome) == (
        f"{report.MARK}\nUpstream `{outcome.block.path}` is unchanged at `{NEXT}`.\n"
    )
    assert report.lines(outcome) == [
        (
            f"xrd-gen: upstream example/widgets {outcome.block.path} unchanged at {NEXT[:12]} "
            "(sha256 matches the pin 0123456789ab)"
        )
    ]


def test_a_huge_diff_is_shortened_never_the_verdict(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.change(lambda d: spec_props(d).update(note={"type": "string"}))
    outcome = project.follow()
    outcome.crd_diff = "+x\n" * 100_000
    body = report.body(outcome)
    assert len(body) < 65_536
    assert "**compatible: " in body
    assert "... (shortened; the Files tab has the whole diff)" in body
    monkeypatch.setattr(report, "BODY_LIMIT", 10)
    assert "```diff\n\n... (shortened" in report.body(outcome)


def test_outputs_append_key_values(project: Project, tmp_path: Path) -> None:
    target = tmp_path / "github_output"
    target.write_text("earlier=1\n")
    report.outputs(project.follow(), target)
    assert target.read_text().splitlines() == [
        "earlier=1",
        "changed=false",
        "breaking=false",
        "verdict=unchanged",
        f"commit={NEXT}",
        "label=xrd-breaking",
    ]
