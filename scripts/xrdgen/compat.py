"""Schema compatibility: what a change between two XRDs (or CRDs) does to objects that exist.

A change is *breaking* when an object that was valid before can lose data or be rejected on
its next write (by its user or by Crossplane, which rewrites XRs and claims all the time):

- a removed field, or preserved unknown fields no longer preserved: the API server prunes
  whatever the schema does not declare when it decodes an object (KEP-2332, "Pruning for
  Custom Resources"), so the stored value is gone from every read and from the next write;
- a changed type, a newly required field, a narrowed enum, a tightened limit (min/max, length,
  items, properties, pattern, format), new CEL rules: the next update of an object that no
  longer conforms is rejected. Validation ratcheting (KEP-4008, on by default since Kubernetes
  1.30) lets unchanged invalid fields through, but not `required` errors on a changed parent
  nor rules under oneOf/anyOf/allOf, so the verdict does not count on it;
- a version no longer served (removed, or `served: false`): clients of that version get 404;
  Crossplane maps an XRD version's `served` straight onto the XR CRD's (crossplane-runtime
  @4e7ed235 pkg/xcrd/crd.go, ForCompositeResource: `Served: vr.Served`);
- a changed group, kind, plural, scope or claim names: Crossplane declares them immutable
  (crossplane @2d040d2daf4e apis/apiextensions/v1 and v2 xrd_types.go,
  CompositeResourceDefinitionSpec, `self == oldSelf`), so the update is refused and a new XRD
  is needed; a connection secret key removed from the list is filtered out of every claim's
  Secret (same file, ConnectionSecretKeys).

Compatible: a new optional field, a description, a widened enum, a relaxed limit, a new
version, a new connection secret key, printer columns. Anything else that changes is
reported as breaking: an unknown change is one a reviewer must look at.

The verdict of each kind of change is data (`VERDICT`, `BOUNDS`) so the tests can flip any
one entry and show that a case catches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

# kind of change -> breaking?
VERDICT: dict[str, bool] = {
    "field-removed": True,
    "type-changed": True,
    "type-widened": False,
    "required-field-added": True,
    "now-required": True,
    "optional-field-added": False,
    "no-longer-required": False,
    "enum-narrowed": True,
    "enum-widened": False,
    "limit-tightened": True,
    "limit-relaxed": False,
    "rules-added": True,
    "rules-removed": False,
    "unknown-fields-pruned": True,
    "unknown-fields-preserved": False,
    "description-changed": False,
    "other-changed": True,
    "version-unserved": True,
    "version-added": False,
    "version-served": False,
    "version-removed-unserved": False,
    "identity-changed": True,
    "connection-key-removed": True,
    "connection-key-added": False,
    "columns-changed": False,
}
# Numeric limits: +1 when raising the value tightens (a lower bound), -1 when lowering does.
BOUNDS: dict[str, int] = {
    "minimum": 1,
    "minLength": 1,
    "minItems": 1,
    "minProperties": 1,
    "maximum": -1,
    "maxLength": -1,
    "maxItems": -1,
    "maxProperties": -1,
}
# Flags that tighten validation when turned on.
FLAGS = ("exclusiveMinimum", "exclusiveMaximum", "uniqueItems")
# Constraints whose exact meaning cannot be compared: any new or changed value tightens.
OPAQUE = ("pattern", "format", "multipleOf")
DOCS = ("description", "title", "example", "externalDocs")
# Keys handled structurally (children, type, required) rather than as keywords.
_STRUCTURE = ("type", "x-kubernetes-int-or-string", "properties", "additionalProperties", "items")
_HANDLED = (
    *_STRUCTURE,
    "required",
    "enum",
    "x-kubernetes-validations",
    "x-kubernetes-preserve-unknown-fields",
    *BOUNDS,
    *FLAGS,
    *OPAQUE,
    *DOCS,
)
IDENTITY = ("group", "names.kind", "names.plural", "scope", "claimNames.kind", "claimNames.plural")


@dataclass(frozen=True)
class Change:
    """One schema change of one API (`where`: XRD or CRD name) at one version and path."""

    where: str
    version: str
    path: str
    kind: str
    detail: str

    @property
    def breaking(self) -> bool:
        return VERDICT[self.kind]

    def line(self) -> str:
        """`BREAKING   <name> <version> <path>: <detail>`, the format every command prints."""
        verdict = "BREAKING" if self.breaking else "compatible"
        version = f" {self.version}" if self.version else ""
        return f"{verdict:<10} {self.where}{version} {self.path}: {self.detail}"


def verdict(changes: Iterable[Change]) -> str:
    """One line summing up a list of changes."""
    changes = list(changes)
    if not changes:
        return "no schema change"
    broken = sum(c.breaking for c in changes)
    plural = "s" if len(changes) != 1 else ""
    if broken:
        verb = "breaks" if broken == 1 else "break"
        return f"BREAKING: {broken} of {len(changes)} change{plural} {verb} existing objects"
    return f"compatible: {len(changes)} change{plural}, none breaking"


def _type(node: Schema) -> str | None:
    if node.get("x-kubernetes-int-or-string"):
        return "int-or-string"
    kind = node.get("type")
    return None if kind is None else str(kind)


def _show(value: Any) -> str:
    """A value as a line shows it: strings quoted, booleans lowercase, lists comma-separated."""
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "[]"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, str) else str(value)


class _Walker:
    """Collects (path, kind, detail) while walking two schemas side by side."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str, str]] = []

    def add(self, path: str, kind: str, detail: str) -> None:
        self.found.append((path or "<root>", kind, detail))

    def node(self, old: Schema, new: Schema, path: str) -> None:
        before, after = _type(old), _type(new)
        if before != after:
            widened = after == "int-or-string" and before in ("integer", "string")
            kind = "type-widened" if widened else "type-changed"
            self.add(path, kind, f"type changed from {before} to {after}")
            if not widened:
                return  # what is below a retyped field no longer compares
        self.keywords(old, new, path)
        self.children(old, new, path)

    def keywords(self, old: Schema, new: Schema, path: str) -> None:
        self.enum(old.get("enum"), new.get("enum"), path)
        for key, direction in BOUNDS.items():
            self.bound(key, direction, old.get(key), new.get(key), path)
        for key in FLAGS:
            if bool(old.get(key)) != bool(new.get(key)):
                on = bool(new.get(key))
                self.add(
                    path,
                    "limit-tightened" if on else "limit-relaxed",
                    f"{key} {'set (tightened)' if on else 'unset (relaxed)'}",
                )
        for key in OPAQUE:
            if old.get(key) != new.get(key):
                self.limit(path, key, old.get(key), new.get(key), tighter=key in new)
        self.rules(old, new, path)
        keep_before = bool(old.get("x-kubernetes-preserve-unknown-fields"))
        keep_after = bool(new.get("x-kubernetes-preserve-unknown-fields"))
        if keep_before and not keep_after:
            self.add(path, "unknown-fields-pruned", "unknown fields no longer preserved (pruned)")
        elif keep_after and not keep_before:
            self.add(path, "unknown-fields-preserved", "unknown fields now preserved")
        for key in DOCS:
            if old.get(key) != new.get(key):
                self.add(path, "description-changed", f"{key} changed")
        for key in sorted((set(old) | set(new)) - set(_HANDLED)):
            if old.get(key) != new.get(key):
                self.add(
                    path, "other-changed", f"{key} {_show(old.get(key))} -> {_show(new.get(key))}"
                )

    def enum(self, old: list | None, new: list | None, path: str) -> None:
        if old == new:
            return
        if new is None:
            self.add(path, "enum-widened", "enum removed: any value allowed")
        elif old is None:
            self.add(path, "enum-narrowed", f"enum added: only {_show(new)} allowed")
        elif gone := [v for v in old if v not in new]:
            self.add(path, "enum-narrowed", f"enum narrowed: {_show(gone)} no longer allowed")
        elif added := [v for v in new if v not in old]:
            self.add(path, "enum-widened", f"enum widened: {_show(added)} allowed")

    def bound(self, key: str, direction: int, old: Any, new: Any, path: str) -> None:
        if old == new:
            return
        if new is None:
            tighter = False
        elif old is None:
            tighter = True
        else:
            tighter = (new - old) * direction > 0
        self.limit(path, key, old, new, tighter=tighter)

    def limit(self, path: str, key: str, old: Any, new: Any, *, tighter: bool) -> None:
        kind = "limit-tightened" if tighter else "limit-relaxed"
        how = "tightened" if tighter else "relaxed"
        if old is None:
            self.add(path, kind, f"{key} {_show(new)} added ({how})")
        elif new is None:
            self.add(path, kind, f"{key} {_show(old)} removed ({how})")
        else:
            self.add(path, kind, f"{key} {_show(old)} -> {_show(new)} ({how})")

    def rules(self, old: Schema, new: Schema, path: str) -> None:
        def texts(node: Schema) -> list[str]:
            rules = node.get("x-kubernetes-validations") or []
            return [str(r.get("rule")) for r in rules if isinstance(r, dict)]

        before, after = texts(old), texts(new)
        added = [r for r in after if r not in before]
        removed = [r for r in before if r not in after]
        if added:
            self.add(path, "rules-added", f"CEL rule added: {'; '.join(added)}")
        if removed:
            self.add(path, "rules-removed", f"CEL rule removed: {'; '.join(removed)}")
        if (
            not added
            and not removed
            and old.get("x-kubernetes-validations") != new.get("x-kubernetes-validations")
        ):
            self.add(path, "description-changed", "CEL rule messages changed")

    def children(self, old: Schema, new: Schema, path: str) -> None:
        prefix = f"{path}." if path else ""
        before = old.get("properties") or {}
        after = new.get("properties") or {}
        was = set(old.get("required") or [])
        now = set(new.get("required") or [])
        for name in sorted(set(before) | set(after) | was | now):
            here = f"{prefix}{name}"
            if name in before and name not in after:
                self.add(here, "field-removed", "field removed")
            elif name in after and name not in before:
                required = name in now
                kind = "required-field-added" if required else "optional-field-added"
                self.add(here, kind, f"new {'required' if required else 'optional'} field")
            else:
                if name in now and name not in was:
                    self.add(here, "now-required", "field now required")
                elif name in was and name not in now:
                    self.add(here, "no-longer-required", "field no longer required")
                if name in before:
                    self.node(before[name], after[name], here)
        for key, suffix in (("additionalProperties", ".*"), ("items", "[]")):
            self.nested(old.get(key), new.get(key), f"{path}{suffix}", key)

    def nested(self, old: Any, new: Any, path: str, key: str) -> None:
        if isinstance(old, dict) and isinstance(new, dict):
            self.node(old, new, path)
        elif isinstance(old, dict):
            self.add(path, "field-removed", f"{key} removed")
        elif isinstance(new, dict):
            self.add(path, "optional-field-added", f"{key} added")
        elif old != new:  # additionalProperties: true/false
            self.add(path, "other-changed", f"{key} {_show(old)} -> {_show(new)}")


