"""Metadata of composed resources, as `crossplane render` sets it (rule 5)."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from scripts.render.errors import RenderError

ANNOTATION_RESOURCE_NAME = "crossplane.io/composition-resource-name"
LABEL_COMPOSITE = "crossplane.io/composite"
LABEL_CLAIM_NAME = "crossplane.io/claim-name"
LABEL_CLAIM_NAMESPACE = "crossplane.io/claim-namespace"


def resource_name(resource: Mapping) -> str:
    """The composition-resource-name annotation of an observed resource ('' when absent)."""
    return ((resource.get("metadata") or {}).get("annotations") or {}).get(
        ANNOTATION_RESOURCE_NAME, ""
    )


def name_prefix(xr: Mapping) -> str:
    """The XR's ``crossplane.io/composite`` label (nested XRs), else its name."""
    meta = xr.get("metadata") or {}
    return (meta.get("labels") or {}).get(LABEL_COMPOSITE) or meta.get("name", "")


def owner_reference(xr: Mapping) -> dict:
    """A controller reference to the XR; ``uid`` is always printed, empty when unknown."""
    meta = xr.get("metadata") or {}
    return {
        "apiVersion": xr.get("apiVersion", ""),
        "kind": xr.get("kind", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _set_or_drop(meta: dict, key: str, value: str) -> None:
    if value:
        meta[key] = value
    else:
        meta.pop(key, None)


def _add_controller(meta: dict, ref: dict, name: str) -> None:
    """Add the controller reference, replacing one with the same uid; refuse a second owner."""
    refs = [dict(r) for r in meta.get("ownerReferences") or []]
    for existing in refs:
        if existing.get("controller") and existing.get("uid", "") != ref["uid"]:
            raise RenderError(
                f'cannot render composed resource "{name}" metadata: already controlled by '
                f"{existing.get('kind', '')} {existing.get('name', '')} "
                f"(UID {existing.get('uid', '')})"
            )
    for index, existing in enumerate(refs):
        if existing.get("uid", "") == ref["uid"]:
            refs[index] = ref
            break
    else:
        refs.append(ref)
    meta["ownerReferences"] = refs


def compose_metadata(
    desired: Mapping, name: str, xr: Mapping, observed: Mapping | None = None
) -> dict:
    """One desired composed resource with Crossplane's standard metadata applied."""
    out = copy.deepcopy(dict(desired))
    meta = dict(out.get("metadata") or {})
    if observed is not None:
        # An existing composed resource keeps its identity, whatever the function asked for.
        seen = observed.get("metadata") or {}
        for key in ("namespace", "name", "generateName"):
            _set_or_drop(meta, key, seen.get(key, ""))
    prefix = name_prefix(xr)
    if not meta.get("name") and not meta.get("generateName"):
        meta["generateName"] = f"{prefix}-"
    xr_meta = xr.get("metadata") or {}
    if xr_meta.get("namespace"):
        meta["namespace"] = xr_meta["namespace"]
    meta["annotations"] = {**(meta.get("annotations") or {}), ANNOTATION_RESOURCE_NAME: name}
    labels = {**(meta.get("labels") or {}), LABEL_COMPOSITE: prefix}
    xr_labels = xr_meta.get("labels") or {}
    if xr_labels.get(LABEL_CLAIM_NAME) and xr_labels.get(LABEL_CLAIM_NAMESPACE):
        labels[LABEL_CLAIM_NAME] = xr_labels[LABEL_CLAIM_NAME]
        labels[LABEL_CLAIM_NAMESPACE] = xr_labels[LABEL_CLAIM_NAMESPACE]
    meta["labels"] = labels
    _add_controller(meta, owner_reference(xr), name)
    out["metadata"] = meta
    return out


def render_composed(
    desired: Mapping[str, Mapping], xr: Mapping, observed: Mapping[str, Mapping]
) -> list[dict]:
    """All desired composed resources with metadata, sorted by composition-resource-name."""
    return [
        compose_metadata(desired[name], name, xr, observed.get(name)) for name in sorted(desired)
    ]
