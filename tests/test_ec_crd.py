"""crd/ci.openshift.io_ephemeralclusters.yaml: the project's own EphemeralCluster CRD.

It is written from DOMAIN.md's field table in the project's words, so its descriptions differ
from upstream on purpose; everything an API server enforces (names, scope, versions, property
paths, types, formats, required lists, map and array shapes) must be the real CRD's.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from conftest import ROOT, shared_file

from scripts import crdschema

EC_CRD = ROOT / "crd" / "ci.openshift.io_ephemeralclusters.yaml"
UPSTREAM = "upstream/ci.openshift.io_ephemeralclusters.yaml"
XRD_CRD = "schemas/crossplane/apiextensions.crossplane.io_compositeresourcedefinitions.yaml"

# Keywords that change what the API server accepts, prunes or defaults (descriptions excluded).
_ENFORCED = (
    "type",
    "format",
    "enum",
    "default",
    "nullable",
    "pattern",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
)


def shape(schema: dict[str, Any], path: str = "") -> dict[str, dict[str, Any]]:
    """Every schema node by path (`.*` = map values, `[]` = array items), minus descriptions."""
    node: dict[str, Any] = {key: schema[key] for key in _ENFORCED if key in schema}
    node["required"] = sorted(schema.get("required") or [])
    node["kind"] = (
        "map"
        if isinstance(schema.get("additionalProperties"), dict)
        else "array"
        if "items" in schema
        else "object"
        if "properties" in schema
        else "leaf"
    )
    out = {path or "<root>": node}
    for name, child in (schema.get("properties") or {}).items():
        out.update(shape(child, f"{path}.{name}" if path else name))
    if isinstance(schema.get("additionalProperties"), dict):
        out.update(shape(schema["additionalProperties"], f"{path}.*"))
    if isinstance(schema.get("items"), dict):
        out.update(shape(schema["items"], f"{path}[]"))
    return out


def crd_frame(crd: dict[str, Any]) -> dict[str, Any]:
    """The CRD minus its schemas: group, names, scope and each version's flags."""
    spec = crd["spec"]
    return {
        "name": crd["metadata"]["name"],
        "group": spec["group"],
        "names": spec["names"],
        "scope": spec["scope"],
        "versions": [
            {k: v for k, v in version.items() if k != "schema"} for version in spec["versions"]
        ],
    }


@pytest.fixture(scope="module")
def ours() -> dict[str, Any]:
    return crdschema.load_crd(EC_CRD)


@pytest.fixture(scope="module")
def upstream() -> dict[str, Any]:
    return crdschema.load_crd(shared_file(UPSTREAM))


def test_names_scope_and_versions_match_upstream(ours: dict, upstream: dict) -> None:
    assert crd_frame(ours) == crd_frame(upstream)


def test_schema_structure_matches_upstream_path_by_path(ours: dict, upstream: dict) -> None:
    mine = shape(crdschema.version_schema(ours))
    theirs = shape(crdschema.version_schema(upstream))
    assert sorted(mine) == sorted(theirs), "property paths differ"
    different = {path: (mine[path], theirs[path]) for path in mine if mine[path] != theirs[path]}
    assert different == {}


def test_current_design_has_secret_ref_not_inline_credentials(ours: dict) -> None:
    status = shape(crdschema.version_schema(ours))
    assert status["status.secretRef"]["type"] == "string"
    assert "status.kubeconfig" not in status
    assert "status.kubeAdminPassword" not in status


def _release(schema: dict[str, Any]) -> dict[str, Any]:
    ci = schema["properties"]["spec"]["properties"]["ciOperator"]["properties"]
    return ci["releases"]["additionalProperties"]["properties"]["release"]


def _to_object(schema: dict[str, Any]) -> None:
    releases = schema["properties"]["spec"]["properties"]["ciOperator"]["properties"]["releases"]
    releases["properties"] = releases.pop("additionalProperties")["properties"]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: _release(s)["properties"]["relative"].update(type="string"),
        lambda s: _release(s).update(required=["channel"]),
        lambda s: _release(s)["properties"].pop("relative"),
        lambda s: _release(s)["properties"]["version"].update(format="date-time"),
        _to_object,
    ],
    ids=["retyped", "required", "missing-path", "format", "map-to-object"],
)
def test_shape_comparison_can_fail(upstream: dict, mutate: Any) -> None:
    """The comparison above notices a retyped field, a lost required, a map turned object."""
    schema = copy.deepcopy(crdschema.version_schema(upstream))
    mutate(schema)
    assert shape(schema) != shape(crdschema.version_schema(upstream))


def test_every_description_is_our_own(ours: dict, upstream: dict) -> None:
    """Same structure, own words: no description is copied from the upstream file."""

    def descriptions(schema: Any) -> set[str]:
        found: set[str] = set()
        if isinstance(schema, dict):
            if isinstance(schema.get("description"), str):
                found.add(schema["description"])
            for value in schema.values():
                found |= descriptions(value)
        elif isinstance(schema, list):
            for value in schema:
                found |= descriptions(value)
        return found

    mine = descriptions(crdschema.version_schema(ours))
    theirs = descriptions(crdschema.version_schema(upstream))
    assert mine & theirs == set()


def test_crd_is_structural(ours: dict) -> None:
    assert crdschema.structural_problems(crdschema.version_schema(ours)) == []


def test_upstream_example_claim_spec_is_a_valid_ec_spec(ours: dict) -> None:
    claim = yaml.safe_load(shared_file("upstream/example-claim.yaml").read_text())
    ec: dict[str, Any] = {
        "apiVersion": "ci.openshift.io/v1",
        "kind": "EphemeralCluster",
        "metadata": {"name": "x", "namespace": "ephemeral-cluster"},
        "spec": {"ciOperator": claim["spec"]["ciOperator"], "tearDownCluster": True},
        "status": {"phase": "Ready", "secretRef": "x-credentials"},
    }
    assert crdschema.validate(ec, ours) == []
    ec["spec"]["ciOperator"]["releases"]["latest"]["integration"].pop("name")
    assert crdschema.validate(ec, ours) == [
        "spec.ciOperator.releases.latest.integration: 'name' is a required property"
    ]
