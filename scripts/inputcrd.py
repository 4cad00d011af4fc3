"""The step input's CRD (`package/input/`), generated from the pydantic model.

Crossplane never installs or enforces this CRD; it documents the input for tools and humans.
Generating it from `function.input.Input` keeps the two from drifting, and a test checks that
the committed file equals what the model produces. Regenerate with `make input-crd`
(`python -m scripts.inputcrd`, writes the file) or check with `python -m scripts.inputcrd
--check`. A development tool: the runtime package only holds the model it reads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from function.config import API_VERSION, KIND
from function.input import Input

GROUP, VERSION = API_VERSION.split("/")
PLURAL = "inputs"
PATH = Path(__file__).resolve().parent.parent / "package" / "input" / f"{GROUP}_{PLURAL}.yaml"
_HEADER = "# Generated from function/input.py by `python -m scripts.inputcrd`; do not edit.\n"
# Root fields whose schema Kubernetes restricts: keep them plain.
_PLAIN_ROOT = {"apiVersion": "string", "kind": "string", "metadata": "object"}


def _openapi(node: Any, defs: dict[str, Any]) -> Any:
    """Pydantic JSON schema → structural OpenAPI v3 (refs inlined, Optional unwrapped)."""
    if isinstance(node, list):
        return [_openapi(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if "$ref" in node:
        target = defs[node.pop("$ref").rsplit("/", 1)[-1]]
        node = {**target, **node}
    options = node.pop("anyOf", None)
    if options is not None:
        concrete = [o for o in options if o.get("type") != "null"]
        if len(concrete) != 1:
            raise ValueError(f"cannot express anyOf {options!r} in a structural schema")
        node = {**concrete[0], **node}
        if node.get("default", 0) is None:
            node.pop("default")
    if "const" in node:
        node["enum"] = [node.pop("const")]
    node.pop("title", None)
    if node.get("additionalProperties") is False:
        node.pop("additionalProperties")  # Kubernetes prunes unknown fields anyway
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _openapi(sub, defs) for name, sub in value.items()}
        else:
            out[key] = _openapi(value, defs) if isinstance(value, dict | list) else value
    return out


def schema() -> dict[str, Any]:
    """The openAPIV3Schema of the Input kind."""
    raw = Input.model_json_schema(by_alias=True, mode="validation")
    defs = raw.pop("$defs", {})
    converted = _openapi(raw, defs)
    for name, typ in _PLAIN_ROOT.items():
        description = converted["properties"][name].get("description", "")
        converted["properties"][name] = {"type": typ}
        if description and name != "metadata":
            converted["properties"][name]["description"] = description
    return converted


def crd() -> dict[str, Any]:
    """The CustomResourceDefinition document."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {
                "categories": ["crossplane"],
                "kind": KIND,
                "listKind": f"{KIND}List",
                "plural": PLURAL,
                "singular": KIND.lower(),
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema()},
                }
            ],
        },
    }


def render() -> str:
    """The file content, deterministic (sorted keys)."""
    return _HEADER + yaml.safe_dump(crd(), sort_keys=True, width=100)


def main(argv: list[str] | None = None) -> int:
    """Write the CRD, or with --check fail (exit 1) when the committed file is stale."""
    parser = argparse.ArgumentParser(prog="python -m scripts.inputcrd", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = PATH.read_text(encoding="utf-8") if PATH.is_file() else ""
        if current != text:
            sys.stderr.write(f"{PATH}: stale; run make input-crd\n")
            return 1
        return 0
    PATH.parent.mkdir(parents=True, exist_ok=True)
    PATH.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
