"""Output documents and YAML (rule 7)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scripts.render.errors import RenderError
from scripts.render.output import Rendered, documents, dump_yaml, from_struct, normalise, to_struct

XR = {"apiVersion": "a/v1", "kind": "XR", "metadata": {"name": "x"}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
RESULT = {
    "apiVersion": "render.crossplane.io/v1beta1",
    "kind": "Result",
    "step": "s",
    "severity": "SEVERITY_NORMAL",
    "message": "m",
}


def test_documents_order_and_switches():
    rendered = Rendered(xr=XR, resources=[CM], results=[RESULT], context={"k": 1})
    context_doc = {
        "apiVersion": "render.crossplane.io/v1beta1",
        "kind": "Context",
        "fields": {"k": 1},
    }
    assert documents(rendered, include_results=False, include_context=False) == [XR, CM]
    assert documents(rendered, include_results=True, include_context=False) == [XR, CM, RESULT]
    assert documents(rendered, include_results=True, include_context=True) == [
        XR,
        CM,
        RESULT,
        context_doc,
    ]
    empty = Rendered(xr=XR, resources=[], results=[], context=None)
    assert documents(empty, include_results=False, include_context=True)[-1]["fields"] == {}


def test_dump_yaml_separators_sorted_keys_and_ints():
    text = dump_yaml([{"b": 1.0, "a": {"z": 2.5, "y": [3.0]}}, {"kind": "X"}])
    assert text == "---\na:\n  y:\n  - 3\n  z: 2.5\nb: 1\n---\nkind: X\n"


def test_dump_yaml_keeps_strings_that_look_like_other_types():
    doc = {"status": "True", "time": "2024-01-01T00:00:00Z", "n": "1", "multi": "a\nb\n"}
    assert list(yaml.safe_load_all(dump_yaml([doc]))) == [doc]
    assert "multi: |" in dump_yaml([doc])


def test_empty_stream_is_empty():
    assert dump_yaml([]) == ""


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=5)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=5), json_values, max_size=4))
def test_struct_round_trip_keeps_integral_numbers_as_ints(data):
    back = from_struct(to_struct(data))
    assert back == normalise(data)
    assert yaml.safe_load(dump_yaml([data])[4:]) == normalise(data)


def test_normalise_is_recursive_and_leaves_bools():
    assert normalise({"a": [1.0, 1.5, True, {"b": 2.0}]}) == {"a": [1, 1.5, True, {"b": 2}]}
    assert isinstance(normalise({"a": 1.0})["a"], int)


def test_non_json_values_are_a_render_error():
    with pytest.raises(RenderError, match="cannot encode a manifest as JSON"):
        to_struct({"data": b"\x00binary"})
