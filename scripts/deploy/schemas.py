"""Every rendered document against the schema the API server would use, with unknown fields
as errors.

Custom resources (Function, Provider, DeploymentRuntimeConfig, XRD, Composition,
EnvironmentConfig, provider-kubernetes' ProviderConfig, ...) go to the real CRDs in
../shared/schemas through scripts.crdschema (OpenAPI, CEL, pruning as errors), after dropping
`null` values the schema does not declare nullable: the API server prunes those before it
validates (../shared/SOURCES.md), so `runAsUser: null` is valid and means "absent". Their
`metadata`, and every built-in kind (Namespace, RBAC, ...), go to the Kubernetes OpenAPI
schemas bundled by kubernetes-validate, in strict mode. A kind with no schema is an error:
nothing is waved through unchecked.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type information

from scripts import crdschema

#: Kubernetes version whose built-in schemas are used (OpenShift 4.18 runs 1.31).
KUBERNETES_VERSION = "1.31"


def drop_nulls(obj: Any, schema: crdschema.Schema) -> Any:
    """Copy of `obj` without the nulls the API server prunes (fields not marked nullable)."""
    out = copy.deepcopy(obj)
    _drop(out, schema)
    return out


def _drop(value: Any, schema: crdschema.Schema) -> None:
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key in list(value):
            child = props.get(key, extra if isinstance(extra, dict) else None)
            if not isinstance(child, dict):
                continue  # unknown here: kept, so strict validation reports it
            if value[key] is None and not child.get("nullable"):
                del value[key]
            else:
                _drop(value[key], child)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _drop(item, schema["items"])


def _kv_errors(doc: dict[str, Any]) -> list[str]:
    """Strict validation of a built-in object with kubernetes-validate (first error only)."""
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        what = f"apiVersion {doc.get('apiVersion')!r} kind {doc.get('kind')!r}"
        return [f"<root>: no schema for {what}"]
    except kubernetes_validate.ValidationError as err:
        path = ".".join(str(p) for p in err.path)
        return [f"{path or '<root>'}: {err.message}"]
    return []


class Schemas:
    """The CRDs found under a schemas directory, by (group, kind)."""

    def __init__(self, crd_files: Iterable[Path]) -> None:
        self.crds: dict[tuple[str, str], dict[str, Any]] = {}
        for path in crd_files:
            crd = crdschema.load_crd(path)
            spec = crd.get("spec") or {}
            self.crds[(str(spec.get("group")), str((spec.get("names") or {}).get("kind")))] = crd

    @classmethod
    def from_directory(cls, directory: Path) -> Schemas:
        """Every CRD in `directory` (recursively)."""
        files = [
            p for p in sorted(directory.rglob("*.yaml")) if "CustomResourceDefinition" in _head(p)
        ]
        return cls(files)

    def errors(self, doc: dict[str, Any]) -> list[str]:
        """Every reason the API server (strict) would not take `doc` as it is."""
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return ["<root>: apiVersion and kind must be strings"]
        meta = doc.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            return ["metadata.name: required"]
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        crd = self.crds.get((group, kind))
        if crd is None:
            return _kv_errors(doc)
        version = api_version.rsplit("/", 1)[-1]
        try:
            schema = crdschema.version_schema(crd, version)
        except crdschema.SchemaError as err:
            return [f"apiVersion: {err}"]
        stand_in = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
        return _kv_errors(stand_in) + crdschema.validate(drop_nulls(doc, schema), crd, version)


def _head(path: Path) -> str:
    """The first 4 KiB of a file: enough to tell a CRD by its kind line."""
    with path.open(encoding="utf-8") as handle:
        return handle.read(4096)
