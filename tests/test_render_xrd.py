"""--xrd: the XRD's schema defaults applied to the XR."""

from __future__ import annotations

from typing import Any

import pytest
from render_helpers import spec_xrd, xrd_version

from scripts.render.errors import RenderError
from scripts.render.xrd import apply_xrd_defaults, default

SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "tearDownCluster": {"type": "boolean", "default": False},
        "releases": {
            "type": "object",
            "properties": {
                "initial": {
                    "type": "object",
                    "properties": {"relative": {"type": "integer", "default": 0}},
                }
            },
        },
        "env": {
            "type": "object",
            "default": {},
            "properties": {"tier": {"type": "string", "default": "ci"}},
        },
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"weight": {"type": "integer", "default": 1}},
            },
        },
        "labels": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"on": {"type": "boolean", "default": True}},
            },
        },
        "nullable": {"type": "string", "nullable": True, "default": "d"},
        "notNullable": {"type": "string", "default": "d"},
        "compositionUpdatePolicy": {"type": "string", "default": "UserValue"},
    },
}


def xrd(api_version: str = "apiextensions.crossplane.io/v1", **spec) -> dict:
    old = xrd_version("v1alpha0", {"old": {"type": "string", "default": "wrong-version"}})
    return spec_xrd(SPEC_SCHEMA["properties"], api_version=api_version, earlier=(old,), **spec)


def xr(spec: dict | None) -> dict:
    out = {
        "apiVersion": "ci.openshift.org/v1alpha1",
        "kind": "XTestPlatformCluster",
        "metadata": {"name": "x1"},
    }
    if spec is not None:
        out["spec"] = spec
    return out


def test_defaults_fill_missing_fields_only_where_the_parent_exists():
    got = apply_xrd_defaults(
        xr(
            {
                "items": [{}, {"weight": 5}],
                "labels": {"a": {}},
                "nullable": None,
                "notNullable": None,
            }
        ),
        xrd(),
    )
    assert got["spec"] == {
        "tearDownCluster": False,
        "env": {"tier": "ci"},  # defaulted object, then its own defaults
        "items": [{"weight": 1}, {"weight": 5}],
        "labels": {"a": {"on": True}},
        "nullable": None,
        "notNullable": "d",
    }
    # releases.initial.relative has a default, but releases does not exist.
    assert "releases" not in got["spec"]


def test_present_values_are_kept_and_nested_defaults_apply():
    got = apply_xrd_defaults(xr({"tearDownCluster": True, "releases": {"initial": {}}}), xrd())
    assert got["spec"]["tearDownCluster"] is True
    assert got["spec"]["releases"] == {"initial": {"relative": 0}}


def test_no_spec_no_spec_defaults():
    assert "spec" not in apply_xrd_defaults(xr(None), xrd())


@pytest.mark.parametrize(
    ("definition", "field", "value"),
    [
        # v1 XRD (LegacyCluster): Crossplane's field replaces the user's; its default comes
        # from defaultCompositionUpdatePolicy.
        (xrd(), "compositionUpdatePolicy", None),
        (xrd(defaultCompositionUpdatePolicy="Manual"), "compositionUpdatePolicy", "Manual"),
        # v2 XRD (Namespaced): the machinery lives under spec.crossplane, user field stays.
        (xrd("apiextensions.crossplane.io/v2"), "compositionUpdatePolicy", "UserValue"),
    ],
)
def test_crossplane_machinery_fields_replace_user_fields(definition, field, value):
    assert apply_xrd_defaults(xr({}), definition)["spec"].get(field) == value


def test_v2_machinery_defaults_apply_inside_spec_crossplane():
    got = apply_xrd_defaults(
        xr({"crossplane": {}}),
        xrd("apiextensions.crossplane.io/v2", defaultCompositionUpdatePolicy="Automatic"),
    )
    assert got["spec"]["crossplane"] == {"compositionUpdatePolicy": "Automatic"}


def test_input_xr_is_not_modified():
    source = xr({})
    apply_xrd_defaults(source, xrd())
    assert source["spec"] == {}


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
            "not a CompositeResourceDefinition: ConfigMap/c",
        ),
        (
            {**xrd(), "spec": {**xrd()["spec"], "versions": [{"name": "v1"}]}},
            "apiVersion ci.openshift.org/v1alpha1 is not a version of XRD",
        ),
    ],
)
def test_bad_xrd_is_a_clear_error(definition, message):
    with pytest.raises(RenderError, match=message):
        apply_xrd_defaults(xr({}), definition)


def test_default_without_schema_is_a_no_op():
    value = {"a": 1}
    default(value, None)
    assert value == {"a": 1}


def _other(group: str = "ci.openshift.org", kind: str = "XTestPlatformCluster") -> dict:
    definition = xrd()
    definition["spec"] = {**definition["spec"], "group": group, "names": {"kind": kind}}
    return definition


@pytest.mark.parametrize(
    ("definition", "xrd_says"),
    [
        # Same group and version: crossplane render v2.2.4 applies this XRD's defaults anyway.
        (_other(kind="XOtherThing"), "defines kind XOtherThing in group ci.openshift.org"),
        (_other(group="other.org"), "defines kind XTestPlatformCluster in group other.org"),
        (_other(group="other.org", kind="XOther"), "defines kind XOther in group other.org"),
        ({**xrd(), "spec": {"group": "ci.openshift.org"}}, "defines kind (none) in group"),
    ],
)
def test_xrd_of_another_kind_or_group_is_refused_naming_both(definition, xrd_says):
    with pytest.raises(RenderError) as caught:
        apply_xrd_defaults(xr({}), definition)
    message = str(caught.value)
    assert "\n" not in message
    assert xrd_says in message
    assert "the XR is kind XTestPlatformCluster in group ci.openshift.org" in message
