"""scripts.xrdgen.compat: every kind of schema change gets its verdict, and a wrong one is caught.

Each case states the verdict it expects (True: breaking) itself, never reading it from the
classifier's tables, so the mutation tests below (flip one table entry, read one limit the
wrong way round) show that some case fails whenever the classifier is wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from scripts.xrdgen import compat

Doc = dict[str, Any]
Expected = list[tuple[str, str, bool]]  # (path, kind, breaking)

BASE: Doc = {
    "apiVersion": "apiextensions.crossplane.io/v1",
    "kind": "CompositeResourceDefinition",
    "metadata": {"name": "xwidgets.example.org"},
    "spec": {
        "group": "example.org",
        "names": {"kind": "XWidget", "plural": "xwidgets"},
        "claimNames": {"kind": "Widget", "plural": "widgets"},
        "connectionSecretKeys": ["kubeconfig"],
        "versions": [
            {
                "name": "v1",
                "served": True,
                "referenceable": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "required": ["size"],
                                "properties": {
                                    "size": {"type": "integer"},
                                    "name": {"type": "string", "description": "A name."},
                                    "mode": {"type": "string", "enum": ["Small", "Large"]},
                                    "tags": {"type": "array", "items": {"type": "string"}},
                                    "env": {
                                        "type": "object",
                                        "additionalProperties": {
                                            "type": "object",
                                            "properties": {"x": {"type": "string"}},
                                        },
                                    },
                                    "free": {
                                        "type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True,
                                    },
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
}


def props(doc: Doc, version: int = 0) -> Doc:
    schema = doc["spec"]["versions"][version]["schema"]["openAPIV3Schema"]
    return schema["properties"]["spec"]["properties"]


def spec(doc: Doc) -> Doc:
    return doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]


def on_new(change: Callable[[Doc], Any]) -> Callable[[Doc, Doc], None]:
    return lambda _old, new: change(new)


def both(old_change: Callable[[Doc], Any], new_change: Callable[[Doc], Any]):
    def mutate(old: Doc, new: Doc) -> None:
        old_change(old)
        new_change(new)

    return mutate


def limit(key: str, before: Any, after: Any, field: str = "name"):
    """A limit on one field: absent when None, else set to the value."""

    def put(value: Any) -> Callable[[Doc], None]:
        def change(doc: Doc) -> None:
            if value is not None:
                props(doc)[field][key] = value

        return change

    return both(put(before), put(after))


def add_version(name: str, served: bool) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        extra = copy.deepcopy(doc["spec"]["versions"][0])
        extra.update(name=name, served=served, referenceable=False)
        doc["spec"]["versions"].append(extra)

    return change


CEL = {"rule": "self.size < 10", "message": "too big"}
COLUMN = {"name": "P", "type": "string", "jsonPath": ".spec.name"}


def root(doc: Doc) -> Doc:
    return doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


# id -> (mutate(old, new), expected)
CASES: dict[str, tuple[Callable[[Doc, Doc], None], Expected]] = {
    "field removed": (
        on_new(lambda d: props(d).pop("name")),
        [("spec.name", "field-removed", True)],
    ),
    "type changed": (
        on_new(lambda d: props(d)["size"].update(type="string")),
        [("spec.size", "type-changed", True)],
    ),
    "type changed, nothing below compared": (
        on_new(lambda d: props(d).update(env={"type": "string"})),
        [("spec.env", "type-changed", True)],
    ),
    "type widened to int-or-string": (
        on_new(lambda d: props(d).update(size={"x-kubernetes-int-or-string": True})),
        [("spec.size", "type-widened", False)],
    ),
    "new optional field": (
        on_new(lambda d: props(d).update(note={"type": "string"})),
        [("spec.note", "optional-field-added", False)],
    ),
    "new required field": (
        on_new(
            lambda d: (props(d).update(note={"type": "string"}), spec(d)["required"].append("note"))
        ),
        [("spec.note", "required-field-added", True)],
    ),
    "existing field now required": (
        on_new(lambda d: spec(d)["required"].append("name")),
        [("spec.name", "now-required", True)],
    ),
    "field no longer required": (
        on_new(lambda d: spec(d).pop("required")),
        [("spec.size", "no-longer-required", False)],
    ),
    "enum narrowed": (
        on_new(lambda d: props(d)["mode"].update(enum=["Small"])),
        [("spec.mode", "enum-narrowed", True)],
    ),
    "enum added": (
        on_new(lambda d: props(d)["name"].update(enum=["a"])),
        [("spec.name", "enum-narrowed", True)],
    ),
    "enum widened": (
        on_new(lambda d: props(d)["mode"].update(enum=["Small", "Large", "Huge"])),
        [("spec.mode", "enum-widened", False)],
    ),
    "enum removed": (
        on_new(lambda d: props(d)["mode"].pop("enum")),
        [("spec.mode", "enum-widened", False)],
    ),
    "enum swapped a value": (
        on_new(lambda d: props(d)["mode"].update(enum=["Small", "Huge"])),
        [("spec.mode", "enum-narrowed", True)],
    ),
    "minimum raised": (limit("minimum", 1, 2), [("spec.name", "limit-tightened", True)]),
    "minimum lowered": (limit("minimum", 2, 1), [("spec.name", "limit-relaxed", False)]),
    "maximum lowered": (limit("maximum", 9, 8), [("spec.name", "limit-tightened", True)]),
    "maximum raised": (limit("maximum", 8, 9), [("spec.name", "limit-relaxed", False)]),
    "minLength raised": (limit("minLength", 1, 2), [("spec.name", "limit-tightened", True)]),
    "minLength lowered": (limit("minLength", 2, 1), [("spec.name", "limit-relaxed", False)]),
    "maxLength lowered": (limit("maxLength", 63, 40), [("spec.name", "limit-tightened", True)]),
    "maxLength raised": (limit("maxLength", 40, 63), [("spec.name", "limit-relaxed", False)]),
    "minItems raised": (limit("minItems", 0, 1, "tags"), [("spec.tags", "limit-tightened", True)]),
    "minItems lowered": (limit("minItems", 1, 0, "tags"), [("spec.tags", "limit-relaxed", False)]),
    "maxItems lowered": (limit("maxItems", 5, 4, "tags"), [("spec.tags", "limit-tightened", True)]),
    "maxItems raised": (limit("maxItems", 4, 5, "tags"), [("spec.tags", "limit-relaxed", False)]),
    "minProperties raised": (
        limit("minProperties", 0, 1, "env"),
        [("spec.env", "limit-tightened", True)],
    ),
    "minProperties lowered": (
        limit("minProperties", 1, 0, "env"),
        [("spec.env", "limit-relaxed", False)],
    ),
    "maxProperties lowered": (
        limit("maxProperties", 5, 4, "env"),
        [("spec.env", "limit-tightened", True)],
    ),
    "maxProperties raised": (
        limit("maxProperties", 4, 5, "env"),
        [("spec.env", "limit-relaxed", False)],
    ),
    "maxLength added": (limit("maxLength", None, 63), [("spec.name", "limit-tightened", True)]),
    "maxLength removed": (limit("maxLength", 63, None), [("spec.name", "limit-relaxed", False)]),
    "minimum added": (limit("minimum", None, 1, "size"), [("spec.size", "limit-tightened", True)]),
    "exclusiveMinimum set": (
        limit("exclusiveMinimum", None, True, "size"),
        [("spec.size", "limit-tightened", True)],
    ),
    "exclusiveMaximum unset": (
        limit("exclusiveMaximum", True, None, "size"),
        [("spec.size", "limit-relaxed", False)],
    ),
    "uniqueItems set": (
        limit("uniqueItems", False, True, "tags"),
        [("spec.tags", "limit-tightened", True)],
    ),
    "pattern added": (limit("pattern", None, "^[a-z]+$"), [("spec.name", "limit-tightened", True)]),
    "pattern changed": (
        limit("pattern", "^[a-z]+$", "^[a-z0-9]+$"),
        [("spec.name", "limit-tightened", True)],
    ),
    "pattern removed": (
        limit("pattern", "^[a-z]+$", None),
        [("spec.name", "limit-relaxed", False)],
    ),
    "format added": (limit("format", None, "date-time"), [("spec.name", "limit-tightened", True)]),
    "format removed": (limit("format", "date-time", None), [("spec.name", "limit-relaxed", False)]),
    "multipleOf changed": (
        limit("multipleOf", 2, 3, "size"),
        [("spec.size", "limit-tightened", True)],
    ),
    "CEL rule added": (
        on_new(lambda d: spec(d).update({"x-kubernetes-validations": [CEL]})),
        [("spec", "rules-added", True)],
    ),
    "CEL rule removed": (
        limit("x-kubernetes-validations", [CEL], None, "env"),
        [("spec.env", "rules-removed", False)],
    ),
    "CEL message changed": (
        limit("x-kubernetes-validations", [CEL], [{**CEL, "message": "no"}], "env"),
        [("spec.env", "description-changed", False)],
    ),
    "unknown fields no longer preserved": (
        on_new(lambda d: props(d)["free"].pop("x-kubernetes-preserve-unknown-fields")),
        [("spec.free", "unknown-fields-pruned", True)],
    ),
    "unknown fields now preserved": (
        limit("x-kubernetes-preserve-unknown-fields", None, True, "env"),
        [("spec.env", "unknown-fields-preserved", False)],
    ),
    "description changed": (
        on_new(lambda d: props(d)["name"].update(description="The name.")),
        [("spec.name", "description-changed", False)],
    ),
    "description added at the root": (
        on_new(lambda d: root(d).update(description="A widget.")),
        [("<root>", "description-changed", False)],
    ),
    "default changed (not classified: review)": (
        limit("default", "a", "b"),
        [("spec.name", "other-changed", True)],
    ),
    "map value field removed": (
        on_new(lambda d: props(d)["env"]["additionalProperties"]["properties"].pop("x")),
        [("spec.env.*.x", "field-removed", True)],
    ),
    "map turned into a plain object": (
        on_new(lambda d: props(d)["env"].pop("additionalProperties")),
        [("spec.env.*", "field-removed", True)],
    ),
    "array items retyped": (
        on_new(lambda d: props(d)["tags"]["items"].update(type="integer")),
        [("spec.tags[]", "type-changed", True)],
    ),
    "version no longer served": (
        on_new(lambda d: d["spec"]["versions"][0].update(served=False)),
        [("<version>", "version-unserved", True)],
    ),
    "served version removed": (
        both(add_version("v2", True), lambda _d: None),
        [("<version>", "version-unserved", True)],
    ),
    "unserved version removed": (
        both(add_version("v2", False), lambda _d: None),
        [("<version>", "version-removed-unserved", False)],
    ),
    "new version": (on_new(add_version("v2", True)), [("<version>", "version-added", False)]),
    "version served again": (
        both(lambda d: d["spec"]["versions"][0].update(served=False), lambda _d: None),
        [("<version>", "version-served", False)],
    ),
    "group changed": (
        on_new(lambda d: d["spec"].update(group="example.com")),
        [("spec.group", "identity-changed", True)],
    ),
    "claim kind changed": (
        on_new(lambda d: d["spec"]["claimNames"].update(kind="Gadget")),
        [("spec.claimNames.kind", "identity-changed", True)],
    ),
    "scope changed": (
        on_new(lambda d: d["spec"].update(scope="Cluster")),
        [("spec.scope", "identity-changed", True)],
    ),
    "connection secret key removed": (
        on_new(lambda d: d["spec"].update(connectionSecretKeys=[])),
        [("spec.connectionSecretKeys", "connection-key-removed", True)],
    ),
    "connection secret key added": (
        on_new(lambda d: d["spec"]["connectionSecretKeys"].append("token")),
        [("spec.connectionSecretKeys", "connection-key-added", False)],
    ),
    "printer columns changed": (
        on_new(lambda d: d["spec"]["versions"][0].update(additionalPrinterColumns=[COLUMN])),
        [("<columns>", "columns-changed", False)],
    ),
}


def classify(mutate: Callable[[Doc, Doc], None]) -> Expected:
    old, new = copy.deepcopy(BASE), copy.deepcopy(BASE)
    mutate(old, new)
    return [(c.path, c.kind, c.breaking) for c in compat.diff_documents(old, new)]


def wrong_cases() -> list[str]:
    """The cases the classifier as it is now gets wrong."""
    return [name for name, (mutate, expected) in CASES.items() if classify(mutate) != expected]


@pytest.mark.parametrize(("mutate", "expected"), list(CASES.values()), ids=list(CASES))
def test_each_change_is_classified(mutate, expected: Expected) -> None:
    assert classify(mutate) == expected


def test_every_kind_of_change_has_a_case() -> None:
    """So flipping any verdict below is a change some case covers."""
    covered = {kind for _, expected in CASES.values() for _, kind, _ in expected}
    assert covered == set(compat.VERDICT)


@pytest.mark.parametrize("kind", sorted(compat.VERDICT))
def test_a_wrong_verdict_for_any_kind_is_caught(kind: str, monkeypatch) -> None:
    monkeypatch.setitem(compat.VERDICT, kind, not compat.VERDICT[kind])
    assert wrong_cases()


@pytest.mark.parametrize("key", sorted(compat.BOUNDS))
def test_a_limit_read_the_wrong_way_round_is_caught(key: str, monkeypatch) -> None:
    monkeypatch.setitem(compat.BOUNDS, key, -compat.BOUNDS[key])
    assert wrong_cases()


@pytest.mark.parametrize(
    ("table", "key"),
    [("FLAGS", k) for k in compat.FLAGS] + [("OPAQUE", k) for k in compat.OPAQUE],
)
def test_a_classifier_that_ignores_a_constraint_is_caught(table: str, key: str, monkeypatch):
    monkeypatch.setattr(compat, table, tuple(k for k in getattr(compat, table) if k != key))
    assert wrong_cases()


def test_a_classifier_that_only_compares_types_is_caught(monkeypatch) -> None:
    monkeypatch.setattr(compat._Walker, "keywords", lambda *_args: None)
    monkeypatch.setattr(compat._Walker, "children", lambda *_args: None)
    assert len(wrong_cases()) > len(CASES) // 2


def test_the_same_change_in_two_versions_is_one_line_per_version() -> None:
    old = copy.deepcopy(BASE)
    add_version("v2", True)(old)
    new = copy.deepcopy(old)
    for version in (0, 1):
        props(new, version).pop("name")
    lines = [c.line() for c in compat.diff_documents(old, new)]
    assert lines == [
        "BREAKING   xwidgets.example.org v1 spec.name: field removed",
        "BREAKING   xwidgets.example.org v2 spec.name: field removed",
    ]


def test_lines_name_the_verdict_api_version_path_and_detail() -> None:
    old, new = copy.deepcopy(BASE), copy.deepcopy(BASE)
    props(new)["mode"]["enum"] = ["Small"]
    props(new)["note"] = {"type": "string"}
    props(new)["name"]["maxLength"] = 63
    new["spec"]["group"] = "example.com"
    assert [c.line() for c in compat.diff_documents(old, new)] == [
        "BREAKING   xwidgets.example.org spec.group: example.org -> example.com (immutable)",
        "BREAKING   xwidgets.example.org v1 spec.mode: enum narrowed: 'Large' no longer allowed",
        "BREAKING   xwidgets.example.org v1 spec.name: maxLength 63 added (tightened)",
        "compatible xwidgets.example.org v1 spec.note: new optional field",
    ]


def test_identical_documents_and_the_default_scope_are_no_change() -> None:
    assert compat.diff_documents(BASE, copy.deepcopy(BASE)) == []
    explicit = copy.deepcopy(BASE)
    explicit["spec"]["scope"] = "LegacyCluster"  # Crossplane's default for apiextensions v1
    assert compat.diff_documents(BASE, explicit) == []
    v2 = copy.deepcopy(BASE)
    v2["apiVersion"] = "apiextensions.crossplane.io/v2"
    assert [c.kind for c in compat.diff_documents(explicit, v2)] == ["identity-changed"]


@pytest.mark.parametrize(
    ("breaking", "compatible", "expected"),
    [
        (0, 0, "no schema change"),
        (0, 1, "compatible: 1 change, none breaking"),
        (0, 3, "compatible: 3 changes, none breaking"),
        (1, 2, "BREAKING: 1 of 3 changes breaks existing objects"),
        (2, 0, "BREAKING: 2 of 2 changes break existing objects"),
    ],
)
def test_verdict_line(breaking: int, compatible: int, expected: str) -> None:
    changes = [compat.Change("x", "v1", "spec.a", "field-removed", "")] * breaking
    changes += [compat.Change("x", "v1", "spec.b", "optional-field-added", "")] * compatible
    assert compat.verdict(changes) == expected
