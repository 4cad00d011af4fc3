"""Rule 1: which Compositions `crossplane render` accepts for an XR."""

from __future__ import annotations

import pytest

from scripts.render.composition import check_composition
from scripts.render.errors import RenderError
from scripts.render.fakes import composition_manifest, xr_manifest


def _composition(**changes) -> dict:
    comp = composition_manifest(("s1", "fn"))
    for path, value in changes.items():
        node = comp
        *parents, leaf = path.split("__")
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return comp


@pytest.mark.parametrize(
    ("comp", "xr", "message"),
    [
        (_composition(apiVersion="apiextensions.crossplane.io/v2"), None, "not a composition"),
        (_composition(kind="CompositionRevision"), None, "not a composition"),
        (
            _composition(
                spec__compositeTypeRef={"apiVersion": "ci.openshift.org/v1alpha1", "kind": "Other"}
            ),
            None,
            "compositeTypeRef.kind (Other) does not match XR's kind (XTestPlatformCluster)",
        ),
        (
            _composition(
                spec__compositeTypeRef={
                    "apiVersion": "ci.openshift.org/v2",
                    "kind": "XTestPlatformCluster",
                }
            ),
            None,
            "compositeTypeRef.apiVersion (ci.openshift.org/v2) does not match XR's apiVersion",
        ),
        (_composition(spec__mode="Resources"), None, "must use spec.mode: Pipeline"),
        (_composition(spec__mode=None), None, "must use spec.mode: Pipeline"),
        (
            _composition(),
            xr_manifest(spec={"crossplane": {"compositionSelector": {"matchLabels": {"a": "b"}}}}),
            'composition "comp" is missing required label "a"',
        ),
        (
            _composition(metadata__labels={"a": "c"}),
            xr_manifest(spec={"compositionSelector": {"matchLabels": {"a": "b"}}}),
            'incorrect value for label "a": want "b", got "c"',
        ),
        (
            _composition(spec__pipeline=[{"step": "s1"}]),
            None,
            "spec.pipeline[0] needs both step and functionRef.name",
        ),
    ],
)
def test_bad_composition_is_one_clear_error(comp, xr, message):
    with pytest.raises(RenderError) as err:
        check_composition(xr or xr_manifest(), comp)
    assert message in str(err.value)


def test_matching_selector_labels_are_accepted():
    comp = _composition(metadata__labels={"a": "b"})
    xr = xr_manifest(spec={"crossplane": {"compositionSelector": {"matchLabels": {"a": "b"}}}})
    assert check_composition(xr, comp) == comp["spec"]["pipeline"]
