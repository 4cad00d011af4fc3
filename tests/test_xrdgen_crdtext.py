"""scripts.xrdgen.crdtext: upstream's structure, our descriptions, one canonical rendering."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import ROOT, shared_file
from xrdgen_helpers import crd, spec_props, upstream_words

from scripts.xrdgen import crdtext

EC_CRD = ROOT / "crd" / "ci.openshift.io_ephemeralclusters.yaml"


def test_merge_keeps_our_descriptions_and_drops_upstreams() -> None:
    ours = crd()
    theirs = upstream_words(crd())
    spec_props(theirs)["extra"] = {"type": "string", "description": "Upstream says: new."}
    spec_props(theirs)["bare"] = {"type": "object", "properties": {"x": {"type": "string"}}}
    del spec_props(ours)["size"]["description"]  # upstream describes it, we do not
    merged, missing = crdtext.merge(theirs, ours)
    assert spec_props(merged)["mode"] == spec_props(ours)["mode"]
    assert spec_props(merged)["extra"] == {"type": "string"}
    assert "description" not in spec_props(merged)["size"]
    assert merged["metadata"] == {"name": "widgets.example.org"}  # no controller-gen annotation
    # In document order: described upstream only, or new (with what is inside a new field);
    # `free`, which neither side describes, is not asked for.
    assert missing == ["spec.size", "spec.extra", "spec.bare", "spec.bare.x"]
    assert "Upstream says" not in yaml.safe_dump(merged)


def test_our_description_where_upstream_has_none_is_kept() -> None:
    ours, theirs = crd(), crd()
    theirs["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"].pop(
        "description"
    )
    merged, missing = crdtext.merge(theirs, ours)
    assert merged == ours
    assert missing == []


def test_descriptions_inside_data_are_not_prose() -> None:
    theirs = crd()
    spec_props(theirs)["labels"]["default"] = {"description": "a default value"}
    merged, missing = crdtext.merge(theirs, crd())
    assert spec_props(merged)["labels"]["default"] == {"description": "a default value"}
    assert missing == []


SCHEMA = ("spec", "versions", "[v1]", "schema", "openAPIV3Schema")
ENV_AS = ("properties", "spec", "properties", "env", "additionalProperties", "properties", "as")


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (SCHEMA, "<root>"),
        ((*SCHEMA, *ENV_AS, "items"), "spec.env.*.as[]"),
        (("spec", "versions", "[v1]", "x"), "spec.versions.[v1].x"),
    ],
)
def test_paths_are_shown_like_the_classifier_shows_them(path: tuple, shown: str) -> None:
    assert crdtext.show(path) == shown


def test_render_is_canonical_and_round_trips() -> None:
    doc = crd(root={"description": "Two\nlines."})
    text = crdtext.render(doc, "# head\n")
    assert text.startswith("# head\napiVersion: apiextensions.k8s.io/v1\nkind: Custom")
    assert yaml.safe_load(text) == doc
    shuffled = copy.deepcopy(doc)
    shuffled["spec"] = dict(reversed(list(shuffled["spec"].items())))
    shuffled["spec"]["names"] = dict(reversed(list(shuffled["spec"]["names"].items())))
    rules = spec_props(shuffled)["ports"]["items"]["x-kubernetes-validations"]
    rules[0] = dict(reversed(list(rules[0].items())))  # message before rule
    assert crdtext.render(shuffled, "# head\n") == text
    assert "description: |-\n          Two\n          lines.\n" in text
    version = text.split("  - name: v1\n")[1]
    assert version.startswith("    served: true\n    storage: true\n    schema:\n")


@pytest.mark.shared
def test_the_pinned_upstream_merged_with_ours_is_exactly_our_crd() -> None:
    """What `xrd-gen follow` would make of the pinned upstream file is crd/ as it is: same
    structure, our descriptions, nothing of upstream's left to describe."""
    ours = yaml.safe_load(EC_CRD.read_text())
    theirs = yaml.safe_load(
        shared_file("upstream/ci.openshift.io_ephemeralclusters.yaml").read_text()
    )
    merged, missing = crdtext.merge(theirs, ours)
    assert merged == ours
    assert missing == []
