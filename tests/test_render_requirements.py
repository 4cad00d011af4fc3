"""Matching supplied resources to a function's resource selectors (rule 3)."""

from __future__ import annotations

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import pytest
from google.protobuf import json_format

from scripts.render.requirements import bootstrap_selector, fill, select

EC_API = "apiextensions.crossplane.io/v1beta1"


def env(name: str, namespace: str | None = None, **labels: str) -> dict:
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"apiVersion": EC_API, "kind": "EnvironmentConfig", "metadata": meta}


POOL = [
    env("zeta", team="a"),
    env("envcfg", team="b"),
    env("alpha", team="a", tier="x"),
    env("in-ns", "tenant", team="a"),
    {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "envcfg", "labels": {"team": "a"}},
    },
    {
        "apiVersion": "apiextensions.crossplane.io/v1alpha1",
        "kind": "EnvironmentConfig",
        "metadata": {"name": "envcfg"},
    },
]


def by_name(name: str, **extra) -> fnv1.ResourceSelector:
    return fnv1.ResourceSelector(
        api_version=EC_API, kind="EnvironmentConfig", match_name=name, **extra
    )


def by_labels(labels: dict, **extra) -> fnv1.ResourceSelector:
    return fnv1.ResourceSelector(
        api_version=EC_API,
        kind="EnvironmentConfig",
        match_labels=fnv1.MatchLabels(labels=labels),
        **extra,
    )


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        (by_name("envcfg"), ["envcfg"]),
        (by_name("absent"), []),
        (by_name("in-ns"), ["in-ns"]),
        (by_name("in-ns", namespace="tenant"), ["in-ns"]),
        (by_name("in-ns", namespace="other"), []),
        (by_name("envcfg", namespace="tenant"), []),
        (by_labels({"team": "a"}), ["alpha", "in-ns", "zeta"]),
        (by_labels({"team": "a", "tier": "x"}), ["alpha"]),
        (by_labels({"team": "a"}, namespace="tenant"), ["in-ns"]),
        (by_labels({"team": "c"}), []),
        (by_labels({}), ["alpha", "envcfg", "in-ns", "zeta"]),
        (fnv1.ResourceSelector(api_version=EC_API, kind="EnvironmentConfig"), []),
        (
            fnv1.ResourceSelector(api_version="v1", kind="ConfigMap", match_name="envcfg"),
            ["envcfg"],
        ),
    ],
)
def test_select_matches_apiversion_kind_then_name_or_labels(selector, names):
    got = select(selector, POOL)
    assert [r["metadata"]["name"] for r in got] == names
    assert all(r["apiVersion"] == selector.api_version for r in got)


def test_fill_replaces_previous_entries_and_keeps_unmatched_keys():
    req = fnv1.RunFunctionRequest()
    req.required_resources["stale"].items.add()
    fill(req.required_resources, {"env": by_name("envcfg"), "none": by_name("absent")}, POOL)
    assert sorted(req.required_resources) == ["env", "none"]
    (item,) = req.required_resources["env"].items
    assert json_format.MessageToDict(item.resource)["metadata"] == {
        "name": "envcfg",
        "labels": {"team": "b"},
    }
    assert not req.required_resources["none"].items


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {
                "requirementName": "e",
                "apiVersion": EC_API,
                "kind": "EnvironmentConfig",
                "name": "envcfg",
            },
            by_name("envcfg"),
        ),
        (
            {
                "requirementName": "e",
                "apiVersion": EC_API,
                "kind": "EnvironmentConfig",
                "matchLabels": {"team": "a"},
                "namespace": "tenant",
            },
            by_labels({"team": "a"}, namespace="tenant"),
        ),
    ],
)
def test_bootstrap_selector_from_composition_step(spec, expected):
    assert bootstrap_selector(spec) == expected
