"""Lossless helpers for protobuf Struct values.

Crossplane sends every resource as a `google.protobuf.Struct`, where all numbers are doubles.
The SDK's `struct_to_dict` hands them back as floats (`relative: 1.0`); these helpers turn
integral doubles back into ints, read single fields without converting whole resources, and
never auto-create map entries while reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf.struct_pb2 import Struct, Value

# Struct and Value are re-exported: the protobuf types every module of the function names
# (typed by the types-protobuf stubs).
__all__ = [
    "EMPTY",
    "Struct",
    "Value",
    "child",
    "dict_to_struct",
    "field",
    "objects",
    "string",
    "strings",
    "struct_to_dict",
    "sub",
    "text",
    "value_to_py",
]

# Doubles above 2**53 are not exact integers any more; leave them as floats.
_EXACT_INT_LIMIT = 2**53


def value_to_py(value: Value) -> Any:  # noqa: PLR0911 - one return per Value kind
    """Plain Python for a Struct `Value`; integral numbers come back as `int`."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return struct_to_dict(value.struct_value)
    if kind == "number_value":
        number = value.number_value
        if number.is_integer() and abs(number) <= _EXACT_INT_LIMIT:
            return int(number)
        return number
    if kind == "bool_value":
        return value.bool_value
    if kind == "list_value":
        return [value_to_py(item) for item in value.list_value.values]
    return None


def struct_to_dict(struct: Struct) -> dict[str, Any]:
    """A dict for `struct` with ints preserved (unlike the SDK's `struct_to_dict`)."""
    return {key: value_to_py(item) for key, item in struct.fields.items()}


def dict_to_struct(data: Mapping[str, Any]) -> Struct:
    """A Struct for a JSON-like mapping (bools stay bools, ints become doubles)."""
    struct = Struct()
    struct.update(data)
    return struct


EMPTY = Struct()  # read-only stand-in for "absent"; never mutated


def child(struct: Struct, key: str) -> Struct:
    """The object at `key`, or an empty Struct when absent or not an object (hot path)."""
    value = struct.fields.get(key)
    # A non-object Value reads as an empty default Struct: nothing below it is found.
    return value.struct_value if value is not None else EMPTY


def text(struct: Struct, key: str) -> str:
    """The string at `key`, or "" when absent or not a string (hot path)."""
    value = struct.fields.get(key)
    return value.string_value if value is not None else ""


def field(struct: Struct | None, *path: str) -> Value | None:
    """The `Value` at `path` inside `struct`, or None; never creates entries."""
    if struct is None:
        return None
    value: Value | None = None
    current = struct
    for key in path:
        value = current.fields.get(key)
        if value is None:
            return None
        current = value.struct_value  # empty default unless the value is an object
    return value


def sub(struct: Struct | None, *path: str) -> Struct | None:
    """The nested Struct at `path`, or None when absent or not an object."""
    value = field(struct, *path)
    if value is None or value.WhichOneof("kind") != "struct_value":
        return None
    return value.struct_value


def string(struct: Struct | None, *path: str) -> str | None:
    """The string at `path`, or None when absent or not a string."""
    value = field(struct, *path)
    if value is None or value.WhichOneof("kind") != "string_value":
        return None
    return value.string_value


def strings(struct: Struct | None, *path: str) -> dict[str, str]:
    """The string-valued entries of the object at `path` (labels, annotations, data)."""
    obj = sub(struct, *path)
    if obj is None:
        return {}
    return {
        key: item.string_value
        for key, item in obj.fields.items()
        if item.WhichOneof("kind") == "string_value"
    }


def objects(struct: Struct | None, *path: str) -> list[Struct]:
    """The object items of the list at `path` (e.g. status.conditions), skipping others."""
    value = field(struct, *path)
    if value is None or value.WhichOneof("kind") != "list_value":
        return []
    return [
        item.struct_value
        for item in value.list_value.values
        if item.WhichOneof("kind") == "struct_value"
    ]
