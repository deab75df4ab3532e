"""Inputs, hints and the loop's comparator of mean_field_vi (run by the grader, never a kernel).

Inputs stay where a textbook formula typed in plain Python floats agrees with the oracles to the
spec's tolerances: data sets of 1 to 300 points within about 150 of 0 (a location in [-10, 10],
a spread from 0.01 to 30, every value rounded to 6 decimals), prior and factor parameters from
tight to vague but with every rate b at least 0.01, so that b_N, and E[tau] with it, never rests
on a cancellation (sum x^2 - N mean^2 in the expanded textbook form loses about 1e-16 sum x^2).
Edges: one data point, identical data points, a very tight prior and a very vague one.

Properties come from the sheet. They explain a wrong answer and never earn marks.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st

from grader import Inputs, Property

#: The loop's answer may stop an iteration earlier or later than the reference's: its final
#: parameters and its first and last ELBO are compared within this relative tolerance.
LOOP_RTOL = 1e-5
LOOP_ATOL = 1e-6
TRACE_SLACK = 1e-9  # a non-decreasing trace may dip by this much (relative) from rounding
PARAMETERS = ("mu_N", "lambda_N", "a_N", "b_N")


def _round(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


def _log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    """Positive numbers spread evenly over the decades from 10**low to 10**high."""
    return st.floats(min_value=low, max_value=high).map(lambda e: _round(10.0**e))


@st.composite
def _sample(draw: Any) -> list[float]:
    n = draw(st.one_of(st.integers(1, 20), st.integers(21, 300)))
    loc = round(draw(st.floats(min_value=-10.0, max_value=10.0)), 3)
    if n > 1 and draw(st.integers(0, 7)) == 0:
        return [loc] * n  # identical data points
    spread = 10.0 ** draw(st.floats(min_value=-2.0, max_value=1.5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return [round(float(v), 6) for v in rng.normal(loc, spread, size=n)]


def _prior() -> dict[str, st.SearchStrategy[float]]:
    return {
        "mu0": st.floats(min_value=-10.0, max_value=10.0).map(lambda v: round(v, 3)),
        "lambda0": _log_uniform(-3.0, 3.0),
        "a0": _log_uniform(-2.0, 3.0),
        "b0": _log_uniform(-2.0, 3.0),
    }


def _posterior_mean(x: list[float], mu0: float, lambda0: float) -> float:
    return (lambda0 * mu0 + math.fsum(x)) / (lambda0 + len(x))


@st.composite
def _q_mu_case(draw: Any) -> dict[str, Any]:
    prior = _prior()
    case = {"x": draw(_sample()), "mu0": draw(prior["mu0"]), "lambda0": draw(prior["lambda0"])}
    case.update(a_N=draw(_log_uniform(-2.0, 3.5)), b_N=draw(_log_uniform(-2.0, 4.0)))
    return case


@st.composite
def _q_tau_case(draw: Any) -> dict[str, Any]:
    case = {"x": draw(_sample()), **{k: draw(s) for k, s in _prior().items()}}
    exact = _posterior_mean(case["x"], case["mu0"], case["lambda0"])
    mu_n = exact if draw(st.booleans()) else draw(_prior()["mu0"])  # q(mu) as CAVI gives it
    case.update(mu_N=_round(mu_n, 12), lambda_N=draw(_log_uniform(-3.0, 6.0)))
    return case


@st.composite
def _elbo_case(draw: Any) -> dict[str, Any]:
    case = draw(_q_tau_case())
    if draw(st.booleans()):  # the shape every update gives
        case["a_N"] = case["a0"] + (len(case["x"]) + 1) / 2
    else:
        case["a_N"] = draw(_log_uniform(-2.0, 3.5))
    case["b_N"] = draw(_log_uniform(-2.0, 4.0))
    return case


@st.composite
def _cavi_case(draw: Any) -> dict[str, Any]:
    return {"x": draw(_sample()), **{k: draw(s) for k, s in _prior().items()}}


_ONE = {"x": [1.5], "mu0": 0.0, "lambda0": 1.0, "a0": 1.0, "b0": 1.0}
_SAME = {"x": [2.5] * 12, "mu0": 0.0, "lambda0": 0.1, "a0": 2.0, "b0": 0.5}
_TIGHT = {"x": [-1.0, 0.5, 3.0], "mu0": 1.0, "lambda0": 1e6, "a0": 1e4, "b0": 1e4}
_VAGUE = {"x": [4.0, 5.5, 3.25, 6.0], "mu0": 0.0, "lambda0": 1e-3, "a0": 0.01, "b0": 0.01}
_PRIORS = (_ONE, _SAME, _TIGHT, _VAGUE)


def _q_mu_edges() -> tuple[dict[str, Any], ...]:
    keep = ("x", "mu0", "lambda0")
    return tuple({**{k: c[k] for k in keep}, "a_N": c["a0"], "b_N": c["b0"]} for c in _PRIORS)


def _q_tau_edges() -> tuple[dict[str, Any], ...]:
    return tuple(
        {**c, "mu_N": _posterior_mean(c["x"], c["mu0"], c["lambda0"]), "lambda_N": 2.0}
        for c in _PRIORS
    )


def _elbo_edges() -> tuple[dict[str, Any], ...]:
    return tuple({**c, "a_N": c["a0"] + (len(c["x"]) + 1) / 2, "b_N": 3.0} for c in _q_tau_edges())


INPUTS: dict[str, Inputs] = {
    "q_mu": Inputs(_q_mu_case(), edges=_q_mu_edges()),
    "q_tau": Inputs(_q_tau_case(), edges=_q_tau_edges()),
    "elbo": Inputs(_elbo_case(), edges=_elbo_edges()),
    "cavi": Inputs(_cavi_case(), edges=_PRIORS),
}


def _number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _close(expected: float, got: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    return _number(got) and abs(got - expected) <= max(atol, rtol * abs(expected))


def converged(expected: Mapping[str, Any], got: Any) -> bool:
    """The loop's answer: its final q(mu) and q(tau), and an ELBO trace of any length whose
    first and last values are the reference's (within LOOP_RTOL) and all finite numbers."""
    if type(got) is not dict or set(got) != {*PARAMETERS, "elbo"}:
        return False
    if not all(_close(expected[k], got[k], LOOP_RTOL, LOOP_ATOL) for k in PARAMETERS):
        return False
    trace, reference = got["elbo"], expected["elbo"]
    if type(trace) is not list or not trace or not all(_number(v) for v in trace):
        return False
    ends = ((reference[0], trace[0]), (reference[-1], trace[-1]))
    return all(_close(e, g, LOOP_RTOL, LOOP_ATOL) for e, g in ends)


