"""The local CRD file: upstream's structure with the project's own descriptions.

`crd/` is structurally identical to the upstream CRD (tests/test_ec_crd.py holds it to the copy
in ../shared) but its descriptions are written in the project's words. Taking a new upstream
therefore keeps every description of ours whose path still exists, drops upstream's prose, and
lists the paths upstream describes that have no description of ours yet (new fields) for the
reviewer. The rendering is canonical (key order below, sorted properties, block strings), so two
renderings of the same data are identical and a diff between them shows only real changes.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from scripts.xrdgen.assemble import BlockDumper

Path_ = tuple[str, ...]
# Values that are data, not schema: a "description" key inside them is not prose to replace.
_DATA = ("default", "enum", "example", "x-kubernetes-validations")
_SCHEMA_FIRST = ("description", "type", "format")
_SCHEMA_LAST = ("required", "properties", "additionalProperties", "items")
_VERSION_FIRST = ("name", "served", "storage")
_TOP = ("apiVersion", "kind", "metadata", "spec")
WIDTH = 80


def _step(item: Any, index: int) -> str:
    """A list element's place in a path: its name when it has one (versions, columns)."""
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return f"[{item['name']}]"
    return f"[{index}]"


def _walk(node: Any, path: Path_, visit: Any) -> None:
    if isinstance(node, dict):
        visit(node, path)
        for key, value in list(node.items()):
            if key not in _DATA and key != "description":
                _walk(value, (*path, str(key)), visit)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, (*path, _step(item, i)), visit)


def descriptions(doc: dict[str, Any]) -> dict[Path_, str]:
    """Every description in a document, by path."""
    found: dict[Path_, str] = {}

    def visit(node: dict[str, Any], path: Path_) -> None:
        if isinstance(node.get("description"), str):
            found[path] = node["description"]

    _walk(doc, (), visit)
    return found


def show(path: Path_) -> str:
    """A description path as the report prints it: `spec.ciOperator.releases.*` style, relative
    to the version's openAPIV3Schema when it is inside one."""
    parts = list(path)
    if "openAPIV3Schema" in parts:
        parts = parts[parts.index("openAPIV3Schema") + 1 :]
    out = ""
    for part in parts:
        if part == "properties":
            continue
        step = {"additionalProperties": ".*", "items": "[]"}.get(part, f".{part}")
        out += step
    return out.lstrip(".") or "<root>"


def _paths(doc: dict[str, Any]) -> set[Path_]:
    found: set[Path_] = set()
    _walk(doc, (), lambda _node, path: found.add(path))
    return found


def merge(upstream: dict[str, Any], ours: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Upstream's CRD with our metadata and our descriptions (by path); also the paths that
    need a description of ours: upstream describes them, or they are new fields."""
    mine = descriptions(ours)
    known = _paths(ours)
    merged = copy.deepcopy(upstream)
    name = (upstream.get("metadata") or {}).get("name")
    if (ours.get("metadata") or {}).get("name") == name:
        merged["metadata"] = copy.deepcopy(ours["metadata"])  # no controller-gen annotations
    missing: list[str] = []

    def visit(node: dict[str, Any], path: Path_) -> None:
        if path in mine:
            node["description"] = mine[path]
            return
        new_field = path not in known and len(path) > 1 and path[-2] == "properties"
        if "description" in node or new_field:
            node.pop("description", None)
            missing.append(show(path))

    _walk(merged, (), visit)
    return merged, missing


def _canonical(value: Any) -> Any:
    """Data (CEL rules, defaults, names, ...) with every mapping's keys sorted."""
    if isinstance(value, dict):
        return {key: _canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _schema(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    keys = [k for k in _SCHEMA_FIRST if k in node]
    keys += sorted(k for k in node if k not in _SCHEMA_FIRST and k not in _SCHEMA_LAST)
    keys += [k for k in _SCHEMA_LAST if k in node]
    out: dict[str, Any] = {}
    for key in keys:
        value = node[key]
        if key == "properties" and isinstance(value, dict):
            value = {name: _schema(child) for name, child in sorted(value.items())}
        elif key in ("additionalProperties", "items"):
            value = _schema(value)
        else:
            value = _canonical(value)
        out[key] = value
    return out


def _version(version: dict[str, Any]) -> dict[str, Any]:
    keys = [k for k in _VERSION_FIRST if k in version]
    keys += sorted(k for k in version if k not in _VERSION_FIRST and k != "schema")
    out = {key: _canonical(version[key]) for key in keys}
    if "schema" in version:
        schema = version["schema"]
        out["schema"] = {
            key: _schema(value) if key == "openAPIV3Schema" else _canonical(value)
            for key, value in sorted(schema.items())
        }
    return out


def _spec(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        key: [_version(v) if isinstance(v, dict) else v for v in spec[key]]
        if key == "versions" and isinstance(spec[key], list)
        else _canonical(spec[key])
        for key in sorted(spec)
    }


def _ordered(doc: dict[str, Any]) -> dict[str, Any]:
    keys = [k for k in _TOP if k in doc] + sorted(k for k in doc if k not in _TOP)
    return {
        key: _spec(doc[key])
        if key == "spec" and isinstance(doc[key], dict)
        else _canonical(doc[key])
        for key in keys
    }


def render(doc: dict[str, Any], header: str) -> str:
    """The CRD file: `header` (comment lines) then the document in canonical order."""
    body = yaml.dump(
        _ordered(doc),
        Dumper=BlockDumper,  # `|-` blocks for multi-line descriptions
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=WIDTH,
    )
    return header + body


def header(kind: str, repository: str, path: str, config_name: str) -> str:
    """The comment block `xrd-gen follow` puts on the CRD it writes."""
    return (
        f"# {kind} CRD, following {repository}\n"
        f"# {path}\n"
        f"# at the commit pinned under `upstream:` in xrd/{config_name}:\n"
        "# upstream's structure, this project's own descriptions. Rewritten only by\n"
        "# `xrd-gen follow` (the xrd-upstream workflow), which also regenerates xrd/ from it.\n"
        "# See docs/xrd-gen.md.\n"
    )
