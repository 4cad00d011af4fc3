"""scripts.xrdgen.follow: the offline upstream update (a local directory stands in for the
upstream repository; crd/ and xrd/ are temporary copies, never the project's own)."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, present, shared_file
from test_ec_crd import shape
from xrdgen_helpers import (
    NEXT,
    PINNED,
    UPSTREAM_PATH,
    WIDGET_FIELDS,
    crd,
    spec_props,
    upstream_words,
    write,
)

from scripts import crdschema
from scripts.xrdgen import cli, config, follow, sync
from scripts.xrdgen.options import GenError


class Project:
    """crd/c.yaml (our words) following upstream/<UPSTREAM_PATH> (upstream's words)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.upstream = root / "upstream"
        self.file = self.upstream / UPSTREAM_PATH
        self.file.parent.mkdir(parents=True)
        self.crd = root / "crd" / "c.yaml"
        self.crd.parent.mkdir()
        self.config = root / "xrd" / "xrd-gen.yaml"
        self.config.parent.mkdir()
        write(self.crd, crd())
        data = self.publish(upstream_words(crd()))
        body = {
            "upstream": {
                "repository": "example/widgets",
                "path": UPSTREAM_PATH,
                "commit": PINNED,
                "sha256": hashlib.sha256(data).hexdigest(),
                "crd": "../crd/c.yaml",
            },
            "defaults": {
                "crd": "../crd/c.yaml",
                "group": "example.org",
                "specFields": WIDGET_FIELDS,
                "statusFields": ["phase"],
            },
            "xrds": [
                {"output": "xwidgets.yaml", "kind": "XWidget"},
                {"output": "widgets.yaml", "kind": "Widget", "api": "v2"},
            ],
        }
        self.config.write_text("# the pin below is rewritten in place\n" + yaml.safe_dump(body))
        sync.run(config.load(self.config), check=False, out=io.StringIO())

    def publish(self, doc: Any) -> bytes:
        """Put a new upstream file in place; returns its bytes."""
        if isinstance(doc, bytes):
            data = doc
        else:
            data = (doc if isinstance(doc, str) else yaml.safe_dump(doc)).encode()
        self.file.write_bytes(data)
        return data

    def change(self, mutate: Callable[[dict[str, Any]], Any]) -> None:
        doc = upstream_words(crd())
        mutate(doc)
        self.publish(doc)

    def tree(self) -> dict[str, bytes]:
        return {
            str(p.relative_to(self.root)): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file() and "upstream" not in p.parts
        }

    def follow(self, *, write: bool = True, commit: str | None = NEXT) -> follow.Outcome:
        return follow.follow(self.config, self.upstream, commit, write=write)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path)


