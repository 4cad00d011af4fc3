"""CRD schema → XRD schema, following what Crossplane keeps and what it discards.

Crossplane builds the XR's CRD from the XRD's schema by keeping, at the root, only the
description and the CEL rules; at the `spec` node only properties, required, oneOf,
description, CEL rules and preserve-unknown-fields; everything below a spec property verbatim.
Copying anything else would be a lie about the API, so it is dropped here and each drop is
reported as a note. `status` is not copied: the XRD declares only the projected fields, never
the CRD's `required` list (EC's required `status.phase` would block Crossplane's own status
writes before the reconciler has set a phase).
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scripts.xrdgen.options import GenError

Schema = dict[str, Any]

ROOT_KEEP = ("type", "description", "properties", "required", "x-kubernetes-validations")
ROOT_PROPERTIES = ("apiVersion", "kind", "metadata", "spec", "status")
SPEC_KEEP = (
    "type",
    "description",
    "properties",
    "required",
    "oneOf",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-validations",
)
MAX_NAME_LENGTH = 63  # XR and claim names end up in label values
_SELF_FIELD = re.compile(r"\bself\.([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?")


@dataclass
class Result:
    """The XRD's openAPIV3Schema plus the notes explaining what was left out and why."""

    schema: Schema
    notes: list[str] = field(default_factory=list)
    # Top-level spec fields of the CRD the XRD does not expose (`spec_fields` narrows): sync
    # names each one, so a field upstream adds is never dropped without a word.
    left_out: list[str] = field(default_factory=list)


def _mapping(node: Any, where: str) -> Schema:
    if not isinstance(node, dict):
        raise GenError(f"CRD schema {where}: expected an object, found {type(node).__name__}")
    return node


def _rules(node: Schema, where: str) -> list[Schema]:
    rules = node.get("x-kubernetes-validations") or []
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise GenError(f"CRD schema {where}.x-kubernetes-validations: expected a list of rules")
    return rules


def _refuse_hidden_references(rules: Iterable[Schema], where: str, visible: Schema) -> None:
    """Refuse CEL rules that reference a field the XRD leaves out: they would not compile and
    the XRD would never become Established.

    `visible` maps each field a rule at `where` may name to the set of its sub-fields it may
    name (None: any).
    """
    for rule in rules:
        text = str(rule.get("rule", ""))
        for first, second in _SELF_FIELD.findall(text):
            inner = visible.get(first, set())
            if first in visible and (not second or inner is None or second in inner):
                continue
            missing = f"{first}.{second}" if first in visible else first
            prefix = "" if where == "<root>" else f"{where}."
            raise GenError(
                f"CEL rule at {where} references {prefix}{missing}, which the XRD does not "
                f"expose: {text!r}"
            )


def unknown_fields(flag: str, part: str, fields: tuple[str, ...], props: Schema) -> None:
    """Refuse fields the CRD's `part` does not have, suggesting close names (a typo never
    silently becomes a different XRD)."""
    unknown = [f for f in fields if f not in props]
    if not unknown:
        return
    close = sorted({m for f in unknown for m in difflib.get_close_matches(f, list(props), n=3)})
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise GenError(
        f"{flag} {', '.join(unknown)}: not a property of the CRD's {part} "
        f"({hint}has: {', '.join(sorted(props)) or 'none'})"
    )


def _spec(crd_spec: Schema, fields: tuple[str, ...], notes: list[str]) -> Schema:
    props = _mapping(crd_spec.get("properties") or {}, "spec.properties")
    if fields:
        unknown_fields("--spec-field", "spec", fields, props)
        if len(set(fields)) != len(fields):
            raise GenError(f"--spec-field: listed twice: {', '.join(fields)}")
        props = {name: props[name] for name in fields}
    out: Schema = {"type": "object"}
    for key in sorted(crd_spec):
        if key not in SPEC_KEEP:
            notes.append(f"spec.{key}: dropped, Crossplane discards it at the spec node")
        elif key not in ("type", "properties", "required"):
            out[key] = copy.deepcopy(crd_spec[key])
    if crd_spec.get("type", "object") != "object":
        raise GenError(f"CRD schema spec: type {crd_spec.get('type')!r}, expected object")
    out["properties"] = copy.deepcopy(props)
    required = [r for r in crd_spec.get("required") or [] if r in props]
    left_out = [r for r in crd_spec.get("required") or [] if r not in props]
    if left_out:
        notes.append(
            f"spec.required: {', '.join(left_out)} not exposed; the Composition must set "
            "them itself"
        )
    if required:
        out["required"] = required
    for i, item in enumerate(out.get("oneOf") or []):
        branch = _mapping(item, f"spec.oneOf[{i}]")
        named = set(branch.get("required") or []) | set(branch.get("properties") or {})
        hidden = sorted(named - set(props))
        if hidden:
            raise GenError(
                f"CRD schema spec.oneOf[{i}] references {', '.join(hidden)}, which the XRD "
                "does not expose (--spec-field)"
            )
    visible: Schema = dict.fromkeys(props)
    _refuse_hidden_references(_rules(crd_spec, "spec"), "spec", visible)
    return out


