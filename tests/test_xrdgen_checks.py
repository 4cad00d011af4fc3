"""scripts.xrdgen.checks: defaults, naming rules, injected-field collisions, printer columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scripts.xrdgen import checks
from scripts.xrdgen.options import GenError, PrinterColumn, XRDOptions


def opts(**overrides: Any) -> XRDOptions:
    values: dict[str, Any] = {"crd": Path("crd.yaml"), "group": "example.org", "kind": "XWidget"}
    values.update(overrides)
    return XRDOptions.model_validate(values)


def resolve(**overrides: Any) -> checks.Names:
    return checks.resolve(opts(**overrides), "v1")


def test_v1_defaults_follow_crossplane_conventions() -> None:
    names = resolve()
    assert names == checks.Names(
        api="v1",
        group="example.org",
        kind="XWidget",
        plural="xwidgets",
        version="v1",
        scope="LegacyCluster",
        claim_kind="Widget",
        claim_plural="widgets",
    )
    assert names.xrd_name == "xwidgets.example.org"
    assert names.api_version == "apiextensions.crossplane.io/v1"


def test_v2_defaults_are_namespaced_without_claims() -> None:
    names = resolve(api="v2", kind="Widget", version="v1beta1")
    assert (names.scope, names.claims, names.plural, names.version) == (
        "Namespaced",
        False,
        "widgets",
        "v1beta1",
    )
    assert names.api_version == "apiextensions.crossplane.io/v2"
    assert resolve(api="v2", kind="Widget", scope="Cluster").scope == "Cluster"


def test_explicit_names_win_over_defaults() -> None:
    names = resolve(plural="xwidgetz", claim_kind="Gizmo", claim_plural="gizmoz", version="v2")
    assert (names.plural, names.claim_kind, names.claim_plural, names.version) == (
        "xwidgetz",
        "Gizmo",
        "gizmoz",
        "v2",
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "Widget"}, "--claim-kind: required with scope LegacyCluster"),
        (
            {"api": "v2", "claim_kind": "Gizmo"},
            "--claim-kind: claims are not supported with apiextensions.crossplane.io/v2",
        ),
        ({"api": "v2", "claim_plural": "gizmos"}, "--claim-plural: claims are not supported"),
        ({"scope": "Namespaced", "claim_kind": "Gizmo"}, "not supported with scope Namespaced"),
        (
            {"api": "v2", "connection_secret_keys": ["kubeconfig"]},
            (
                "--connection-secret-key: XR connection secrets are not supported with "
                "apiextensions.crossplane.io/v2"
            ),
        ),
        ({"scope": "Cluster", "connection_secret_keys": ["k"]}, "not supported with scope Cluster"),
        (
            {"api": "v2", "scope": "LegacyCluster"},
            "--scope LegacyCluster: not allowed with --api v2 (allowed: Namespaced, Cluster)",
        ),
        ({"scope": "Global"}, "--scope Global: not allowed with --api v1"),
        (
            {"write_connection_secret_to_ref": True},
            "--write-connection-secret-ref: Crossplane injects spec.writeConnectionSecretToRef",
        ),
        ({"plural": "XWidgets"}, "--plural 'XWidgets': must be lowercase"),
        ({"plural": "x_widgets"}, "--plural 'x_widgets': must be a DNS label"),
        ({"plural": "x" * 64}, "longer than 63 characters"),
        ({"kind": "xWidget"}, "--kind 'xWidget': must be CamelCase"),
        ({"kind": "X" + "w" * 63}, "--kind"),
        ({"group": "example"}, "--group 'example': must be a lowercase DNS subdomain"),
        ({"group": "Example.org"}, "--group 'Example.org'"),
        ({"version": "V1"}, "--version 'V1': must be lowercase"),
        ({"version": "1v"}, "--version '1v': must be a DNS label"),
        ({"claim_kind": "Xwidget"}, "--claim-kind Xwidget: must differ from the XR kind"),
        (
            {"claim_kind": "Gizmo", "claim_plural": "xwidgets"},
            "--claim-plural xwidgets: must differ from the XR plural",
        ),
        ({"claim_kind": "widget"}, "--claim-kind 'widget': must be CamelCase"),
        ({"claim_plural": "Widgets"}, "--claim-plural 'Widgets': must be lowercase"),
        ({"connection_secret_keys": ["a b"]}, "--connection-secret-key 'a b': not a valid"),
        ({"connection_secret_keys": ["a", "a"]}, "--connection-secret-key: listed twice"),
        ({"group": "a" * 250 + ".org"}, "--group"),
    ],
)
def test_bad_names_and_scopes_are_refused(overrides: dict, message: str) -> None:
    with pytest.raises(GenError) as info:
        resolve(**overrides)
    assert message in str(info.value)


def test_metadata_name_limit() -> None:
    group = ("a" * 63 + ".") * 3 + "org"  # a valid subdomain of 195 characters
    with pytest.raises(GenError, match=r"metadata\.name .*longer than 253"):
        resolve(group=group, plural="x" * 63, claim_kind="Gizmo")


LEGACY_WITH_CLAIMS = sorted(set(checks.LEGACY_XR_SPEC) | set(checks.CLAIM_SPEC))


@pytest.mark.parametrize("field", LEGACY_WITH_CLAIMS)
def test_every_field_crossplane_injects_into_a_legacy_xr_or_claim_is_refused(field: str) -> None:
    with pytest.raises(GenError, match=f"^spec.{field}: Crossplane injects this field"):
        checks.collisions(resolve(), {"size", field}, set())


@pytest.mark.parametrize("field", ["crossplane"])
def test_v2_refuses_spec_crossplane_only(field: str) -> None:
    names = resolve(api="v2", kind="Widget")
    with pytest.raises(
        GenError, match=r"spec\.crossplane: Crossplane injects this field into a Namespaced XR"
    ):
        checks.collisions(names, {field}, set())
    checks.collisions(names, {"claimRef", "writeConnectionSecretToRef", "resourceRefs"}, set())


def test_every_colliding_path_is_named_in_one_message() -> None:
    with pytest.raises(GenError) as info:
        checks.collisions(
            resolve(), {"claimRef", "size", "compositionRef"}, {"phase", "conditions"}
        )
    assert str(info.value).startswith(
        "spec.claimRef, spec.compositionRef, status.conditions: Crossplane injects these fields"
    )


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({}, "connectionDetails"),
        ({}, "claimConditionTypes"),
        ({"api": "v2", "kind": "Widget"}, "crossplane"),
        ({"api": "v2", "kind": "Widget"}, "conditions"),
    ],
)
def test_status_fields_crossplane_injects_are_refused(overrides: dict, status: str) -> None:
    with pytest.raises(GenError, match=f"^status.{status}: "):
        checks.collisions(resolve(**overrides), set(), {status})


def test_a_v1_xr_without_claims_does_not_reserve_claim_only_fields() -> None:
    names = resolve(scope="Namespaced")
    checks.collisions(names, {"compositeDeletePolicy", "resourceRef", "claimRef"}, set())


def column(name: str, path: str, **kw: Any) -> PrinterColumn:
    return PrinterColumn.model_validate({"name": name, "jsonPath": path, **kw})


def test_columns_may_show_declared_and_injected_fields() -> None:
    cols = (
        column("PHASE", ".status.phase"),
        column("SIZE", ".spec.size", type="integer"),
        column("CLUSTER-READY", ".status.conditions[?(@.type=='ClusterReady')].status"),
        column("OWNER", ".metadata.labels.owner"),
    )
    checks.columns(resolve(), cols, {"size"}, {"phase"})


@pytest.mark.parametrize(
    ("cols", "message"),
    [
        (
            (column("Ready", ".status.phase"),),
            "printer column Ready: Crossplane already adds a READY column",
        ),
        ((column("CONNECTION-SECRET", ".status.phase"),), "already adds a CONNECTION-SECRET"),
        (
            (column("A", ".status.phase"), column("a", ".status.phase")),
            "printer column a: listed twice",
        ),
        ((column("A", "status.phase"),), "jsonPath must start with '.'"),
        (
            (column("A", ".status.url"),),
            "printer column A: status.url is not declared by the XRD (a status field is missing)",
        ),
        (
            (column("A", ".spec.mode"),),
            "spec.mode is not declared by the XRD (--spec-field is missing)",
        ),
    ],
)
def test_bad_columns_are_refused(cols: tuple[PrinterColumn, ...], message: str) -> None:
    with pytest.raises(GenError) as info:
        checks.columns(resolve(), cols, {"size"}, {"phase"})
    assert message in str(info.value)


def test_claim_only_column_names_are_free_without_claims() -> None:
    names = resolve(api="v2", kind="Widget")
    checks.columns(names, (column("CONNECTION-SECRET", ".spec.size"),), {"size"}, set())
