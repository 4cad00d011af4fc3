"""Small synthetic CRDs and option sets for the xrd-gen tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from scripts.xrdgen.options import XRDOptions

WIDGET_SPEC: dict[str, Any] = {
    "type": "object",
    "description": "What the widget should be.",
    "required": ["size"],
    "properties": {
        "size": {"type": "integer", "minimum": 1, "default": 3, "description": "How big."},
        "mode": {"type": "string", "enum": ["Small", "Large"], "default": "Small"},
        "when": {"type": "string", "format": "date-time"},
        "quantity": {"x-kubernetes-int-or-string": True, "pattern": "^[0-9]+m?$"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "ports": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
                "x-kubernetes-validations": [
                    {"rule": "self.port < 65536", "message": "port out of range"}
                ],
            },
        },
        "window": {
            "type": "object",
            "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}},
            "x-kubernetes-validations": [{"rule": "self.start <= self.end"}],
            "nullable": True,
        },
    },
}
WIDGET_STATUS: dict[str, Any] = {
    "type": "object",
    "required": ["phase"],
    "properties": {
        "phase": {"type": "string", "description": "Lifecycle phase."},
        "url": {"type": "string"},
        "conditions": {"type": "array", "items": {"type": "object"}},
    },
}


def crd(
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | bool | None = None,
    *,
    name: str = "widgets.example.org",
    kind: str = "Widget",
    root: dict[str, Any] | None = None,
    versions: tuple[str, ...] = ("v1",),
) -> dict[str, Any]:
    """A CRD document (storage version = the last of `versions`; status=False: none)."""
    props: dict[str, Any] = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": copy.deepcopy(WIDGET_SPEC if spec is None else spec),
    }
    if status is not False:
        props["status"] = copy.deepcopy(WIDGET_STATUS if status is None else status)
    schema = {"type": "object", "properties": props, **(root or {})}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": name.split(".", 1)[1],
            "names": {"kind": kind, "plural": name.split(".", 1)[0]},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": v,
                    "served": True,
                    "storage": v == versions[-1],
                    "schema": {"openAPIV3Schema": copy.deepcopy(schema)},
                }
                for v in versions
            ],
        },
    }


def write(path: Path, *docs: Any) -> Path:
    """Write YAML documents to `path` and return it."""
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path


def options(crd_path: Path, **overrides: Any) -> XRDOptions:
    """Options for a v1 XWidget XRD from `crd_path`, with `overrides` (snake_case)."""
    values: dict[str, Any] = {"crd": crd_path, "group": "example.org", "kind": "XWidget"}
    values.update(overrides)
    return XRDOptions.model_validate(values)


# A tiny project whose crd/ follows a local "upstream" (xrd-gen follow, offline).
UPSTREAM_PATH = "pkg/api/v1/widgets.example.org.yaml"
PINNED = "0123456789abcdef0123456789abcdef01234567"
NEXT = "89abcdef0123456789abcdef0123456789abcdef"
WIDGET_FIELDS = ["size", "mode", "when", "quantity", "labels", "free", "ports", "window"]


def upstream_words(doc: Any) -> Any:
    """The same CRD in upstream's words: every description rewritten, controller-gen's
    annotation added, so a test can tell whose prose ends up in crd/."""
    out = copy.deepcopy(doc)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("description"), str):
                node["description"] = "Upstream says: " + node["description"]
            for key, value in node.items():
                if key not in ("default", "enum"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(out)
    out["metadata"]["annotations"] = {"controller-gen.kubebuilder.io/version": "v0.17.0"}
    return out


def spec_props(doc: dict[str, Any]) -> dict[str, Any]:
    """The spec properties of a CRD's first version (to mutate an upstream in a test)."""
    schema = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema["properties"]["spec"]["properties"]