def diff_schema(old: Schema, new: Schema) -> list[tuple[str, str, str]]:
    """Every change between two openAPIV3Schemas as (path, kind, detail), in a stable order."""
    walker = _Walker()
    walker.node(old, new, "")
    return walker.found


def _get(doc: dict[str, Any], dotted: str) -> Any:
    node: Any = doc.get("spec") or {}
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


# An XRD without a scope gets the API's default (crossplane apis/apiextensions/v1 and v2
# xrd_types.go, `+kubebuilder:default=`): omitting it is not a change of scope.
DEFAULT_SCOPE = {
    "apiextensions.crossplane.io/v1": "LegacyCluster",
    "apiextensions.crossplane.io/v2": "Namespaced",
}


def _identity(doc: dict[str, Any], dotted: str) -> Any:
    value = _get(doc, dotted)
    if dotted == "scope" and value is None:
        return DEFAULT_SCOPE.get(str(doc.get("apiVersion")))
    return value


def _versions(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    versions = (doc.get("spec") or {}).get("versions") or []
    return {str(v.get("name")): v for v in versions if isinstance(v, dict)}


def _schema(version: dict[str, Any]) -> Schema:
    return (version.get("schema") or {}).get("openAPIV3Schema") or {}


def _frame(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Identity and connection secret keys: (version, path, kind, detail), version empty."""
    out: list[tuple[str, str, str, str]] = []
    for dotted in IDENTITY:
        before, after = _identity(old, dotted), _identity(new, dotted)
        if before != after:
            out.append(
                ("", f"spec.{dotted}", "identity-changed", f"{before} -> {after} (immutable)")
            )
    keys_before = list(_get(old, "connectionSecretKeys") or [])
    keys_after = list(_get(new, "connectionSecretKeys") or [])
    path = "spec.connectionSecretKeys"
    out += [
        ("", path, "connection-key-removed", f"{k} removed")
        for k in keys_before
        if k not in keys_after
    ]
    out += [
        ("", path, "connection-key-added", f"{k} added") for k in keys_after if k not in keys_before
    ]
    return out


def _version(
    name: str, old: dict[str, Any], new: dict[str, Any]
) -> list[tuple[str, str, str, str]]:
    """Served flag, schema and printer columns of one version both documents have."""
    out: list[tuple[str, str, str, str]] = []
    served, was_served = bool(new.get("served")), bool(old.get("served"))
    if was_served and not served:
        out.append((name, "<version>", "version-unserved", "version no longer served"))
    elif served and not was_served:
        out.append((name, "<version>", "version-served", "version now served"))
    out += [(name, *change) for change in diff_schema(_schema(old), _schema(new))]
    if old.get("additionalPrinterColumns") != new.get("additionalPrinterColumns"):
        out.append((name, "<columns>", "columns-changed", "printer columns changed"))
    return out


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change between two XRDs (or two CRDs): identity, connection keys, then each version
    (served, schema, printer columns) in the new document's order, removed versions last."""
    where = str((new.get("metadata") or {}).get("name") or (old.get("metadata") or {}).get("name"))
    found = _frame(old, new)
    before, after = _versions(old), _versions(new)
    for name, version in after.items():
        if name in before:
            found += _version(name, before[name], version)
        else:
            served = _show(bool(version.get("served")))
            found.append((name, "<version>", "version-added", f"new version (served: {served})"))
    for name, version in before.items():
        if name not in after and version.get("served"):
            found.append((name, "<version>", "version-unserved", "version removed"))
        elif name not in after:
            found.append(
                (name, "<version>", "version-removed-unserved", "unserved version removed")
            )
    return [Change(where, *change) for change in found]