COMPARATORS = {"converged": converged}


def _field(results: Mapping[str, Any], label: str, field: str) -> float:
    """One number of a dict answer; anything else raises, and a property that cannot tell is
    no hint (the comparison already says what came back)."""
    value = results[label][field]
    if not _number(value):
        raise ValueError(f"{field} is not a number")
    return value


def _exact_tau_mean(x: list[float], mu0: float, lambda0: float, a0: float, b0: float) -> float:
    """E[tau] under the exact Normal-Gamma posterior: (a0 + N/2) / b_post."""
    n, mean = len(x), math.fsum(x) / len(x)
    spread = math.fsum((v - mean) ** 2 for v in x) + lambda0 * n * (mean - mu0) ** 2 / (lambda0 + n)
    return (a0 + n / 2) / (b0 + spread / 2)


def log_evidence(x: list[float], mu0: float, lambda0: float, a0: float, b0: float) -> float:
    """ln p(x) under the Normal-Gamma model, in closed form (conjugacy)."""
    n, a_post = len(x), a0 + len(x) / 2
    b_post = a_post / _exact_tau_mean(x, mu0, lambda0, a0, b0)
    return (
        math.lgamma(a_post)
        - math.lgamma(a0)
        + a0 * math.log(b0)
        - a_post * math.log(b_post)
        + 0.5 * math.log(lambda0 / (lambda0 + n))
        - n / 2 * math.log(2 * math.pi)
    )


def _trace_rises(case: Mapping[str, Any], results: Mapping[str, Any]) -> bool:
    trace = results["q"]["elbo"]
    pairs = itertools.pairwise(trace)
    return all(b >= a - TRACE_SLACK * max(1.0, abs(a)) for a, b in pairs)


