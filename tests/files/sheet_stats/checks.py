"""Inputs of the sheet_stats test sheet: a location and a scale."""

from __future__ import annotations

from hypothesis import strategies as st

from grader import Inputs

_mu = st.floats(min_value=-5, max_value=5, allow_nan=False, allow_subnormal=False)
_sigma = st.floats(min_value=0.5, max_value=3, allow_nan=False, allow_subnormal=False)

INPUTS = {
    "normal": Inputs(
        st.builds(lambda mu, sigma: {"mu": mu, "sigma": sigma}, _mu, _sigma),
        edges=({"mu": 0.0, "sigma": 1.0},),
    ),
}

PROPERTIES: dict = {}
