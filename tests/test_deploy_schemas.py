"""scripts.deploy.schemas: rendered documents against the real CRDs and the built-in schemas."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, SHARED, shared_file

from scripts.deploy import schemas

FUNCTION = yaml.safe_load((ROOT / "deploy/function/function.yaml").read_text(encoding="utf-8"))
DRC = yaml.safe_load((ROOT / "deploy/function/runtimeconfig.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def registry() -> schemas.Schemas:
    shared_file("schemas/crossplane/pkg.crossplane.io_functions.yaml")
    return schemas.Schemas.from_directory(SHARED / "schemas")


def _container(drc: dict[str, Any]) -> dict[str, Any]:
    return drc["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]["containers"][0]


def test_the_kinds_deploy_uses_have_their_real_crds(registry: schemas.Schemas) -> None:
    for key in [
        ("pkg.crossplane.io", "Function"),
        ("pkg.crossplane.io", "Provider"),
        ("pkg.crossplane.io", "DeploymentRuntimeConfig"),
        ("apiextensions.crossplane.io", "CompositeResourceDefinition"),
        ("apiextensions.crossplane.io", "Composition"),
        ("apiextensions.crossplane.io", "EnvironmentConfig"),
        ("kubernetes.crossplane.io", "ProviderConfig"),
    ]:
        assert key in registry.crds


def test_the_shipped_function_and_runtime_config_are_valid(registry: schemas.Schemas) -> None:
    assert registry.errors(FUNCTION) == []
    assert registry.errors(DRC) == []


def _bad_field(doc: dict[str, Any]) -> dict[str, Any]:
    doc["spec"]["pakage"] = doc["spec"].pop("package")
    return doc


def _bad_type(doc: dict[str, Any]) -> dict[str, Any]:
    doc["spec"]["deploymentTemplate"]["spec"]["replicas"] = "two"
    return doc


def _deep_unknown(doc: dict[str, Any]) -> dict[str, Any]:
    _container(doc)["argz"] = ["--debug"]
    return doc


def _bad_metadata(doc: dict[str, Any]) -> dict[str, Any]:
    doc["metadata"]["annotation"] = {"a": "b"}
    return doc


def _null_required(doc: dict[str, Any]) -> dict[str, Any]:
    doc["spec"]["package"] = None  # pruned by the API server, so then missing
    return doc


@pytest.mark.parametrize(
    ("base", "mutate", "expected"),
    [
        (FUNCTION, _bad_field, "'pakage' was unexpected"),
        (DRC, _bad_type, "deploymentTemplate.spec.replicas: 'two' is not of type 'integer'"),
        (DRC, _deep_unknown, "'argz' was unexpected"),
        (FUNCTION, _bad_metadata, "metadata: Additional properties are not allowed"),
        (FUNCTION, _null_required, "'package' is a required property"),
    ],
    ids=["unknown-field", "wrong-type", "unknown-nested-field", "bad-metadata", "null-required"],
)
def test_a_broken_document_fails(
    registry: schemas.Schemas, base: dict, mutate: Any, expected: str
) -> None:
    errors = registry.errors(mutate(copy.deepcopy(base)))
    assert any(expected in e for e in errors), errors


def test_nulls_the_api_server_prunes_are_not_errors(registry: schemas.Schemas) -> None:
    """Upstream's DeploymentRuntimeConfigs write `runAsUser: null` (../shared/SOURCES.md)."""
    doc = copy.deepcopy(DRC)
    pod = doc["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]
    pod["securityContext"] = {"runAsUser": None, "runAsGroup": None}
    _container(doc)["securityContext"] = {"runAsUser": None}
    assert registry.errors(doc) == []


def test_drop_nulls_keeps_nullable_fields() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string", "nullable": True}},
    }
    assert schemas.drop_nulls({"a": None, "b": None, "c": None}, schema) == {"b": None, "c": None}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}, None),
        (
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "x"},
                "rules": [{"apiGroup": ["a"], "resources": ["b"], "verbs": ["get"]}],
            },
            "'apiGroup' was unexpected",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "x"},
                "spec": {"finalizers": "x"},
            },
            "spec.finalizers: 'x' is not of type",
        ),
        (
            {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "x"}},
            "no schema for apiVersion 'example.org/v1' kind 'Widget'",
        ),
        ({"apiVersion": "v1", "kind": "Namespace", "metadata": {}}, "metadata.name: required"),
    ],
    ids=["namespace", "rbac-typo", "wrong-type", "unknown-kind", "no-name"],
)
def test_built_in_kinds(registry: schemas.Schemas, doc: dict, expected: str | None) -> None:
    errors = registry.errors(doc)
    if expected is None:
        assert errors == []
    else:
        assert any(expected in e for e in errors), errors


def test_from_directory_reads_only_crds(tmp_path: Path) -> None:
    (tmp_path / "not-a-crd.yaml").write_text("kind: ConfigMap\n")
    assert schemas.Schemas.from_directory(tmp_path).crds == {}
