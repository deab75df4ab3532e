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

import grader
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


# Misconceptions: wrong versions of the oracles, named in the feedback when a student's failing
# answers agree with one. They are called like the student's functions (pmfs as float64 arrays)
# and never decide the frozen inputs: editing them needs no `grader freeze`.


def _product(factors: list[Any]) -> Any:
    q = np.ones(())
    for factor in factors:
        q = np.multiply.outer(q, factor)
    return q


def _kl(p: Any, q: Any, log: Any = np.log) -> float:
    """sum p log(p / q) under the sheet's conventions, in the base ``log`` gives."""
    seen = p > 0
    if np.any(q[seen] == 0):
        return math.inf
    return float(np.sum(p[seen] * log(p[seen] / q[seen])))


def _cross_entropy_log2(p: Any, q: Any) -> float:
    seen = p > 0
    return float(-np.sum(p[seen] * np.log2(q[seen])))


def _naive_kl(p: Any, q: Any) -> float:
    return float(np.sum(p * np.log(p / q)))


#: The sizes of eps seen in students' code and public implementations.
_EPSILONS = (1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15, 1e-16, 2.0**-52, 1e-20)


def _kl_eps(eps: float, clip: bool) -> Any:
    """KL with eps added to both pmfs, or both clipped to [eps, 1]."""

    def variant(p: Any, q: Any) -> float:
        if clip:
            p, q = np.clip(p, eps, 1.0), np.clip(q, eps, 1.0)
            return float(np.sum(p * np.log(p / q)))
        return float(np.sum(p * np.log((p + eps) / (q + eps))))

    return variant


def _factorized(kl: Any) -> Any:
    return lambda p_joint, factors: kl(p_joint, _product(factors))


def _cross_entropy_eps(eps: float, clip: bool) -> Any:
    def variant(p: Any, q: Any) -> float:
        return float(-np.sum(p * np.log(np.clip(q, eps, 1.0) if clip else q + eps)))

    return variant


def _sigma_as_variance(mu1: float, var1: float, mu2: float, var2: float) -> float:
    return 0.5 * math.log(var2 / var1) + (var1 + (mu1 - mu2) ** 2) / (2 * var2) - 0.5


def _kl_gaussian(mu1: float, sigma1: float, mu2: float, sigma2: float) -> float:
    return math.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5


# Each describe completes "This looks like a known mistake: ..." in the feedback: what the code
# seems to do, never the right answer.
_LOG2 = "the code takes logarithms in base 2 (np.log2, math.log(x, 2)), so it measures in bits"
_VARIANCE = (
    "the code uses sigma as if it were the variance, so it is not squared where it should be"
)
_EPS = (
    "the code adds a small eps to the probabilities (or clips them to at least eps) before "
    "taking the log, so where q_i = 0 < p_i it gives a large finite number that depends on eps"
)
_NAN = (
    "the code computes the term of an outcome with p_i = 0 too: in NumPy 0 * log(0) is nan, "
    "and the nan spreads to the whole sum"
)
_LOG_OF_ZERO = (
    "the code calls math.log on a probability of 0, and math.log(0) raises ValueError "
    "(math domain error)"
)
_REVERSED = "the code computes the divergence with its two distributions swapped, KL(q || p)"
_WRONG_AXIS = (
    "the code sums p_joint over axis j, which removes variable j: what is left is a "
    "distribution over the other variables"
)
_M = grader.Misconception

MISCONCEPTIONS = {
    "entropy_log2": _M("entropy", _LOG2, lambda p: -_kl(p, np.ones_like(p), np.log2)),
    "cross_entropy_log2": _M("cross_entropy", _LOG2, _cross_entropy_log2),
    "kl_log2": _M("kl_divergence", _LOG2, lambda p, q: _kl(p, q, np.log2)),
    "kl_to_factorized_log2": _M(
        "kl_to_factorized", _LOG2, lambda p_joint, factors: _kl(p_joint, _product(factors), np.log2)
    ),
    "entropy_nan_at_zero": _M("entropy", _NAN, lambda p: float(-np.sum(p * np.log(p)))),
    "cross_entropy_nan_at_zero": _M(
        "cross_entropy", _NAN, lambda p, q: float(-np.sum(p * np.log(q)))
    ),
    "kl_nan_at_zero": _M("kl_divergence", _NAN, _naive_kl),
    "kl_to_factorized_nan_at_zero": _M(
        "kl_to_factorized", _NAN, lambda p_joint, factors: _naive_kl(p_joint, _product(factors))
    ),
    "entropy_log_of_zero": _M(
        "entropy", _LOG_OF_ZERO, lambda p: -sum(p_i * math.log(p_i) for p_i in p)
    ),
    "cross_entropy_log_of_zero": _M(
        "cross_entropy", _LOG_OF_ZERO, lambda p, q: -sum(a * math.log(b) for a, b in zip(p, q))
    ),
    "kl_log_of_zero": _M(
        "kl_divergence",
        "the code calls math.log(p_i / q_i) also where p_i = 0: math.log(0) raises ValueError "
        "(math domain error), and where q_i is 0 too, 0 / 0 is nan",
        lambda p, q: sum(a * math.log(a / b) for a, b in zip(p, q)),
    ),
    "cross_entropy_eps": _M(
        "cross_entropy", _EPS, tuple(_cross_entropy_eps(e, c) for e in _EPSILONS for c in (0, 1))
    ),
    "kl_eps": _M("kl_divergence", _EPS, tuple(_kl_eps(e, c) for e in _EPSILONS for c in (0, 1))),
    "kl_to_factorized_eps": _M(
        "kl_to_factorized",
        _EPS,
        tuple(_factorized(_kl_eps(e, c)) for e in _EPSILONS for c in (0, 1)),
    ),
    "kl_reversed": _M("kl_divergence", _REVERSED, lambda p, q: _kl(q, p)),
    "kl_to_factorized_reversed": _M(
        "kl_to_factorized", _REVERSED, lambda p_joint, factors: _kl(_product(factors), p_joint)
    ),
    "kl_gaussian_sigma_as_variance": _M("kl_gaussian", _VARIANCE, _sigma_as_variance),
    "kl_gaussian_same_mean_sigma_as_variance": _M(
        "kl_gaussian_same_mean",
        _VARIANCE,
        lambda sigma1, sigma2: _sigma_as_variance(0, sigma1, 0, sigma2),
    ),
    "kl_gaussian_same_variance_sigma_as_variance": _M(
        "kl_gaussian_same_variance",
        _VARIANCE,
        lambda mu1, mu2, sigma: (mu1 - mu2) ** 2 / (2 * sigma),
    ),
    "kl_gaussian_reversed": _M(
        "kl_gaussian",
        _REVERSED,
        lambda mu1, sigma1, mu2, sigma2: _kl_gaussian(mu2, sigma2, mu1, sigma1),
    ),
    "kl_gaussian_same_mean_reversed": _M(
        "kl_gaussian_same_mean",
        _REVERSED,
        lambda sigma1, sigma2: _kl_gaussian(0, sigma2, 0, sigma1),
    ),
    "optimal_factor_wrong_axis": _M(
        "optimal_factor", _WRONG_AXIS, lambda p_joint, j: p_joint.sum(axis=j)
    ),
}
