"""Matching required (extra) resources against a function's resource selectors (rule 3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import crossplane.function.proto.v1.run_function_pb2 as fnv1

from scripts.render.output import to_struct

#: Calls per pipeline step: the first plus at most five more while requirements keep changing.
MAX_CALLS = 6


def _meta(resource: Mapping) -> Mapping:
    return resource.get("metadata") or {}


def select(selector: fnv1.ResourceSelector, resources: Sequence[dict]) -> list[dict]:
    """The supplied resources a selector asks for.

    apiVersion and kind must match, and the namespace too when the selector sets one. A name
    selector yields at most one resource; a label selector yields every resource carrying all
    the labels. Candidates are taken in name order so the result is stable.
    """
    matched: list[dict] = []
    match = selector.WhichOneof("match")
    for resource in sorted(resources, key=lambda r: str(_meta(r).get("name", ""))):
        meta = _meta(resource)
        if resource.get("apiVersion") != selector.api_version:
            continue
        if resource.get("kind") != selector.kind:
            continue
        if selector.HasField("namespace") and meta.get("namespace", "") != selector.namespace:
            continue
        if match == "match_name" and meta.get("name") == selector.match_name:
            return [resource]
        if match == "match_labels":
            labels = meta.get("labels") or {}
            wanted = selector.match_labels.labels
            if all(labels.get(k) == v for k, v in wanted.items()):
                matched.append(resource)
    return matched


def fill(
    target: Mapping[str, fnv1.Resources],
    selectors: Mapping[str, fnv1.ResourceSelector],
    resources: Sequence[dict],
) -> None:
    """Replace a request's resource map with what each selector matches.

    A selector that matches nothing still gets its key, with no items: that is how a function
    learns the resource does not exist.
    """
    target.clear()  # type: ignore[attr-defined]
    for name, selector in selectors.items():
        entry = target[name]  # protobuf map access creates the entry on purpose
        for resource in select(selector, resources):
            entry.items.add(resource=to_struct(resource))


def fill_schemas(
    target: Mapping[str, fnv1.Schema], selectors: Mapping[str, fnv1.SchemaSelector]
) -> None:
    """Answer every requested schema with an empty one ("not found").

    `crossplane render` v2.2.4 answers from `--required-schemas` and gives an empty schema for
    one it does not have (cmd/crank/render/schemas.go, `FilteringSchemaFetcher.Fetch`); this
    harness takes no schemas, so every answer is empty.
    """
    target.clear()  # type: ignore[attr-defined]
    for name in selectors:
        target[name].CopyFrom(fnv1.Schema())


def bootstrap_selector(spec: Mapping) -> fnv1.ResourceSelector:
    """A ResourceSelector from a Composition step's ``requirements.requiredResources`` entry."""
    selector = fnv1.ResourceSelector(
        api_version=str(spec.get("apiVersion", "")), kind=str(spec.get("kind", ""))
    )
    if spec.get("name"):
        selector.match_name = str(spec["name"])
    else:
        selector.match_labels.labels.update(
            {str(k): str(v) for k, v in (spec.get("matchLabels") or {}).items()}
        )
    if spec.get("namespace"):
        selector.namespace = str(spec["namespace"])
    return selector
