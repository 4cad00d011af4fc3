"""The rendered XR: Ready condition, function conditions, identity and -x (rule 6)."""

from __future__ import annotations

from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import pytest

from scripts.render.xr import first_n_and_more, ready_condition, render_xr, set_conditions

T = "2024-01-01T00:00:00Z"
XR: dict[str, Any] = {
    "apiVersion": "ci.openshift.org/v1alpha1",
    "kind": "XTestPlatformCluster",
    "metadata": {"name": "x1", "labels": {"a": "b"}, "uid": "u"},
    "spec": {"tearDownCluster": False},
}


@pytest.mark.parametrize(
    ("names", "text"),
    [
        (["a"], "a"),
        (["b", "a"], "a, b"),
        (["c", "a", "b"], "a, b, and c"),
        (["d", "c", "b", "a"], "a, b, c, and 1 more"),
        (["e", "d", "c", "b", "a"], "a, b, c, and 2 more"),
    ],
)
def test_unready_names_are_sorted_and_abbreviated(names, text):
    assert first_n_and_more(names) == text


@pytest.mark.parametrize(
    ("composite_ready", "unready", "expected"),
    [
        (fnv1.READY_UNSPECIFIED, [], {"status": "True", "reason": "Available"}),
        (fnv1.READY_TRUE, ["ec"], {"status": "True", "reason": "Available"}),
        (fnv1.READY_FALSE, [], {"status": "False", "reason": "Creating"}),
        (fnv1.READY_FALSE, ["ec"], {"status": "False", "reason": "Creating"}),
        (
            fnv1.READY_UNSPECIFIED,
            ["ec", "credentials", "connection-secret", "z"],
            {
                "status": "False",
                "reason": "Creating",
                "message": "Unready resources: connection-secret, credentials, ec, and 1 more",
            },
        ),
    ],
)
def test_ready_condition(composite_ready, unready, expected):
    assert ready_condition(composite_ready, unready) == {
        "type": "Ready",
        "lastTransitionTime": T,
        **expected,
    }


def test_set_conditions_replaces_same_type_in_place_and_appends_new():
    a = {"type": "A", "status": "True", "reason": "R", "lastTransitionTime": "old"}
    b = {"type": "B", "status": "True", "reason": "R"}
    same_a = {**a, "lastTransitionTime": T}
    new_b = {"type": "B", "status": "False", "reason": "S", "lastTransitionTime": T}
    c = {"type": "C", "status": "True", "reason": "R", "lastTransitionTime": T}
    assert set_conditions([a, b], same_a, new_b, c) == [a, new_b, c]


def test_render_xr_identity_status_and_conditions():
    desired = {
        "apiVersion": "wrong/v1",
        "kind": "Wrong",
        "metadata": {"name": "wrong", "namespace": "wrong", "labels": {"kept": "yes"}},
        "status": {
            "phase": "Provisioning",
            "conditions": [{"type": "Own", "status": "True", "reason": "R"}],
        },
    }
    cond = {"type": "ClusterReady", "status": "False", "reason": "Waiting", "lastTransitionTime": T}
    system = {"type": "Synced", "status": "False", "reason": "X", "lastTransitionTime": T}
    out = render_xr(
        desired,
        XR,
        composite_ready=fnv1.READY_UNSPECIFIED,
        unready=["ec"],
        conditions=[cond, system],
    )
    assert out == {
        "apiVersion": "ci.openshift.org/v1alpha1",
        "kind": "XTestPlatformCluster",
        "metadata": {"name": "x1", "labels": {"kept": "yes"}},
        "status": {
            "phase": "Provisioning",
            "conditions": [
                {"type": "Own", "status": "True", "reason": "R"},
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "Creating",
                    "message": "Unready resources: ec",
                    "lastTransitionTime": T,
                },
                cond,
            ],
        },
    }


def test_empty_desired_composite_still_identifies_the_xr():
    out = render_xr({}, XR, composite_ready=fnv1.READY_UNSPECIFIED, unready=[], conditions=[])
    assert out == {
        "apiVersion": XR["apiVersion"],
        "kind": XR["kind"],
        "metadata": {"name": "x1"},
        "status": {
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": T}
            ]
        },
    }


def test_include_full_xr_copies_spec_and_metadata():
    desired = {
        "metadata": {"labels": {"from": "fn"}},
        "spec": {"ignored": True},
        "status": {"phase": "Ready"},
    }
    out = render_xr(
        desired,
        XR,
        composite_ready=fnv1.READY_TRUE,
        unready=[],
        conditions=[],
        include_full_xr=True,
    )
    assert out["spec"] == XR["spec"]
    assert out["metadata"] == XR["metadata"]
    assert out["status"]["phase"] == "Ready"
    out["spec"]["tearDownCluster"] = True
    assert XR["spec"]["tearDownCluster"] is False  # a copy, not the input
