"""scripts.crdschema: the validator every conformance test relies on must itself catch errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import shared_file

from scripts import crdschema

CRD = yaml.safe_load(
    """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.org}
spec:
  group: example.org
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [size]
            x-kubernetes-validations:
            - rule: self.mode == 'Small' || self.size > 10
              message: big modes need size above 10
            - rule: self.size == oldSelf.size
            properties:
              size: {type: integer}
              mode: {type: string, enum: [Small, Large], default: Small}
              when: {type: string, format: date-time}
              labels:
                type: object
                additionalProperties: {type: string}
              free:
                type: object
                x-kubernetes-preserve-unknown-fields: true
"""
)


def widget(**spec: object) -> dict:
    return {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {}, "spec": spec}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (widget(size=1), []),
        (widget(size=1, free={"anything": {"goes": 1}}), []),
        (widget(size=20, mode="Large"), []),
        (widget(size=1, mode="Large"), ["spec: big modes need size above 10"]),
        (widget(size=20, mode="Medium"), ["spec.mode: 'Medium' is not one of ['Small', 'Large']"]),
        (widget(), ["spec: 'size' is a required property"]),
        (widget(size="1"), ["spec.size: '1' is not of type 'integer'"]),
        (widget(size=1, bogus=True), ["spec: Additional properties are not allowed"]),
        (widget(size=1, labels={"a": 1}), ["spec.labels.a: 1 is not of type 'string'"]),
        (widget(size=1, when="yesterday"), ["spec.when: 'yesterday' is not a 'date-time'"]),
        ({**widget(size=1), "kind": "Gadget"}, ["kind: 'Gadget' is not 'Widget'"]),
        ({**widget(size=1), "apiVersion": "example.org/v2"}, ["no version 'v2'"]),
    ],
)
def test_validate_reports_each_problem_by_path(obj: dict, expected: list[str]) -> None:
    errors = crdschema.validate(obj, CRD)
    assert len(errors) == len(expected), errors
    for error, want in zip(errors, expected, strict=True):
        assert want in error


def test_non_strict_mode_accepts_fields_the_server_would_prune() -> None:
    assert crdschema.validate(widget(size=1, bogus=True), CRD, strict=False) == []


def test_apply_defaults_only_where_the_parent_exists() -> None:
    schema = crdschema.version_schema(CRD)
    assert crdschema.apply_defaults(widget(size=1), schema)["spec"]["mode"] == "Small"
    bare = {"apiVersion": "example.org/v1", "kind": "Widget"}
    assert "spec" not in crdschema.apply_defaults(bare, schema)


def test_structural_problems_are_named() -> None:
    schema = {
        "type": "object",
        "properties": {
            "untyped": {"description": "no type"},
            "both": {"type": "object", "properties": {}, "additionalProperties": {"type": "x"}},
            "list": {"type": "array"},
            "choice": {"anyOf": [{"type": "string"}], "type": "string"},
        },
    }
    problems = crdschema.structural_problems(schema)
    assert any(p.startswith("untyped: missing type") for p in problems)
    assert any(p.startswith("both: properties and additionalProperties") for p in problems)
    assert any(p.startswith("list: array without") for p in problems)
    assert any("anyOf[0] sets type" in p for p in problems)
    assert crdschema.structural_problems(crdschema.version_schema(CRD)) == []


def test_load_crd_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(crdschema.SchemaError, match="cannot read CRD"):
        crdschema.load_crd(tmp_path / "missing.yaml")
    other = tmp_path / "other.yaml"
    other.write_text("kind: ConfigMap\n")
    with pytest.raises(crdschema.SchemaError, match="no CustomResourceDefinition"):
        crdschema.load_crd(other)


def test_real_xrd_schema_cel_rules_run_with_defaults() -> None:
    xrd_crd = crdschema.load_crd(
        shared_file(
            "schemas/crossplane/apiextensions.crossplane.io_compositeresourcedefinitions.yaml"
        )
    )
    xrd = yaml.safe_load(
        shared_file("upstream/xtestplatformclusters.ci.openshift.org.xrd.yaml").read_text()
    )
    assert crdschema.validate(xrd, xrd_crd) == []
    xrd["spec"]["names"]["plural"] = "XTestPlatformClusters"
    assert crdschema.validate(xrd, xrd_crd) == ["spec.names: Plural name must be lowercase"]