def _status(crd_status: Schema | None, fields: tuple[str, ...]) -> Schema | None:
    if not fields:
        return None
    if len(set(fields)) != len(fields):
        raise GenError(f"status fields listed twice: {', '.join(fields)}")
    source = _mapping(
        _mapping(crd_status or {}, "status").get("properties") or {}, "status.properties"
    )
    # A projected field the CRD's status lacks would be a guess (it used to become a string):
    # `--status-field phse` must fail like `--spec-field` does, not add a field nobody writes.
    unknown_fields("--status-field", "status", fields, source)
    props = {name: copy.deepcopy(_mapping(source[name], f"status.{name}")) for name in fields}
    # Never `required`: Crossplane writes the XR status (conditions) before any projection.
    return {"type": "object", "properties": props}


def _metadata(crd_meta: Any, notes: list[str]) -> Schema | None:
    """Crossplane replaces metadata with `name: maxLength 63`, honouring a smaller maxLength."""
    meta: dict[str, Any] = crd_meta if isinstance(crd_meta, dict) else {}
    props: dict[str, Any] = meta["properties"] if isinstance(meta.get("properties"), dict) else {}
    name: dict[str, Any] = props["name"] if isinstance(props.get("name"), dict) else {}
    limit = name.get("maxLength")
    ignored = (
        set(meta) - {"type", "properties"}
        or set(props) - {"name"}
        or set(name) - {"type", "maxLength"}
    )
    if ignored:
        notes.append("metadata: dropped, Crossplane replaces it (only name.maxLength is honoured)")
    if isinstance(limit, int) and limit < MAX_NAME_LENGTH:
        return {
            "type": "object",
            "properties": {"name": {"type": "string", "maxLength": limit}},
        }
    return None


def _root_notes(root: Schema, props: Schema) -> list[str]:
    """What Crossplane drops at the root, beyond the standard apiVersion/kind/metadata."""
    notes = [
        f"<root>.{key}: dropped, Crossplane keeps only description and CEL rules"
        for key in sorted(root)
        if key not in ROOT_KEEP
    ]
    notes += [
        f"{name}: dropped, Crossplane keeps only spec and status at the root"
        for name in sorted(props)
        if name not in ROOT_PROPERTIES
    ]
    required = sorted(set(root.get("required") or []) - {"metadata", "spec"})
    if required:
        notes.append(f"<root>.required: {', '.join(required)} dropped, Crossplane requires spec")
    return notes


def build(
    crd_schema: Schema,
    *,
    spec_fields: tuple[str, ...] = (),
    status_fields: tuple[str, ...] = (),
    description: str | None = None,
    extra_spec: Schema | None = None,
    injected: tuple[set[str], set[str]] = (set(), set()),
) -> Result:
    """The XRD version schema derived from a CRD version schema (see the module docstring).

    `extra_spec` holds properties the XRD declares beyond the CRD (for example v2's
    writeConnectionSecretToRef); a CRD property of the same name is an error. `injected` are
    the (spec, status) fields Crossplane adds, which root CEL rules may reference.
    """
    notes: list[str] = []
    root = _mapping(crd_schema, "<root>")
    props = _mapping(root.get("properties") or {}, "properties")
    notes += _root_notes(root, props)
    if "spec" not in props:
        raise GenError("CRD schema has no spec property: nothing to expose")
    spec = _spec(_mapping(props["spec"], "spec"), spec_fields, notes)
    for name, extra in sorted((extra_spec or {}).items()):
        if name in spec["properties"]:
            raise GenError(f"spec.{name}: declared by the CRD and added by an xrd-gen option")
        spec["properties"][name] = copy.deepcopy(extra)
    status = _status(props.get("status"), status_fields)

    out: Schema = {"type": "object"}
    text = description if description is not None else root.get("description")
    if text:
        out["description"] = text
    rules = _rules(root, "<root>")
    visible: Schema = {
        "apiVersion": None,
        "kind": None,
        "metadata": None,
        "spec": set(spec["properties"]) | injected[0],
        "status": set((status or {}).get("properties") or {}) | injected[1],
    }
    _refuse_hidden_references(rules, "<root>", visible)
    if rules:
        out["x-kubernetes-validations"] = copy.deepcopy(rules)
    properties: Schema = {"spec": spec}
    meta = _metadata(props.get("metadata"), notes)
    if meta is not None:
        properties["metadata"] = meta
    if status is not None:
        properties["status"] = status
    out["properties"] = properties
    crd_fields = _mapping(props["spec"], "spec").get("properties") or {}
    left_out = sorted(set(crd_fields) - set(spec["properties"]))
    return Result(schema=out, notes=notes, left_out=left_out)
