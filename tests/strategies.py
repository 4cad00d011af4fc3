"""Hypothesis strategies shared by the property and fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy


def json_values(*, text: int = 12, width: int = 4, leaves: int = 20) -> SearchStrategy[object]:
    """Any JSON value, nested: what a tenant or a Composition author can put in a manifest."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=text),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=width),
            st.dictionaries(st.text(max_size=8), inner, max_size=width),
        ),
        max_leaves=leaves,
    )
