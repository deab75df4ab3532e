"""Inputs and properties of the Variational Inference sheet (runs in the grader, never the kernel).

Inputs stay where a textbook formula typed in plain Python floats is finite in double precision:
probabilities are either exactly 0 or at least about 1e-4 (no subnormals), sigma lies in
[1e-3, 1e3], and a joint has at most 4**4 = 256 entries. Edges are the conventions' edge cases:
zeros in p, zeros in q, identical distributions, a one-dimensional joint.

Properties come from the sheet. They explain a wrong answer and never earn marks; each compares
with the same tolerance as the grader (KL >= -1e-9, not KL >= 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st

from grader import Inputs, Property

TOL = 1e-9


def _normalise(weights: list[float]) -> list[float]:
    total = math.fsum(weights)
    return [w / total for w in weights]


def _weights(size: int) -> st.SearchStrategy[list[float]]:
    entry = st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1.0))
    return st.lists(entry, min_size=size, max_size=size).filter(lambda w: max(w) > 0)


@st.composite
def _pmf(draw: Any, size: int | None = None) -> list[float]:
    n = size if size is not None else draw(st.integers(1, 8))
    return _normalise(draw(_weights(n)))


@st.composite
def _pmf_pair(draw: Any) -> dict[str, list[float]]:
    n = draw(st.integers(1, 8))
    p = draw(_pmf(n))
    q = p if draw(st.integers(0, 5)) == 0 else draw(_pmf(n))
    return {"p": p, "q": q}


def _sigma() -> st.SearchStrategy[float]:
    return st.floats(min_value=-3.0, max_value=3.0).map(lambda e: float(10.0**e))


def _mu() -> st.SearchStrategy[float]:
    return st.floats(min_value=-100.0, max_value=100.0, allow_subnormal=False)


@st.composite
def _joint(draw: Any) -> list[Any]:
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    flat = _normalise(draw(_weights(int(np.prod(shape)))))
    return np.array(flat).reshape(shape).tolist()


@st.composite
def _joint_and_axis(draw: Any) -> dict[str, Any]:
    joint = draw(_joint())
    return {"p_joint": joint, "j": draw(st.integers(0, np.ndim(joint) - 1))}


@st.composite
def _joint_and_factors(draw: Any) -> dict[str, Any]:
    joint = draw(_joint())
    array = np.array(joint)
    if draw(st.booleans()):
        # The marginals: the factorisation the sheet's optimum gives.
        axes = range(array.ndim)
        factors = [array.sum(axis=tuple(a for a in axes if a != i)).tolist() for i in axes]
    else:
        factors = [draw(_pmf(n)) for n in array.shape]
    return {"p_joint": joint, "factors": factors}


_UNIFORM_4D = (np.ones((2, 2, 2, 2)) / 16).tolist()

INPUTS: dict[str, Inputs] = {
    "pmf": Inputs(
        st.builds(lambda p: {"p": p}, _pmf()),
        edges=({"p": [1.0]}, {"p": [0.5, 0.5]}, {"p": [0.0, 1.0]}, {"p": [0.25, 0.0, 0.75]}),
    ),
    "pmf_pair": Inputs(
        _pmf_pair(),
        edges=(
            {"p": [1.0], "q": [1.0]},
            {"p": [0.5, 0.5], "q": [0.5, 0.5]},
            {"p": [0.5, 0.5], "q": [1.0, 0.0]},
            {"p": [1.0, 0.0], "q": [0.5, 0.5]},
            {"p": [0.0, 1.0], "q": [0.0, 1.0]},
            {"p": [0.2, 0.0, 0.8], "q": [0.5, 0.5, 0.0]},
        ),
    ),
    "gaussian_pair": Inputs(
        st.fixed_dictionaries({"mu1": _mu(), "sigma1": _sigma(), "mu2": _mu(), "sigma2": _sigma()}),
        edges=(
            {"mu1": 0.0, "sigma1": 1.0, "mu2": 0.0, "sigma2": 1.0},
            {"mu1": 1.0, "sigma1": 1.0, "mu2": 0.0, "sigma2": 1.0},
            {"mu1": 0.0, "sigma1": 2.0, "mu2": 0.0, "sigma2": 1.0},
            {"mu1": 0.0, "sigma1": 0.001, "mu2": 0.0, "sigma2": 1000.0},
            {"mu1": -100.0, "sigma1": 1000.0, "mu2": 100.0, "sigma2": 0.001},
        ),
    ),
    "sigma_pair": Inputs(
        st.fixed_dictionaries({"sigma1": _sigma(), "sigma2": _sigma()}),
        edges=(
            {"sigma1": 1.0, "sigma2": 1.0},
            {"sigma1": 2.0, "sigma2": 1.0},
            {"sigma1": 0.001, "sigma2": 1000.0},
            {"sigma1": 1000.0, "sigma2": 0.001},
        ),
    ),
    "mean_pair": Inputs(
        st.fixed_dictionaries({"mu1": _mu(), "mu2": _mu(), "sigma": _sigma()}),
        edges=(
            {"mu1": 0.0, "mu2": 0.0, "sigma": 1.0},
            {"mu1": 1.0, "mu2": 0.0, "sigma": 1.0},
            {"mu1": 100.0, "mu2": -100.0, "sigma": 0.001},
        ),
    ),
    "joint_and_axis": Inputs(
        _joint_and_axis(),
        edges=(
            {"p_joint": [1.0], "j": 0},
            {"p_joint": [0.3, 0.7], "j": 0},
            {"p_joint": [[0.1, 0.2], [0.3, 0.4]], "j": 1},
            {"p_joint": [[0.5, 0.0, 0.0], [0.0, 0.0, 0.5]], "j": 0},
            {"p_joint": _UNIFORM_4D, "j": 3},
        ),
    ),
    "joint_and_factors": Inputs(
        _joint_and_factors(),
        edges=(
            {"p_joint": [1.0], "factors": [[1.0]]},
            {"p_joint": [0.3, 0.7], "factors": [[0.3, 0.7]]},
            {"p_joint": [[0.5, 0.0], [0.0, 0.5]], "factors": [[0.5, 0.5], [0.5, 0.5]]},
            {"p_joint": [[0.5, 0.5], [0.0, 0.0]], "factors": [[1.0, 0.0], [0.5, 0.5]]},
            {"p_joint": [[0.25, 0.25], [0.25, 0.25]], "factors": [[1.0, 0.0], [0.5, 0.5]]},
            {"p_joint": _UNIFORM_4D, "factors": [[0.5, 0.5]] * 4},
        ),
    ),
}


def _number(value: Any) -> bool:
    return type(value) in (int, float) and not math.isnan(value)


def _close(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=TOL)


def _all_numbers(results: Mapping[str, Any]) -> bool:
    return all(_number(v) for v in results.values())


def _property(statement: str, calls: Any, holds: Any) -> Property:
    """Properties hold vacuously where the student's function gave no number at all."""

    def guarded(case: Mapping[str, Any], results: Mapping[str, Any]) -> bool:
        return not _all_numbers(results) or bool(holds(case, results))

    return Property(statement, calls, guarded)