def _mu_n_exact(case: Mapping[str, Any], results: Mapping[str, Any]) -> bool:
    exact = _posterior_mean(case["x"], case["mu0"], case["lambda0"])
    return _close(exact, _field(results, "q", "mu_N"), 1e-6)


def _tau_mean_exact(case: Mapping[str, Any], results: Mapping[str, Any]) -> bool:
    exact = _exact_tau_mean(case["x"], case["mu0"], case["lambda0"], case["a0"], case["b0"])
    e_tau = _field(results, "q", "a_N") / _field(results, "q", "b_N")
    return _close(exact, e_tau, LOOP_RTOL)


def _cavi_call(x: Any, mu0: float, lambda0: float, a0: float, b0: float) -> dict[str, Any]:
    return {"q": ("cavi", (x, mu0, lambda0, a0, b0))}


def _q_mu_call(x: Any, mu0: float, lambda0: float, a_N: float, b_N: float) -> dict[str, Any]:
    return {"q": ("update_q_mu", (x, mu0, lambda0, a_N, b_N))}


def _q_tau_call(**case: Any) -> dict[str, Any]:
    names = ("x", "mu0", "lambda0", "a0", "b0", "mu_N", "lambda_N")
    return {"q": ("update_q_tau", tuple(case[n] for n in names))}


def _elbo_call(**case: Any) -> dict[str, Any]:
    names = ("x", "mu0", "lambda0", "a0", "b0", "mu_N", "lambda_N", "a_N", "b_N")
    return {"L": ("elbo", tuple(case[n] for n in names))}


def _precision_scales(case: Mapping[str, Any], results: Mapping[str, Any]) -> bool:
    e_tau = case["a_N"] / case["b_N"]
    return _close((case["lambda0"] + len(case["x"])) * e_tau, _field(results, "q", "lambda_N"))


def _shape_counts(case: Mapping[str, Any], results: Mapping[str, Any]) -> bool:
    return _close(case["a0"] + (len(case["x"]) + 1) / 2, _field(results, "q", "a_N"))


def _rate_holds_variance(case: Mapping[str, Any], results: Mapping[str, Any]) -> bool:
    floor = case["b0"] + (len(case["x"]) + case["lambda0"]) / (2 * case["lambda_N"])
    return _field(results, "q", "b_N") >= floor * (1 - 1e-9)


def _below_evidence(case: Mapping[str, Any], results: Mapping[str, Any]) -> bool:
    bound = log_evidence(case["x"], case["mu0"], case["lambda0"], case["a0"], case["b0"])
    value = results["L"]
    return not _number(value) or value <= bound + 1e-6 * max(1.0, abs(bound))


PROPERTIES: dict[str, Property] = {
    "mu_N_is_exact_mean": Property(
        "E[mu] = mu_N is the exact posterior mean (lambda0 mu0 + N mean(x)) / (lambda0 + N), "
        "whatever q(tau) is",
        _q_mu_call,
        _mu_n_exact,
    ),
    "precision_scales_with_tau": Property(
        "lambda_N is a precision: (lambda0 + N) times E[tau] = a_N / b_N",
        _q_mu_call,
        _precision_scales,
    ),
    "shape_counts_prior": Property(
        "a_N = a0 + (N + 1)/2: N/2 from the data and 1/2 from the prior on mu",
        _q_tau_call,
        _shape_counts,
    ),
    "rate_holds_variance": Property(
        "b_N >= b0 + (N + lambda0) / (2 lambda_N): the expected squares hold the variance "
        "1/lambda_N of q(mu)",
        _q_tau_call,
        _rate_holds_variance,
    ),
    "elbo_below_evidence": Property(
        "the ELBO is a lower bound: at most ln p(x), which conjugacy gives in closed form",
        _elbo_call,
        _below_evidence,
    ),
    "trace_rises": Property(
        "coordinate ascent never lowers the ELBO: the trace does not decrease",
        _cavi_call,
        _trace_rises,
    ),
    "fixed_point_mean": Property(
        "at the fixed point E[mu] = mu_N is the exact posterior mean",
        _cavi_call,
        _mu_n_exact,
    ),
    "fixed_point_precision_mean": Property(
        "at the fixed point E[tau] = a_N / b_N is the exact posterior's (a0 + N/2) / b_post",
        _cavi_call,
        _tau_mean_exact,
    ),
}
