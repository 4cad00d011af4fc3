"""Composed-resource metadata as `crossplane render` sets it (rule 5)."""

from __future__ import annotations

import pytest

from scripts.render.composed import compose_metadata, render_composed
from scripts.render.errors import RenderError

RN = "crossplane.io/composition-resource-name"

CLAIMED_XR = {
    "apiVersion": "ci.openshift.org/v1alpha1",
    "kind": "XTestPlatformCluster",
    "metadata": {
        "name": "tpc-abcde",
        "uid": "1234-uid",
        "labels": {
            "crossplane.io/claim-name": "tpc",
            "crossplane.io/claim-namespace": "tenant",
            "crossplane.io/composite": "tpc-abcde",
        },
    },
    "spec": {"claimRef": {"name": "tpc", "namespace": "tenant"}},
}
NAMESPACED_XR = {
    "apiVersion": "ci.openshift.org/v1alpha1",
    "kind": "TestPlatformCluster",
    "metadata": {"name": "tpc", "namespace": "tenant", "uid": "ns-uid"},
}
NESTED_XR = {
    "apiVersion": "ci.openshift.org/v1alpha1",
    "kind": "XChild",
    "metadata": {"name": "child-xyz", "labels": {"crossplane.io/composite": "root"}},
}
OBJECT = {"apiVersion": "kubernetes.crossplane.io/v1alpha2", "kind": "Object", "spec": {"x": 1}}


def owner(xr: dict) -> dict:
    return {
        "apiVersion": xr["apiVersion"],
        "kind": xr["kind"],
        "name": xr["metadata"]["name"],
        "uid": xr["metadata"].get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


@pytest.mark.parametrize(
    ("desired_meta", "xr", "observed_meta", "expected"),
    [
        # No name: generateName from the XR's name (or its composite label).
        (
            {},
            CLAIMED_XR,
            None,
            {
                "generateName": "tpc-abcde-",
                "labels": {
                    "crossplane.io/composite": "tpc-abcde",
                    "crossplane.io/claim-name": "tpc",
                    "crossplane.io/claim-namespace": "tenant",
                },
            },
        ),
        (
            {},
            NESTED_XR,
            None,
            {
                "generateName": "root-",
                "labels": {"crossplane.io/composite": "root"},
            },
        ),
        # An explicit name is kept, no generateName is added.
        (
            {"name": "managed-tpc-abcde"},
            CLAIMED_XR,
            None,
            {
                "name": "managed-tpc-abcde",
                "labels": {
                    "crossplane.io/composite": "tpc-abcde",
                    "crossplane.io/claim-name": "tpc",
                    "crossplane.io/claim-namespace": "tenant",
                },
            },
        ),
        # The observed resource's identity wins over the function's.
        (
            {"name": "from-function", "labels": {"app": "x"}},
            NESTED_XR,
            {"name": "observed-name", "namespace": "ns1", "generateName": "root-"},
            {
                "name": "observed-name",
                "namespace": "ns1",
                "generateName": "root-",
                "labels": {"app": "x", "crossplane.io/composite": "root"},
            },
        ),
        # Observed without a name: the function's name is dropped, generateName is added.
        (
            {"name": "from-function"},
            NESTED_XR,
            {"annotations": {RN: "ec"}},
            {
                "generateName": "root-",
                "labels": {"crossplane.io/composite": "root"},
            },
        ),
        # A namespaced XR forces its namespace on composed resources.
        (
            {"name": "s", "namespace": "elsewhere"},
            NAMESPACED_XR,
            None,
            {
                "name": "s",
                "namespace": "tenant",
                "labels": {"crossplane.io/composite": "tpc"},
            },
        ),
    ],
)
def test_compose_metadata(desired_meta, xr, observed_meta, expected):
    desired = {**OBJECT, "metadata": desired_meta}
    observed = None if observed_meta is None else {**OBJECT, "metadata": observed_meta}
    out = compose_metadata(desired, "ec", xr, observed)
    assert out["spec"] == {"x": 1}
    assert out["metadata"] == {
        **expected,
        "annotations": {RN: "ec"},
        "ownerReferences": [owner(xr)],
    }
    assert desired["metadata"] == desired_meta  # the input is not modified


def test_claim_labels_need_both_name_and_namespace():
    xr = {**CLAIMED_XR, "metadata": {"name": "x", "labels": {"crossplane.io/claim-name": "c"}}}
    labels = compose_metadata(OBJECT, "ec", xr)["metadata"]["labels"]
    assert labels == {"crossplane.io/composite": "x"}


def test_owner_reference_with_same_uid_is_replaced_and_others_kept():
    other = {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "cm-uid"}
    stale = {**owner(CLAIMED_XR), "name": "old-name"}
    desired = {**OBJECT, "metadata": {"ownerReferences": [other, stale]}}
    refs = compose_metadata(desired, "ec", CLAIMED_XR)["metadata"]["ownerReferences"]
    assert refs == [other, owner(CLAIMED_XR)]


def test_a_resource_controlled_by_someone_else_is_an_error():
    foreign = {"apiVersion": "v1", "kind": "Thing", "name": "t", "uid": "t-uid", "controller": True}
    desired = {**OBJECT, "metadata": {"ownerReferences": [foreign]}}
    with pytest.raises(RenderError, match='composed resource "ec" metadata: already controlled by'):
        compose_metadata(desired, "ec", CLAIMED_XR)


def test_xr_without_uid_gets_an_empty_uid():
    ref = compose_metadata(OBJECT, "ec", NESTED_XR)["metadata"]["ownerReferences"][0]
    assert ref["uid"] == ""


def test_render_composed_sorts_by_resource_name():
    desired = dict.fromkeys(("credentials", "ec", "connection-secret"), OBJECT)
    out = render_composed(desired, NAMESPACED_XR, {})
    assert [r["metadata"]["annotations"][RN] for r in out] == [
        "connection-secret",
        "credentials",
        "ec",
    ]
