"""Applying an XRD's schema defaults to the XR (``--xrd``), as the API server would.

The schema is the XRD version matching the XR's apiVersion, with the fields Crossplane injects
(which replace same-named user fields) laid over it. The XRD must define the XR's kind and
group: `crossplane render` (v2.2.4, cmd/crank/render/xrd.go, DefaultValues) only looks for a
version whose `<group>/<name>` equals the XR's apiVersion and never compares the kind, so an XRD
of another kind in the same group silently defaults the XR with a foreign schema. xp-render
refuses that (exit 1, naming both), on purpose stricter than the CLI.

Defaulting follows Kubernetes' structural defaulting: a default fills a missing (or null,
non-nullable) property of an object that exists, and defaulting then descends into every
present value, so nested defaults apply only where their parent object exists.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from scripts.render.errors import RenderError

XRD_API_VERSIONS = {
    "apiextensions.crossplane.io/v1": "LegacyCluster",
    "apiextensions.crossplane.io/v2": "Namespaced",
}
_MACHINERY = (
    "compositionRef",
    "compositionSelector",
    "compositionRevisionRef",
    "compositionRevisionSelector",
    "compositionUpdatePolicy",
    "resourceRefs",
)


def _machinery(policy: str | None) -> dict[str, dict]:
    props: dict[str, dict] = {name: {"type": "object"} for name in _MACHINERY}
    props["resourceRefs"] = {"type": "array"}
    props["compositionUpdatePolicy"] = {"type": "string"}
    if policy:
        props["compositionUpdatePolicy"]["default"] = policy
    return props


def check_defines(xrd: Mapping, kind: str, api_version: str) -> None:
    """The XRD must define the XR's kind in the XR's group; else one line naming both."""
    if xrd.get("kind") != "CompositeResourceDefinition":
        return  # composite_schema says what it is instead
    name = (xrd.get("metadata") or {}).get("name", "")
    spec = xrd.get("spec") or {}
    group = str(spec.get("group", ""))
    xrd_kind = str((spec.get("names") or {}).get("kind", ""))
    xr_group = api_version.rpartition("/")[0]
    if (xrd_kind, group) != (kind, xr_group):
        raise RenderError(
            f"--xrd: XRD {name} defines kind {xrd_kind or '(none)'} in group "
            f"{group or '(none)'}, but the XR is kind {kind or '(none)'} in group "
            f"{xr_group or '(none)'} (apiVersion {api_version})"
        )


def composite_schema(xrd: Mapping, api_version: str) -> dict:
    """The XR's OpenAPI schema as Crossplane would publish it in the XR's CRD (defaults only)."""
    name = (xrd.get("metadata") or {}).get("name", "")
    scope_default = XRD_API_VERSIONS.get(str(xrd.get("apiVersion")))
    if scope_default is None or xrd.get("kind") != "CompositeResourceDefinition":
        raise RenderError(f"--xrd: not a CompositeResourceDefinition: {xrd.get('kind')}/{name}")
    spec = xrd.get("spec") or {}
    group = spec.get("group", "")
    for version in spec.get("versions") or []:
        if f"{group}/{version.get('name')}" == api_version:
            schema = ((version.get("schema") or {}).get("openAPIV3Schema")) or {}
            break
    else:
        raise RenderError(
            f"--xrd: the XR's apiVersion {api_version} is not a version of XRD {name}"
        )
    schema = copy.deepcopy(schema)
    props = schema.setdefault("properties", {})
    spec_schema = props.setdefault("spec", {"type": "object"})
    spec_props = spec_schema.setdefault("properties", {})
    injected = _machinery(spec.get("defaultCompositionUpdatePolicy"))
    if spec.get("scope", scope_default) == "LegacyCluster":
        injected.update(
            {"claimRef": {"type": "object"}, "writeConnectionSecretToRef": {"type": "object"}}
        )
        spec_props.update(injected)
    else:
        spec_props["crossplane"] = {"type": "object", "properties": injected}
    props["metadata"] = {"type": "object"}
    status_props = props.setdefault("status", {"type": "object"}).setdefault("properties", {})
    status_props["conditions"] = {"type": "array"}
    return schema


def default(value: Any, schema: Mapping | None) -> None:
    """Kubernetes structural defaulting of ``value`` in place."""
    if not schema:
        return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, prop in props.items():
            if "default" not in prop:
                continue
            if key not in value or (value[key] is None and not prop.get("nullable")):
                value[key] = copy.deepcopy(prop["default"])
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                default(item, props[key])
            elif isinstance(extra, Mapping):
                default(item, extra)
    elif isinstance(value, list):
        for item in value:
            default(item, schema.get("items"))


def apply_xrd_defaults(xr: Mapping, xrd: Mapping) -> dict:
    """A copy of the XR with the XRD's defaults for its version applied."""
    out = copy.deepcopy(dict(xr))
    api_version = str(out.get("apiVersion", ""))
    check_defines(xrd, str(out.get("kind", "")), api_version)
    default(out, composite_schema(xrd, api_version))
    return out