def loaded(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [without_descriptions(v) for v in node]
    return node


def kinds(outcome: follow.Outcome) -> list[tuple[str, str, str, bool]]:
    return [
        (Path(x.path).name, c.path, c.kind, c.breaking)
        for x in outcome.xrds
        for c in present(x.changes)
    ]


def test_no_change_upstream_writes_nothing(project: Project) -> None:
    before = project.tree()
    outcome = project.follow()
    assert outcome.changed is False
    assert (outcome.written, outcome.xrds, outcome.crd_changes) == ([], [], [])
    assert project.tree() == before


def test_a_later_commit_with_the_same_file_is_no_change(project: Project) -> None:
    assert project.follow(commit="f" * 40).changed is False
    assert present(config.load(project.config).upstream).commit == PINNED


def test_a_compatible_change_updates_crd_xrds_and_the_pin(project: Project) -> None:
    def add_protocol(doc: dict) -> None:
        port = spec_props(doc)["ports"]["items"]["properties"]
        port["protocol"] = {"type": "string", "description": "Upstream says: TCP or UDP."}

    project.change(add_protocol)
    outcome = project.follow()
    assert outcome.changed
    assert not outcome.breaking
    assert kinds(outcome) == [
        ("xwidgets.yaml", "spec.ports[].protocol", "optional-field-added", False),
        ("widgets.yaml", "spec.ports[].protocol", "optional-field-added", False),
    ]
    assert [(c.path, c.kind) for c in outcome.crd_changes] == [
        ("spec.ports[].protocol", "optional-field-added")
    ]
    # crd/ now has upstream's structure, our descriptions, and none of upstream's words.
    ours = loaded(project.crd)
    assert without_descriptions(ours) == without_descriptions(
        {**loaded(project.file), "metadata": {"name": "widgets.example.org"}}
    )
    assert "Upstream says" not in project.crd.read_text()
    assert spec_props(ours)["size"]["description"] == "How big."
    assert outcome.undescribed == ["spec.ports[].protocol"]
    pin = present(config.load(project.config).upstream)
    assert (pin.commit, pin.sha256) == (NEXT, hashlib.sha256(project.file.read_bytes()).hexdigest())
    assert project.config.read_text().startswith("# the pin below is rewritten in place\n")
    assert sorted(p.name for p in outcome.written) == [
        "c.yaml",
        "widgets.yaml",
        "xrd-gen.yaml",
        "xwidgets.yaml",
    ]
    check = sync.run(config.load(project.config), check=True, out=io.StringIO())
    assert check.clean  # xrd/ is current with the new crd/
    assert project.follow().changed is False  # and the next run finds nothing to do


def test_a_breaking_change_is_classified_and_still_proposed(project: Project) -> None:
    def breaking(doc: dict) -> None:
        spec_props(doc)["size"]["type"] = "string"
        spec_props(doc)["mode"]["enum"] = ["Small"]

    project.change(breaking)
    outcome = project.follow()
    assert outcome.breaking
    assert kinds(outcome)[:2] == [
        ("xwidgets.yaml", "spec.mode", "enum-narrowed", True),
        ("xwidgets.yaml", "spec.size", "type-changed", True),
    ]
    assert (
        loaded(project.root / "xrd" / "xwidgets.yaml")["spec"]["versions"][0]["schema"][
            "openAPIV3Schema"
        ]["properties"]["spec"]["properties"]["size"]["type"]
        == "string"
    )


def test_an_unforwarded_new_field_is_named_with_the_reason(project: Project) -> None:
    project.change(lambda d: spec_props(d).update(priority={"type": "integer"}))
    outcome = project.follow()
    assert not outcome.breaking
    assert [(Path(x.path).name, x.changes) for x in outcome.xrds] == [
        ("xwidgets.yaml", []),  # only the header's source hash changes
        ("widgets.yaml", []),
    ]
    assert outcome.notes == [
        f"{name}: spec.priority: not forwarded to the XRD: specFields in xrd-gen.yaml lists "
        f"only {', '.join(WIDGET_FIELDS)}; add it there to let claims set it, or give the "
        "reason under omittedSpecFields"
        for name in ("xwidgets.yaml", "widgets.yaml")
    ]
    assert [(c.path, c.kind) for c in outcome.crd_changes] == [
        ("spec.priority", "optional-field-added")
    ]


def test_an_explained_omission_carries_its_reason(project: Project) -> None:
    body = loaded(project.config)
    body["defaults"]["omittedSpecFields"] = {"priority": "set by the Composition, not by claims"}
    project.config.write_text(yaml.safe_dump(body))
    project.change(lambda d: spec_props(d).update(priority={"type": "integer"}))
    notes = project.follow().notes
    assert notes[0] == (
        "xwidgets.yaml: spec.priority: not forwarded to the XRD: set by the Composition, not "
        "by claims (omittedSpecFields in xrd-gen.yaml)"
    )


def test_check_writes_nothing(project: Project) -> None:
    project.change(lambda d: spec_props(d).update(priority={"type": "integer"}))
    before = project.tree()
    outcome = project.follow(write=False)
    assert outcome.changed
    assert outcome.written == []
    assert project.tree() == before


def not_structural(doc: dict) -> None:
    del spec_props(doc)["size"]["type"]


def renamed(doc: dict) -> None:
    doc["metadata"]["name"] = "gadgets.example.org"
    doc["spec"]["names"]["plural"] = "gadgets"


def no_storage(doc: dict) -> None:
    doc["spec"]["versions"][0]["storage"] = False


def forwarded_field_removed(doc: dict) -> None:
    del spec_props(doc)["when"]


BAD = {
    "not YAML": ("a: [1\n", "not valid YAML: "),
    "not UTF-8": (b"\xff\xfe\x00a", "not UTF-8 text"),
    "empty": ("", "not a CRD: no CustomResourceDefinition document (found nothing)"),
    "not a CRD": ("kind: ConfigMap\napiVersion: v1\n", "not a CRD: no CustomResourceDefinition"),
    "another CRD": (renamed, "CRD gadgets.example.org, but crd/ holds widgets.example.org"),
    "not structural": (not_structural, "not a structural schema: spec.size: missing type"),
    "no storage version": (no_storage, "has no single storage version"),
    "a forwarded field removed": (
        forwarded_field_removed,
        "xrds[0] (xwidgets.yaml): specFields when: not a property of the CRD's spec",
    ),
}


@pytest.mark.parametrize(("content", "message"), list(BAD.values()), ids=list(BAD))
def test_a_bad_upstream_file_is_one_line_and_writes_nothing(
    project: Project, content: Any, message: str
) -> None:
    if callable(content):
        project.change(content)
    else:
        project.publish(content)
    before = project.tree()
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(
        ["follow", "--from", str(project.upstream), "--commit", NEXT, "--config",
         str(project.config), "--outputs", str(project.root / "out.txt")],
        out=out, err=err,
    )  # fmt: skip
    assert status == 2, err.getvalue()
    assert out.getvalue() == ""
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith("xrd-gen: error: ")
    assert message in err.getvalue()
    assert project.tree() == before


@pytest.mark.parametrize(
    ("source", "commit", "message"),
    [
        ("upstream/nowhere", NEXT, "--from upstream/nowhere: cannot read: No such file"),
        ("upstream", "abc", "--commit 'abc': expected a full 40-character"),
        ("crd", NEXT, f"--from crd: no {UPSTREAM_PATH} in this checkout of example/widgets"),
        (f"upstream/{UPSTREAM_PATH}", None, "--commit: required when --from"),
    ],
)
def test_bad_sources_are_refused(
    project: Project, source: str, commit: str | None, message: str
) -> None:
    with pytest.raises(GenError, match=message.replace("[", r"\[").replace("(", r"\(")):
        follow.follow(project.config, Path(source), commit, write=True)


def test_a_file_stands_in_for_the_repository_too(project: Project) -> None:
    project.change(lambda d: spec_props(d).update(priority={"type": "integer"}))
    outcome = follow.follow(project.config, project.file, NEXT, write=True)
    assert outcome.changed
    assert present(config.load(project.config).upstream).commit == NEXT


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org",
         "-c", "commit.gpgsign=false", *args],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip


def test_a_git_checkout_gives_the_commit(project: Project) -> None:
    project.change(lambda d: spec_props(d).update(priority={"type": "integer"}))
    git(project.upstream, "init", "-q")
    git(project.upstream, "add", ".")
    git(project.upstream, "commit", "-q", "-m", "upstream change")
    head = git(project.upstream, "rev-parse", "HEAD")
    outcome = project.follow(commit=None)
    assert outcome.fetched.commit == head
    assert present(config.load(project.config).upstream).commit == head


def test_a_config_without_upstream_is_refused(project: Project) -> None:
    body = loaded(project.config)
    del body["upstream"]
    project.config.write_text(yaml.safe_dump(body))
    with pytest.raises(GenError, match="no upstream block"):
        project.follow()


def test_the_cli_writes_body_and_outputs_and_check_exits_1(project: Project) -> None:
    project.change(lambda d: spec_props(d).update(priority={"type": "integer"}))
    body, outputs = project.root / "body.md", project.root / "out.txt"
    base = ["follow", "--from", str(project.upstream), "--commit", NEXT,
            "--config", str(project.config)]  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    assert cli.main([*base, "--check"], out=out, err=err) == 1
    assert not body.exists()
    assert "xrd-gen: verdict: compatible: " in out.getvalue()
    out = io.StringIO()
    extra = ["--body", str(body), "--outputs", str(outputs)]
    assert cli.main([*base, *extra], out=out, err=err) == 0
    assert err.getvalue() == ""
    assert body.read_text().startswith("<!-- xrd-gen follow -->\n## Upstream CRD changed: ")
    assert outputs.read_text().splitlines() == [
        "changed=true",
        "breaking=false",
        "verdict=compatible",
        f"commit={NEXT}",
        "label=xrd-breaking",
    ]
    assert out.getvalue().splitlines()[-1] == "xrd-gen: wrote xrd/xrd-gen.yaml"
    assert cli.main([*base], out=io.StringIO(), err=err) == 0  # nothing left to do