PROPERTIES: dict[str, Property] = {
    "entropy_nonnegative": _property(
        "H(p) >= 0", lambda p: {"h": ("entropy", (p,))}, lambda c, r: r["h"] >= -TOL
    ),
    "entropy_at_most_log_n": _property(
        "H(p) <= log n for a distribution over n outcomes",
        lambda p: {"h": ("entropy", (p,))},
        lambda c, r: r["h"] <= math.log(len(c["p"])) + TOL,
    ),
    "cross_entropy_at_least_entropy": _property(
        "H(p, q) >= H(p)",
        lambda p, q: {"ce": ("cross_entropy", (p, q)), "h": ("entropy", (p,))},
        lambda c, r: r["ce"] >= r["h"] - TOL - 1e-6 * abs(r["h"]),
    ),
    "kl_nonnegative": _property(
        "KL(p || q) >= 0",
        lambda p, q: {"kl": ("kl_divergence", (p, q))},
        lambda c, r: r["kl"] >= -TOL,
    ),
    "kl_self_zero": _property(
        "KL(p || p) = 0",
        lambda p, q: {"kl": ("kl_divergence", (p, p))},
        lambda c, r: _close(r["kl"], 0.0),
    ),
    "kl_decomposition": _property(
        "KL(p || q) = H(p, q) - H(p)",
        lambda p, q: {
            "kl": ("kl_divergence", (p, q)),
            "ce": ("cross_entropy", (p, q)),
            "h": ("entropy", (p,)),
        },
        lambda c, r: _close(r["kl"], r["ce"] - r["h"]) or abs(r["kl"] - (r["ce"] - r["h"])) < 1e-6,
    ),
    "gaussian_kl_nonnegative": _property(
        "KL(N1 || N2) >= 0",
        lambda mu1, sigma1, mu2, sigma2: {"kl": ("kl_gaussian", (mu1, sigma1, mu2, sigma2))},
        lambda c, r: r["kl"] >= -TOL,
    ),
    "gaussian_kl_self_zero": _property(
        "KL(N || N) = 0 for identical Gaussians",
        lambda mu1, sigma1, mu2, sigma2: {"kl": ("kl_gaussian", (mu1, sigma1, mu1, sigma1))},
        lambda c, r: _close(r["kl"], 0.0),
    ),
    "same_mean_agrees": _property(
        "with equal means, the special case agrees with the general formula",
        lambda sigma1, sigma2: {
            "special": ("kl_gaussian_same_mean", (sigma1, sigma2)),
            "general": ("kl_gaussian", (0.0, sigma1, 0.0, sigma2)),
        },
        lambda c, r: _close(r["special"], r["general"]),
    ),
    "same_variance_agrees": _property(
        "with equal variances, the special case agrees with the general formula",
        lambda mu1, mu2, sigma: {
            "special": ("kl_gaussian_same_variance", (mu1, mu2, sigma)),
            "general": ("kl_gaussian", (mu1, sigma, mu2, sigma)),
        },
        lambda c, r: _close(r["special"], r["general"]),
    ),
    "factor_is_pmf": Property(
        "the optimal factor is a distribution: non-negative entries summing to 1",
        lambda p_joint, j: {"q": ("optimal_factor", (p_joint, j))},
        lambda c, r: (
            not isinstance(r["q"], list)
            or not all(_number(x) for x in r["q"])
            or (min(r["q"], default=0) >= -TOL and abs(math.fsum(r["q"]) - 1) <= 1e-6)
        ),
    ),
    "factorized_kl_nonnegative": _property(
        "KL(p || q1 q2 ...) >= 0",
        lambda p_joint, factors: {"kl": ("kl_to_factorized", (p_joint, factors))},
        lambda c, r: r["kl"] >= -TOL,
    ),
}
