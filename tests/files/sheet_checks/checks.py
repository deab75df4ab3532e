"""Inputs and properties of the sheet_checks test sheet (its comparators: comparators.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from grader import Inputs, Property

_values = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_subnormal=False)
# Far from 0 and at least 1 apart: the spread of near-equal large values is ill-conditioned
# (validate names such inputs fragile), so two correct formulas could disagree there.
_far = st.integers(min_value=100_000, max_value=1_000_000).map(float)

INPUTS = {
    "sample": Inputs(
        st.builds(lambda x: {"x": x}, st.lists(_values, min_size=2, max_size=6)),
        edges=({"x": [1.0, 3.0]},),
    ),
    "far": Inputs(
        st.builds(lambda x: {"x": x}, st.lists(_far, min_size=2, max_size=6, unique=True))
    ),
    "number": Inputs(st.builds(lambda x: {"x": x}, _values), edges=({"x": 0.0},)),
}


def _largest_agrees(case, results) -> bool:
    return results["b"][1] == max(results["e"])


PROPERTIES = {
    "largest_agrees": Property(
        "the largest of bounds(x) is the largest of ends(x)",
        lambda x: {"b": ("bounds", (x,)), "e": ("ends", (x,))},
        _largest_agrees,
    ),
    "spread_nonnegative": Property(
        "the spread of a sample is never negative",
        lambda x: {"s": ("summary", (x,))},
        lambda case, results: results["s"]["spread"] >= 0,
    ),
}
