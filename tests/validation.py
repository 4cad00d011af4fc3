"""Schemas every artefact is held to: upstream CRDs in ../shared, the project's crd/ and xrd/.

Built on scripts.crdschema (OpenAPI + CEL + pruning as errors). The XR and claim schemas are
the generated XRD's, with the fields Crossplane injects laid over them, as in the CRDs
Crossplane publishes for an XRD.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, shared_file

from scripts import crdschema
from scripts.render.xrd import composite_schema

PK_OBJECTS = {
    "kubernetes.crossplane.io/v1alpha2": "kubernetes.crossplane.io_objects.yaml",
    "kubernetes.m.crossplane.io/v1alpha1": "kubernetes.m.crossplane.io_objects.yaml",
}
COMPOSITION_CRD = "schemas/crossplane/apiextensions.crossplane.io_compositions.yaml"
ENVCFG_CRD = "schemas/crossplane/apiextensions.crossplane.io_environmentconfigs.yaml"
UPSTREAM_EC = "upstream/ci.openshift.io_ephemeralclusters.yaml"
UPSTREAM_EC_OLD = "upstream/ci.openshift.io_ephemeralclusters.pre-secretRef.yaml"
PROJECT_EC = ROOT / "crd" / "ci.openshift.io_ephemeralclusters.yaml"
XRD_DIR = ROOT / "xrd"
CLAIM_MACHINERY = (
    "compositionRef",
    "compositionSelector",
    "compositionRevisionRef",
    "compositionRevisionSelector",
    "compositionUpdatePolicy",
    "compositeDeletePolicy",
    "resourceRef",
    "writeConnectionSecretToRef",
)


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    return crdschema.load_crd(path)


def shared_crd(relative: str) -> dict[str, Any]:
    """An upstream CRD from ../shared (the test skips when ../shared is absent)."""
    return _load(shared_file(relative))


def project_ec_crd() -> dict[str, Any]:
    """The project's EphemeralCluster CRD (skip until branch xrd has been merged)."""
    if not PROJECT_EC.is_file():
        pytest.skip("crd/ci.openshift.io_ephemeralclusters.yaml is not here yet (branch xrd)")
    return _load(PROJECT_EC)


def find_xrd(kind: str) -> dict[str, Any] | None:
    """The generated XRD whose composite kind is `kind`, if xrd/ has one."""
    for path in sorted(XRD_DIR.glob("*.yaml")) if XRD_DIR.is_dir() else []:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not isinstance(doc, dict) or doc.get("kind") != "CompositeResourceDefinition":
                continue
            if (doc.get("spec") or {}).get("names", {}).get("kind") == kind:
                return doc
    return None


def project_xrd(kind: str) -> dict[str, Any]:
    """The generated XRD for `kind` (the test skips until branch xrd has been merged)."""
    xrd = find_xrd(kind)
    if xrd is None:
        pytest.skip(f"no generated XRD for {kind} in xrd/ yet (branch xrd)")
    return xrd


def _as_crd(group: str, kind: str, version: str, schema: dict[str, Any]) -> dict[str, Any]:
    for name in ("apiVersion", "kind"):  # every published CRD declares them
        schema["properties"][name] = {"type": "string"}
    return {
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": group,
            "names": {"kind": kind},
            "versions": [{"name": version, "schema": {"openAPIV3Schema": schema}}],
        },
    }


def xr_crd(xrd: dict[str, Any], api_version: str) -> dict[str, Any]:
    """The XR's CRD as Crossplane publishes it for this XRD version."""
    schema = composite_schema(xrd, api_version)
    status = schema["properties"]["status"].setdefault("properties", {})
    if xrd["apiVersion"].endswith("/v1") and xrd["spec"].get("scope", "LegacyCluster") == (
        "LegacyCluster"
    ):
        status["claimConditionTypes"] = {"type": "array", "items": {"type": "string"}}
        status["connectionDetails"] = {"type": "object"}
    group, version = api_version.rsplit("/", 1)
    return _as_crd(group, xrd["spec"]["names"]["kind"], version, schema)


def claim_crd(xrd: dict[str, Any], api_version: str) -> dict[str, Any]:
    """The claim's CRD: the XRD schema with the claim-side machinery."""
    schema = copy.deepcopy(composite_schema(xrd, api_version))
    spec = schema["properties"]["spec"]["properties"]
    for name in ("claimRef", "resourceRefs"):
        spec.pop(name, None)
    for name in CLAIM_MACHINERY:
        spec[name] = {"type": "object"}
    spec["compositeDeletePolicy"] = {"type": "string"}
    spec["compositionUpdatePolicy"] = {"type": "string"}
    group, version = api_version.rsplit("/", 1)
    return _as_crd(group, xrd["spec"]["claimNames"]["kind"], version, schema)


def object_errors(obj: dict[str, Any]) -> list[str]:
    """A provider-kubernetes Object against its real CRD."""
    crd = shared_crd(f"schemas/provider-kubernetes/{PK_OBJECTS[obj['apiVersion']]}")
    return crdschema.validate(obj, crd)


def without_required_status(errors: list[str]) -> list[str]:
    """Errors minus a missing `status`: a desired EC has none, the reconciler writes it."""
    return [e for e in errors if not (e.startswith("status") or "'status' is a required" in e)]
