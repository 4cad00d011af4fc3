"""scripts.xrdgen.compare: `xrd-gen diff` loads two XRDs, or two CRDs through the sync config."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, shared_file
from xrdgen_helpers import crd, spec_props, write

from scripts.xrdgen import compare, config, sync
from scripts.xrdgen.options import GenError


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A config deriving a v1 and a v2 XRD from crd/c.yaml, generated once."""
    (tmp_path / "crd").mkdir()
    (tmp_path / "xrd").mkdir()
    write(tmp_path / "crd" / "c.yaml", crd())
    body = {
        "defaults": {"crd": "../crd/c.yaml", "group": "example.org", "statusFields": ["phase"]},
        "xrds": [
            {"output": "xwidgets.yaml", "kind": "XWidget", "specFields": ["size", "mode"]},
            {"output": "widgets.yaml", "kind": "Widget", "api": "v2"},
        ],
    }
    (tmp_path / "xrd" / "xrd-gen.yaml").write_text(yaml.safe_dump(body))
    sync.run(config.load(tmp_path / "xrd" / "xrd-gen.yaml"), check=False, out=io.StringIO())
    return tmp_path


def changed_crd(path: Path, mutate: Any) -> Path:
    doc = crd()
    mutate(doc)
    return write(path, doc)


def test_two_xrds_compare_directly(project: Path) -> None:
    old = project / "xrd" / "xwidgets.yaml"
    doc = yaml.safe_load(old.read_text())
    spec_props(doc).pop("mode")
    new = write(project / "new.yaml", doc)
    found = compare.compare(old, new, None)
    assert [c.line() for c in found.changes] == [
        "BREAKING   xwidgets.example.org v1 spec.mode: field removed"
    ]
    assert found.breaking
    assert found.notes == []


def test_two_crds_compare_through_every_xrd_the_config_derives(project: Path) -> None:
    old = project / "crd" / "c.yaml"
    new = changed_crd(
        project / "new.yaml",
        lambda d: (
            spec_props(d)["mode"].update(enum=["Small", "Large", "Huge"]),
            spec_props(d).update(priority={"type": "integer"}),
        ),
    )
    found = compare.compare(old, new, project / "xrd" / "xrd-gen.yaml")
    assert [c.line() for c in found.changes] == [
        "compatible xwidgets.example.org v1 spec.mode: enum widened: 'Huge' allowed",
        "compatible widgets.example.org v1 spec.mode: enum widened: 'Huge' allowed",
        "compatible widgets.example.org v1 spec.priority: new optional field",
    ]
    assert not found.breaking
    # The v1 XRD forwards only size and mode: the new field is named, with why.
    assert [n for n in found.notes if "spec.priority" in n] == [
        (
            "xwidgets.yaml: spec.priority: not forwarded to the XRD: specFields in xrd-gen.yaml "
            "lists only size, mode; add it there to let claims set it, or give the reason under "
            "omittedSpecFields"
        )
    ]


def test_a_crd_change_no_xrd_exposes_is_no_change(project: Path) -> None:
    def status_only(doc: dict) -> None:
        schema = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        schema["properties"]["status"]["properties"]["url"]["type"] = "integer"

    new = changed_crd(project / "new.yaml", status_only)
    found = compare.compare(project / "crd" / "c.yaml", new, project / "xrd" / "xrd-gen.yaml")
    assert found.changes == []


def test_a_crd_the_generator_refuses_names_old_or_new(project: Path) -> None:
    new = changed_crd(project / "new.yaml", lambda d: spec_props(d).pop("mode"))
    with pytest.raises(GenError) as info:
        compare.compare(project / "crd" / "c.yaml", new, project / "xrd" / "xrd-gen.yaml")
    assert str(info.value).startswith(f"NEW {new}: ")
    assert "specFields mode: not a property of the CRD's spec" in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("crd/c.yaml", "xrd/xwidgets.yaml", "is a CRD and NEW"),
        ("xrd/xwidgets.yaml", "crd/c.yaml", "is an XRD and NEW"),
        ("two.yaml", "crd/c.yaml", "two.yaml: expected one XRD or one CRD, found 2"),
        ("cm.yaml", "crd/c.yaml", "cm.yaml: expected one XRD or one CRD, found 0"),
        ("xrd-v0.yaml", "xrd/xwidgets.yaml", "XRD apiVersion 'apiextensions.crossplane.io/v0'"),
        ("missing.yaml", "crd/c.yaml", "missing.yaml: cannot read"),
    ],
)
def test_bad_inputs_are_one_line(project: Path, old: str, new: str, message: str) -> None:
    write(project / "two.yaml", crd(), crd())
    write(project / "cm.yaml", {"apiVersion": "v1", "kind": "ConfigMap"})
    xrd = yaml.safe_load((project / "xrd" / "xwidgets.yaml").read_text())
    write(project / "xrd-v0.yaml", {**xrd, "apiVersion": "apiextensions.crossplane.io/v0"})
    with pytest.raises(GenError, match=message.replace("(", r"\(")):
        compare.compare(project / old, project / new, project / "xrd" / "xrd-gen.yaml")


def test_crds_need_the_config(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "crd")
    with pytest.raises(GenError, match="derives their XRDs through the sync config"):
        compare.compare(Path("c.yaml"), Path("c.yaml"), None)


def test_no_entry_for_this_crd(project: Path) -> None:
    other = copy.deepcopy(crd(name="gadgets.example.org", kind="Gadget"))
    body = yaml.safe_load((project / "xrd" / "xrd-gen.yaml").read_text())
    body["defaults"]["crdName"] = "widgets.example.org"
    (project / "xrd" / "xrd-gen.yaml").write_text(yaml.safe_dump(body))
    path = write(project / "g.yaml", other)
    with pytest.raises(GenError, match=r"no entry derives an XRD from CRD gadgets\.example\.org"):
        compare.compare(path, path, project / "xrd" / "xrd-gen.yaml")


@pytest.mark.shared
def test_upstreams_hand_copied_xrd_to_ours_breaks_no_claim() -> None:
    """Replacing the XRD in production (konflux-ci/crossplane-control-plane) with the generated
    one only adds: releases.*.release.relative, the status projection, descriptions, columns."""
    theirs = shared_file("upstream/xtestplatformclusters.ci.openshift.org.xrd.yaml")
    ours = ROOT / "xrd" / "xtestplatformclusters.ci.openshift.org.yaml"
    found = compare.compare(theirs, ours, None)
    assert not found.breaking
    structural = [c.line() for c in found.changes if c.kind != "description-changed"]
    assert structural == [
        (
            "compatible xtestplatformclusters.ci.openshift.org v1alpha1 "
            "spec.ciOperator.releases.*.release.relative: new optional field"
        ),
        "compatible xtestplatformclusters.ci.openshift.org v1alpha1 status: new optional field",
        (
            "compatible xtestplatformclusters.ci.openshift.org v1alpha1 <columns>: printer columns "
            "changed"
        ),
    ]
