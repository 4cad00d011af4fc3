"""Validate Kubernetes objects against a CRD's schema, the way an API server would reject them.

Used by the tests to hold every artefact the project writes or renders (XRDs, Compositions,
composed Objects, EphemeralCluster manifests, XRs) to the real upstream schemas. Three layers:
OpenAPI v3.0 validation (openapi-schema-validator), the CEL rules in `x-kubernetes-validations`
(cel-python, for rules that need no `oldSelf`), and the structural-schema rules that decide
whether Kubernetes accepts a CRD at all.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

Schema = dict[str, Any]

# Keywords a structural schema may not set inside anyOf/allOf/oneOf/not (k8s structural rules).
_VALUE_ONLY_FORBIDDEN = ("type", "description", "default", "nullable", "additionalProperties")
_EXTENSIONS = (
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
)


class SchemaError(ValueError):
    """A CRD file that cannot be used (unreadable, not a CRD, unknown version)."""


def load_crd(path: str | Path) -> dict[str, Any]:
    """Return the first CustomResourceDefinition document in a YAML file."""
    try:
        docs = list(yaml.safe_load_all(Path(path).read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as err:
        raise SchemaError(f"{path}: cannot read CRD: {err}") from err
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
            return doc
    raise SchemaError(f"{path}: no CustomResourceDefinition document")


def version_schema(crd: dict[str, Any], version: str | None = None) -> Schema:
    """The openAPIV3Schema of `version`, or of the storage version when none is given."""
    versions = crd.get("spec", {}).get("versions") or []
    for v in versions:
        if (version is None and v.get("storage")) or v.get("name") == version:
            return v["schema"]["openAPIV3Schema"]
    names = ", ".join(str(v.get("name")) for v in versions)
    raise SchemaError(
        f"CRD {crd.get('metadata', {}).get('name')}: no version {version!r} ({names})"
    )


def _strict(schema: Schema) -> Schema:
    """Copy of a schema where objects with declared properties reject unknown fields.

    An API server silently prunes unknown fields; for our own artefacts a pruned field is a bug
    (it would vanish on apply), so validation treats it as an error instead.
    """
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        props = node.get("properties")
        if (
            isinstance(props, dict)
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        for key in ("properties", "patternProperties"):
            for child in (node.get(key) or {}).values():
                walk(child)
        for key in ("items", "additionalProperties", "not"):
            walk(node.get(key))
        for key in ("anyOf", "allOf", "oneOf"):
            for child in node.get(key) or []:
                walk(child)

    walk(out)
    # metadata is validated by the API server itself, not by the CRD schema.
    meta = out.get("properties", {}).get("metadata")
    if isinstance(meta, dict):
        meta.pop("additionalProperties", None)
    return out


def _openapi_errors(obj: Any, schema: Schema, *, strict: bool) -> list[str]:
    from openapi_schema_validator import OAS30Validator  # noqa: PLC0415 - test-time only

    prepared = _strict(schema) if strict else schema
    validator = OAS30Validator(prepared, format_checker=OAS30Validator.FORMAT_CHECKER)
    found = sorted(validator.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_path(err.absolute_path)}: {err.message}" for err in found]


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".") or "<root>"


def _pairs(obj: Any, schema: Schema, path: str) -> Iterator[tuple[Any, Schema, str]]:
    """Walk object and schema together, yielding every (value, schema node, path)."""
    yield obj, schema, path
    if isinstance(obj, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, value in obj.items():
            child = props.get(key, extra if isinstance(extra, dict) else None)
            if isinstance(child, dict):
                yield from _pairs(value, child, f"{path}.{key}" if path else key)
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for i, value in enumerate(obj):
            yield from _pairs(value, schema["items"], f"{path}[{i}]")


def _cel_functions() -> dict[str, Any]:
    """The few Kubernetes CEL library functions our schemas use, for cel-python."""
    from celpy import celtypes  # noqa: PLC0415

    return {
        "lowerAscii": lambda s: celtypes.StringType(str(s).lower()),
        "upperAscii": lambda s: celtypes.StringType(str(s).upper()),
    }


def cel_errors(obj: Any, schema: Schema) -> list[str]:
    """Evaluate every `x-kubernetes-validations` rule that does not need `oldSelf`."""
    import celpy  # noqa: PLC0415 - test-time only

    env = celpy.Environment()
    functions = _cel_functions()
    errors: list[str] = []
    for value, node, path in _pairs(obj, schema, ""):
        for rule in node.get("x-kubernetes-validations") or []:
            expr = rule.get("rule", "")
            if "oldSelf" in expr:
                continue  # transition rules only run on update
            try:
                program = env.program(env.compile(expr), functions=functions)
                ok = program.evaluate({"self": celpy.json_to_cel(value)})
            except Exception as err:  # cel-python raises many unrelated types
                errors.append(f"{path or '<root>'}: CEL rule {expr!r} could not run: {err!r:.200}")
                continue
            if isinstance(ok, Exception) or not bool(ok):
                message = rule.get("message") or f"failed rule: {expr}"
                errors.append(f"{path or '<root>'}: {message}")
    return errors


def apply_defaults(obj: Any, schema: Schema) -> Any:
    """Copy of `obj` with schema defaults filled in, as the API server does before validating.

    Like Kubernetes, a nested default applies only where its parent object exists, and a
    defaulted value is itself defaulted further down.
    """
    out = copy.deepcopy(obj)
    _default_in_place(out, schema)
    return out


def _default_in_place(value: Any, schema: Schema) -> None:
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, child in props.items():
            if key not in value and isinstance(child, dict) and "default" in child:
                value[key] = copy.deepcopy(child["default"])
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child = props.get(key, extra if isinstance(extra, dict) else None)
            if isinstance(child, dict):
                _default_in_place(item, child)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _default_in_place(item, schema["items"])


def validate(
    obj: dict[str, Any], crd: dict[str, Any], version: str | None = None, *, strict: bool = True
) -> list[str]:
    """Every reason the API server (plus pruning, when strict) would not take `obj` as is.

    Defaults are applied first, as the API server does, so CEL rules see defaulted fields.
    """
    spec = crd.get("spec", {})
    group, kind = spec.get("group"), spec.get("names", {}).get("kind")
    api_version = str(obj.get("apiVersion", ""))
    errors: list[str] = []
    if version is None and "/" in api_version:
        version = api_version.rsplit("/", 1)[1]
    if api_version != f"{group}/{version}":
        errors.append(f"apiVersion: {api_version!r} is not {group}/{version}")
    if obj.get("kind") != kind:
        errors.append(f"kind: {obj.get('kind')!r} is not {kind!r}")
    try:
        schema = version_schema(crd, version)
    except SchemaError as err:
        return [*errors, str(err)]
    defaulted = apply_defaults(obj, schema)
    errors += _openapi_errors(defaulted, schema, strict=strict)
    errors += cel_errors(defaulted, schema)
    return errors


def structural_problems(schema: object, path: str = "") -> list[str]:
    """Reasons `schema` is not a structural schema, which Kubernetes requires of CRDs."""
    problems: list[str] = []
    here = path or "<root>"
    if not isinstance(schema, dict):
        return [f"{here}: schema node is not an object"]
    forbidden = ("$ref", "definitions", "dependencies", "patternProperties", "uniqueItems")
    problems += [
        f"{here}: {bad} is not allowed in a structural schema" for bad in forbidden if bad in schema
    ]
    has_type = "type" in schema
    if not has_type and not any(schema.get(ext) for ext in _EXTENSIONS[:2]):
        problems.append(f"{here}: missing type")
    if "properties" in schema and "additionalProperties" in schema:
        problems.append(f"{here}: properties and additionalProperties are mutually exclusive")
    if schema.get("type") == "array" and not isinstance(schema.get("items"), dict):
        problems.append(f"{here}: array without a single items schema")
    for name, child in (schema.get("properties") or {}).items():
        problems += structural_problems(child, f"{path}.{name}" if path else name)
    if isinstance(schema.get("additionalProperties"), dict):
        problems += structural_problems(schema["additionalProperties"], f"{path}.*")
    if isinstance(schema.get("items"), dict):
        problems += structural_problems(schema["items"], f"{path}[]")
    for key in ("anyOf", "allOf", "oneOf"):
        for i, branch in enumerate(schema.get(key) or []):
            problems += [
                f"{here}: {key}[{i}] sets {word}, only value validations are allowed there"
                for word in _VALUE_ONLY_FORBIDDEN
                if isinstance(branch, dict) and word in branch
            ]
    return problems
