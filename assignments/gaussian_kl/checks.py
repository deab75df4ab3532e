"""Inputs and hint properties of gaussian_kl (run by the grader, never in a student's kernel)."""

from __future__ import annotations

from hypothesis import strategies as st

from grader import Inputs, Property

_mu = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False, allow_subnormal=False)
_sigma = st.floats(min_value=0.1, max_value=5.0, allow_nan=False, allow_subnormal=False)

INPUTS = {
    "gaussian_pair": Inputs(
        st.fixed_dictionaries({"mu1": _mu, "sigma1": _sigma, "mu2": _mu, "sigma2": _sigma}),
        edges=(
            {"mu1": 0.0, "sigma1": 1.0, "mu2": 0.0, "sigma2": 1.0},
            {"mu1": 0.0, "sigma1": 1.0, "mu2": 1.0, "sigma2": 1.0},
            {"mu1": 0.0, "sigma1": 2.0, "mu2": 0.0, "sigma2": 1.0},
        ),
    ),
}


def _nonnegative(case, results) -> bool:
    value = results["kl"]
    return type(value) not in (int, float) or value >= -1e-9


def _self_zero(case, results) -> bool:
    value = results["same"]
    return type(value) not in (int, float) or abs(value) <= 1e-9


PROPERTIES = {
    "kl_nonnegative": Property(
        "a KL divergence is never negative",
        lambda mu1, sigma1, mu2, sigma2: {"kl": ("kl_gaussian", (mu1, sigma1, mu2, sigma2))},
        _nonnegative,
    ),
    "kl_self_zero": Property(
        "the KL divergence of a Gaussian from itself is 0",
        lambda mu1, sigma1, mu2, sigma2: {"same": ("kl_gaussian", (mu1, sigma1, mu1, sigma1))},
        _self_zero,
    ),
}