UPSTREAM_EC = "upstream/ci.openshift.io_ephemeralclusters.yaml"
EC_NAME = "ci.openshift.io_ephemeralclusters.yaml"


@pytest.fixture
def real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary copy of the project's crd/ and xrd/ (the real files are never rewritten)."""
    monkeypatch.chdir(tmp_path)
    for folder in ("crd", "xrd"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


@pytest.mark.shared
def test_the_project_is_current_with_the_pinned_upstream(real: Path) -> None:
    block = present(config.load(real / "xrd" / "xrd-gen.yaml").upstream)
    outcome = follow.follow(
        real / "xrd" / "xrd-gen.yaml", shared_file(UPSTREAM_EC), block.commit, write=True
    )
    assert outcome.changed is False
    assert (real / "crd").joinpath(EC_NAME).read_bytes() == (ROOT / "crd" / EC_NAME).read_bytes()


@pytest.mark.shared
def test_a_real_upstream_change_lands_with_the_structure_test_ec_crd_checks(real: Path) -> None:
    """An upstream field added under releases.*.release reaches crd/ with exactly upstream's
    structure (what tests/test_ec_crd.py compares with ../shared) and both XRDs."""
    doc = yaml.safe_load(shared_file(UPSTREAM_EC).read_text())
    release = spec_props(doc)["ciOperator"]["properties"]["releases"]["additionalProperties"]
    release["properties"]["release"]["properties"]["arch_variant"] = {"type": "string"}
    source = write(real / "upstream.yaml", doc)
    outcome = follow.follow(real / "xrd" / "xrd-gen.yaml", source, NEXT, write=True)
    assert not outcome.breaking
    assert sorted({(c.path, c.kind) for c in outcome.xrd_changes}) == [
        ("spec.ciOperator.releases.*.release.arch_variant", "optional-field-added")
    ]
    ours = crdschema.load_crd(real / "crd" / EC_NAME)
    assert shape(crdschema.version_schema(ours)) == shape(crdschema.version_schema(doc))
    assert outcome.undescribed == ["spec.ciOperator.releases.*.release.arch_variant"]


def test_upstream_prose_alone_moves_only_the_pin(project: Project) -> None:
    def reworded(doc: dict) -> None:
        spec_props(doc)["size"]["description"] = "Upstream says: something else entirely."

    project.change(reworded)
    before = project.crd.read_bytes()
    outcome = project.follow()
    assert (outcome.changed, outcome.crd_changes, outcome.xrds) == (True, [], [])
    assert outcome.crd_diff == ""
    assert [p.name for p in outcome.written] == ["xrd-gen.yaml"]
    assert project.crd.read_bytes() == before  # not even reformatted
    assert present(config.load(project.config).upstream).commit == NEXT


def test_an_upstream_crd_no_entry_uses_is_refused(project: Project) -> None:
    body = loaded(project.config)
    body["upstream"]["crd"] = "../crd/other.yaml"
    project.config.write_text(yaml.safe_dump(body))
    with pytest.raises(GenError, match=r"upstream\.crd .*other\.yaml is the crd of no xrds entry"):
        project.follow()
