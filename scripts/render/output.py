"""Output documents and their YAML form (rule 7: sorted keys, integral numbers as ints)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from google.protobuf import json_format
from google.protobuf import struct_pb2 as structpb

from scripts.render.errors import RenderError

RENDER_API_VERSION = "render.crossplane.io/v1beta1"


@dataclass
class Rendered:
    """What one render produced, before it is turned into documents."""

    xr: dict
    resources: list[dict]
    results: list[dict]
    context: dict | None


def normalise(value: Any) -> Any:
    """Return ``value`` with integral floats as ints, recursively.

    protobuf Structs carry every number as a double; Crossplane prints them through JSON, where
    ``1.0`` becomes ``1``. Doing the same keeps ``relative: 1`` an int.
    """
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def to_struct(data: dict) -> structpb.Struct:
    """Encode a plain mapping as a protobuf Struct (JSON values only)."""
    try:
        return json_format.ParseDict(data, structpb.Struct())
    except (json_format.ParseError, TypeError, ValueError, OverflowError) as exc:
        raise RenderError(f"cannot encode a manifest as JSON for the function: {exc}") from None


def from_struct(struct: structpb.Struct) -> dict:
    """Decode a protobuf Struct into plain data with integral numbers as ints."""
    return normalise(json_format.MessageToDict(struct))


def context_document(context: dict | None) -> dict:
    """The ``kind: Context`` document; an absent context prints as empty fields."""
    return {"apiVersion": RENDER_API_VERSION, "kind": "Context", "fields": context or {}}


def documents(rendered: Rendered, *, include_results: bool, include_context: bool) -> list[dict]:
    """The output stream: the XR, composed resources, then Results (-r) and the Context (-c)."""
    docs = [rendered.xr, *rendered.resources]
    if include_results:
        docs.extend(rendered.results)
    if include_context:
        docs.append(context_document(rendered.context))
    return docs


class _Dumper(yaml.SafeDumper):
    """SafeDumper that prints multi-line strings as literal blocks, like Go's YAML encoder."""


_LINE_BREAKS = frozenset("\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = None
    if _LINE_BREAKS.intersection(data):
        style = '"'  # PyYAML would print these unquoted and read them back as spaces
    elif "\n" in data:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(docs: list[dict]) -> str:
    """Render documents as a YAML stream, ``---`` before each document, keys sorted."""
    parts = []
    for doc in docs:
        body = yaml.dump(
            normalise(doc),
            Dumper=_Dumper,
            sort_keys=True,
            default_flow_style=False,
            allow_unicode=True,
            width=1 << 16,
        )
        parts.append("---\n" + body)
    return "".join(parts)
