"""scripts.xrdgen.schema: faithful spec copy, Crossplane's discards as notes, status projection."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from xrdgen_helpers import WIDGET_SPEC, WIDGET_STATUS, crd

from scripts.xrdgen import schema
from scripts.xrdgen.options import GenError


def crd_schema(spec: dict | None = None, status: Any = None, **root: Any) -> dict[str, Any]:
    return crd(spec, status, root=root)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def build(source: dict[str, Any], **kwargs: Any) -> schema.Result:
    return schema.build(source, **kwargs)


def test_spec_is_copied_verbatim_with_cel_defaults_enums_formats_and_extensions() -> None:
    result = build(crd_schema())
    spec = result.schema["properties"]["spec"]
    assert spec["properties"] == WIDGET_SPEC["properties"]
    assert spec["required"] == ["size"]
    assert spec["description"] == "What the widget should be."
    props = spec["properties"]
    assert props["mode"]["enum"] == ["Small", "Large"]
    assert props["mode"]["default"] == "Small"
    assert props["size"]["default"] == 3
    assert props["when"]["format"] == "date-time"
    assert props["quantity"]["x-kubernetes-int-or-string"] is True
    assert props["ports"]["x-kubernetes-list-map-keys"] == ["name"]
    assert props["ports"]["items"]["x-kubernetes-validations"][0]["rule"] == "self.port < 65536"
    assert props["window"]["x-kubernetes-validations"] == [{"rule": "self.start <= self.end"}]
    assert result.notes == []


def test_the_copy_is_independent_of_the_source() -> None:
    source = crd_schema()
    result = build(source)
    result.schema["properties"]["spec"]["properties"]["mode"]["enum"].append("Huge")
    assert source["properties"]["spec"]["properties"]["mode"]["enum"] == ["Small", "Large"]


def test_spec_node_keeps_what_crossplane_keeps() -> None:
    spec = copy.deepcopy(WIDGET_SPEC)
    spec["x-kubernetes-validations"] = [{"rule": "self.size > 0 || self.mode == 'Small'"}]
    spec["x-kubernetes-preserve-unknown-fields"] = True
    spec["oneOf"] = [{"required": ["size"]}, {"required": ["mode"]}]
    out = build(crd_schema(spec)).schema["properties"]["spec"]
    assert out["x-kubernetes-validations"] == spec["x-kubernetes-validations"]
    assert out["x-kubernetes-preserve-unknown-fields"] is True
    assert out["oneOf"] == spec["oneOf"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("default", {"size": 1}),
        ("nullable", True),
        ("anyOf", [{"required": ["size"]}]),
        ("allOf", [{"required": ["size"]}]),
        ("not", {"required": ["mode"]}),
        ("x-kubernetes-embedded-resource", True),
    ],
)
def test_spec_node_keywords_crossplane_discards_are_dropped_with_a_note(
    key: str, value: Any
) -> None:
    spec = {**copy.deepcopy(WIDGET_SPEC), key: value}
    result = build(crd_schema(spec))
    assert key not in result.schema["properties"]["spec"]
    assert result.notes == [f"spec.{key}: dropped, Crossplane discards it at the spec node"]


def test_spec_fields_limit_the_exposed_fields_and_their_required() -> None:
    result = build(crd_schema(), spec_fields=("mode", "labels"))
    spec = result.schema["properties"]["spec"]
    assert list(spec["properties"]) == ["mode", "labels"]
    assert "required" not in spec
    assert result.notes == ["spec.required: size not exposed; the Composition must set them itself"]
    kept = build(crd_schema(), spec_fields=("size",)).schema["properties"]["spec"]
    assert kept["required"] == ["size"]


def test_unknown_or_repeated_spec_fields_are_errors() -> None:
    with pytest.raises(GenError, match=r"--spec-field colour, shape: not a property .* \(has: "):
        build(crd_schema(), spec_fields=("size", "colour", "shape"))
    with pytest.raises(GenError, match="--spec-field: listed twice"):
        build(crd_schema(), spec_fields=("size", "size"))


def test_cel_rules_on_spec_may_not_reference_hidden_fields() -> None:
    spec = {**copy.deepcopy(WIDGET_SPEC), "x-kubernetes-validations": [{"rule": "has(self.mode)"}]}
    assert build(crd_schema(spec), spec_fields=("size", "mode")).schema
    with pytest.raises(GenError, match=r"CEL rule at spec references spec.mode, which the XRD"):
        build(crd_schema(spec), spec_fields=("size",))


def test_one_of_at_spec_may_not_reference_hidden_fields() -> None:
    spec = {**copy.deepcopy(WIDGET_SPEC), "oneOf": [{"required": ["size"]}, {"required": ["when"]}]}
    with pytest.raises(GenError, match=r"spec.oneOf\[1\] references when"):
        build(crd_schema(spec), spec_fields=("size",))


def test_root_keeps_description_and_cel_and_drops_the_rest_with_notes() -> None:
    rules = [{"rule": "self.spec.size < 100 || has(self.status.phase)"}]
    source = crd_schema(
        None,
        None,
        description="A widget.",
        **{"x-kubernetes-validations": rules, "required": ["metadata", "spec", "status"]},
        nullable=False,
    )
    source["properties"]["extra"] = {"type": "string"}
    result = build(source, status_fields=("phase",))
    out = result.schema
    assert out["description"] == "A widget."
    assert out["x-kubernetes-validations"] == rules
    assert set(out) == {"type", "description", "properties", "x-kubernetes-validations"}
    assert set(out["properties"]) == {"spec", "status"}
    assert result.notes == [
        "<root>.nullable: dropped, Crossplane keeps only description and CEL rules",
        "extra: dropped, Crossplane keeps only spec and status at the root",
        "<root>.required: status dropped, Crossplane requires spec",
    ]


def test_description_option_replaces_the_crd_description() -> None:
    out = build(crd_schema(description="An EC."), description="A claim.").schema
    assert out["description"] == "A claim."


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("has(self.status.url)", "references status.url"),
        ("self.spec.when != ''", "references spec.when"),
        ("has(self.extra)", "references extra"),
    ],
)
def test_root_cel_may_not_reference_what_the_xrd_leaves_out(rule: str, message: str) -> None:
    source = crd_schema(None, None, **{"x-kubernetes-validations": [{"rule": rule}]})
    with pytest.raises(GenError, match=f"CEL rule at <root> {message}"):
        build(source, spec_fields=("size",), status_fields=("phase",))


def test_metadata_name_limit_below_63_is_kept() -> None:
    source = crd_schema()
    source["properties"]["metadata"] = {
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 40}},
    }
    result = build(source)
    assert result.schema["properties"]["metadata"]["properties"]["name"]["maxLength"] == 40
    assert result.notes == []
    source["properties"]["metadata"]["properties"]["name"]["maxLength"] = 100
    assert "metadata" not in build(source).schema["properties"]
    source["properties"]["metadata"]["properties"]["labels"] = {"type": "object"}
    assert build(source).notes == [
        "metadata: dropped, Crossplane replaces it (only name.maxLength is honoured)"
    ]


def test_status_projection_comes_from_the_crd_and_is_never_required() -> None:
    status = build(crd_schema(), status_fields=("phase", "url")).schema["properties"]["status"]
    assert status == {
        "type": "object",
        "properties": {
            "phase": WIDGET_STATUS["properties"]["phase"],
            "url": WIDGET_STATUS["properties"]["url"],
        },
    }
    assert "required" not in status  # the CRD requires phase


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            ("phse",),
            (
                "--status-field phse: not a property of the CRD's status "
                "(did you mean phase? has: conditions, phase, url)"
            ),
        ),
        (("phase", "zzz"), "--status-field zzz: not a property of the CRD's status (has: "),
    ],
)
def test_a_status_field_the_crd_lacks_is_refused_with_close_names(
    fields: tuple[str, ...], message: str
) -> None:
    """Issue 10: `--status-field phse` used to add a string field nobody would ever write."""
    with pytest.raises(GenError) as info:
        build(crd_schema(), status_fields=fields)
    assert str(info.value).startswith(message)


def test_a_spec_field_typo_suggests_close_names() -> None:
    with pytest.raises(GenError) as info:
        build(crd_schema(), spec_fields=("sise",))
    assert str(info.value).startswith(
        "--spec-field sise: not a property of the CRD's spec (did you mean size? has: "
    )


def test_nested_required_inside_a_projected_status_field_is_kept() -> None:
    nested = {
        "type": "object",
        "required": ["phase"],
        "properties": {
            "detail": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}
        },
    }
    out = build(crd_schema(status=nested), status_fields=("detail",)).schema
    assert out["properties"]["status"]["properties"]["detail"]["required"] == ["a"]
    assert "required" not in out["properties"]["status"]


def test_no_status_fields_means_no_status_schema() -> None:
    assert "status" not in build(crd_schema()).schema["properties"]
    assert "status" not in build(crd_schema(status=False), status_fields=()).schema["properties"]
    with pytest.raises(GenError, match=r"--status-field phase: .* status \(has: none\)"):
        build(crd_schema(status=False), status_fields=("phase",))
    with pytest.raises(GenError, match="status fields listed twice"):
        build(crd_schema(), status_fields=("phase", "phase"))


def test_extra_spec_fields_are_added_but_never_over_the_crds() -> None:
    extra = {"writeConnectionSecretToRef": {"type": "object"}}
    out = build(crd_schema(), extra_spec=extra).schema["properties"]["spec"]["properties"]
    assert out["writeConnectionSecretToRef"] == {"type": "object"}
    with pytest.raises(GenError, match=r"spec\.size: declared by the CRD and added by an xrd-gen"):
        build(crd_schema(), extra_spec={"size": {"type": "string"}})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"type": "object", "properties": {"status": {"type": "object"}}}, "has no spec property"),
        ({"type": "object", "properties": {"spec": []}}, "CRD schema spec: expected an object"),
        (
            {"type": "object", "properties": {"spec": {"type": "string"}}},
            "type 'string', expected object",
        ),
        (
            {"type": "object", "properties": {"spec": {"x-kubernetes-validations": "x"}}},
            "spec.x-kubernetes-validations: expected a list of rules",
        ),
    ],
)
def test_malformed_schemas_are_errors(source: dict, message: str) -> None:
    with pytest.raises(GenError, match=message):
        build(source)
