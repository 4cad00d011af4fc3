"""Rule 1: the Composition must be a v1 Pipeline Composition for the XR's type."""

from __future__ import annotations

from collections.abc import Mapping

from scripts.render.errors import RenderError
from scripts.render.loading import describe

COMPOSITION_API_VERSION = "apiextensions.crossplane.io/v1"


def _selector_labels(xr: Mapping) -> Mapping:
    spec = xr.get("spec") or {}
    selector = (spec.get("crossplane") or {}).get("compositionSelector") or spec.get(
        "compositionSelector"
    )
    return (selector or {}).get("matchLabels") or {}


def check_composition(xr: Mapping, composition: Mapping) -> list[dict]:
    """Rule 1: a v1 Pipeline Composition for this XR's type; returns its pipeline steps."""
    if (
        composition.get("apiVersion") != COMPOSITION_API_VERSION
        or composition.get("kind") != "Composition"
    ):
        raise RenderError(f"not a composition: {describe(composition)}")
    meta = composition.get("metadata") or {}
    spec = composition.get("spec") or {}
    ref = spec.get("compositeTypeRef") or {}
    if ref.get("kind") != xr.get("kind"):
        raise RenderError(
            f"composition's compositeTypeRef.kind ({ref.get('kind')}) does not match XR's kind "
            f"({xr.get('kind')})"
        )
    if ref.get("apiVersion") != xr.get("apiVersion"):
        raise RenderError(
            f"composition's compositeTypeRef.apiVersion ({ref.get('apiVersion')}) does not "
            f"match XR's apiVersion ({xr.get('apiVersion')})"
        )
    comp_labels = meta.get("labels") or {}
    for key, value in _selector_labels(xr).items():
        if key not in comp_labels:
            raise RenderError(f'composition "{meta.get("name")}" is missing required label "{key}"')
        if comp_labels[key] != value:
            raise RenderError(
                f'composition "{meta.get("name")}" has incorrect value for label "{key}": '
                f'want "{value}", got "{comp_labels[key]}"'
            )
    if spec.get("mode") != "Pipeline":
        raise RenderError(
            "render only supports Composition Function pipelines: Composition "
            f'"{meta.get("name")}" must use spec.mode: Pipeline'
        )
    steps = spec.get("pipeline") or []
    for index, step in enumerate(steps):
        if not step.get("step") or not (step.get("functionRef") or {}).get("name"):
            raise RenderError(
                f"composition spec.pipeline[{index}] needs both step and functionRef.name"
            )
    return steps
