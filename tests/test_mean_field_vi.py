"""The mean-field VI sheet's oracles, checked against computations that share none of their code.

- the exact Normal-Gamma posterior, by conjugate updates one data point at a time, and the log
  evidence as a product of its Student-t predictives;
- the optimal factors ln q*(mu) = E_tau[ln p(x, mu, tau)] + const (and likewise for tau), by
  numerical integration (scipy.integrate.quad) of the log joint from scipy.stats densities;
- the ELBO, by numerical integration over mu and tau (scipy.integrate.dblquad) of q log p/q;
- a long run of the updates, started elsewhere, without a stopping rule.

And the sheet's checks.py: its comparator and its properties, on the oracle's answers and on
the seeded bugs.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from grader import load_assignment
from reference.mean_field_vi import cavi, elbo, update_q_mu, update_q_tau
from tests.conftest import MEAN_FIELD

FAST = settings(max_examples=60, deadline=None)
SLOW = settings(max_examples=12, deadline=None)  # numerical integration
LOG_2PI = math.log(2 * math.pi)

samples = st.lists(st.integers(-2000, 2000).map(lambda v: v / 100), min_size=1, max_size=25)
means = st.integers(-500, 500).map(lambda v: v / 100)
scales = st.integers(-10, 20).map(lambda e: 10.0 ** (e / 10))  # 0.1 to 100


@st.composite
def problems(draw: st.DrawFn) -> dict[str, object]:
    return {
        "x": draw(samples),
        "mu0": draw(means),
        "lambda0": draw(scales),
        "a0": draw(scales),
        "b0": draw(scales),
    }


def sequential_posterior(x, mu0, lambda0, a0, b0):
    """The exact posterior's (m, kappa, a, b), one observation at a time (conjugacy)."""
    m, kappa, a, b = mu0, lambda0, a0, b0
    for value in x:
        b += kappa * (value - m) ** 2 / (2 * (kappa + 1))
        m = (kappa * m + value) / (kappa + 1)
        kappa += 1
        a += 0.5
    return m, kappa, a, b


def sequential_log_evidence(x, mu0, lambda0, a0, b0):
    """ln p(x) as the sum of ln p(x_n | x_1..x_{n-1}), each a Student-t predictive."""
    total = 0.0
    for n, value in enumerate(x):
        m, kappa, a, b = sequential_posterior(x[:n], mu0, lambda0, a0, b0)
        scale = math.sqrt(b * (kappa + 1) / (a * kappa))
        total += stats.t.logpdf(value, df=2 * a, loc=m, scale=scale)
    return total


def log_joint(x, mu0, lambda0, a0, b0, mu, tau):
    """ln p(x, mu, tau) from scipy.stats densities."""
    sd = 1 / math.sqrt(tau)
    return (
        stats.norm.logpdf(x, mu, sd).sum()
        + stats.norm.logpdf(mu, mu0, sd / math.sqrt(lambda0))
        + stats.gamma.logpdf(tau, a0, scale=1 / b0)
    )


def _fit(points, values, features):
    """Least squares through three points: the coefficients of ``features``."""
    design = np.array([features(p) for p in points])
    return np.linalg.solve(design, np.asarray(values))


@SLOW
@given(problems(), scales, scales)
def test_q_mu_is_the_optimal_factor_by_numerical_integration(problem, a_n, b_n):
    got = update_q_mu(**{k: problem[k] for k in ("x", "mu0", "lambda0")}, a_N=a_n, b_N=b_n)
    q_tau = stats.gamma(a_n, scale=1 / b_n)
    low, high = q_tau.ppf(1e-13), q_tau.ppf(1 - 1e-13)
    x = np.array(problem["x"])

    def expected_log_joint(mu):
        def integrand(tau):
            return q_tau.pdf(tau) * log_joint(x, **_prior(problem), mu=mu, tau=tau)

        return integrate.quad(integrand, low, high, epsabs=0, epsrel=1e-10, limit=200)[0]

    # ln q*(mu) = -lambda_N/2 mu^2 + lambda_N mu_N mu + const, read off at three points
    centre, step = got["mu_N"], 1 / math.sqrt(got["lambda_N"])
    points = [centre - step, centre, centre + step]
    quad, lin, _ = _fit(points, [expected_log_joint(p) for p in points], lambda m: [m * m, m, 1])
    assert -2 * quad == pytest.approx(got["lambda_N"], rel=1e-6)
    assert lin / (-2 * quad) == pytest.approx(got["mu_N"], rel=1e-6, abs=1e-6 * step)


@SLOW
@given(problems(), means, scales)
def test_q_tau_is_the_optimal_factor_by_numerical_integration(problem, mu_n, lambda_n):
    got = update_q_tau(**problem, mu_N=mu_n, lambda_N=lambda_n)
    q_mu = stats.norm(mu_n, 1 / math.sqrt(lambda_n))
    low, high = q_mu.ppf(1e-13), q_mu.ppf(1 - 1e-13)
    x = np.array(problem["x"])

    def expected_log_joint(tau):
        def integrand(mu):
            return q_mu.pdf(mu) * log_joint(x, **_prior(problem), mu=mu, tau=tau)

        return integrate.quad(integrand, low, high, epsabs=0, epsrel=1e-10, limit=200)[0]

    # ln q*(tau) = (a_N - 1) ln tau - b_N tau + const, read off at three points
    mean = got["a_N"] / got["b_N"]
    points = [mean / 2, mean, 2 * mean]
    values = [expected_log_joint(t) for t in points]
    shape_minus_one, minus_rate, _ = _fit(points, values, lambda t: [math.log(t), t, 1])
    assert shape_minus_one + 1 == pytest.approx(got["a_N"], rel=1e-6)
    assert -minus_rate == pytest.approx(got["b_N"], rel=1e-6)


def _prior(problem):
    return {k: problem[k] for k in ("mu0", "lambda0", "a0", "b0")}


def plain_log_density(x, mu0, lambda0, a0, b0):
    """(mu, tau) -> ln p(x, mu, tau), the product of the model's densities written out in
    floats (scipy.stats per point would make the double integral take minutes)."""
    n, total, squares = len(x), math.fsum(x), math.fsum(v * v for v in x)
    const = a0 * math.log(b0) - math.lgamma(a0) + math.log(lambda0) / 2 - (n + 1) * LOG_2PI / 2

    def log_p(mu: float, tau: float) -> float:
        log_tau = math.log(tau)
        value = const + (n + 1) / 2 * log_tau + (a0 - 1) * log_tau - b0 * tau
        spread = squares - 2 * mu * total + n * mu * mu + lambda0 * (mu - mu0) ** 2
        return value - tau / 2 * spread

    return log_p


@SLOW
@given(problems(), means, scales, scales, scales)
def test_elbo_matches_numerical_integration_of_q_log_p_over_q(problem, mu_n, lam_n, a_n, b_n):
    q_mu = stats.norm(mu_n, 1 / math.sqrt(lam_n))
    q_tau = stats.gamma(a_n, scale=1 / b_n)
    log_p = plain_log_density(**problem)
    log_q_tau_norm = a_n * math.log(b_n) - math.lgamma(a_n)

    def integrand(tau, mu):
        log_q = (math.log(lam_n) - LOG_2PI) / 2 - lam_n / 2 * (mu - mu_n) ** 2
        log_q += log_q_tau_norm + (a_n - 1) * math.log(tau) - b_n * tau
        return math.exp(log_q) * (log_p(mu, tau) - log_q)

    numeric, _ = integrate.dblquad(
        integrand,
        q_mu.ppf(1e-12),
        q_mu.ppf(1 - 1e-12),
        q_tau.ppf(1e-12),
        q_tau.ppf(1 - 1e-12),
        epsabs=0,
        epsrel=1e-9,
    )
    got = elbo(**problem, mu_N=mu_n, lambda_N=lam_n, a_N=a_n, b_N=b_n)
    assert got == pytest.approx(numeric, rel=1e-6, abs=1e-6)


@FAST
@given(problems(), means, scales, scales, scales)
def test_elbo_never_exceeds_the_log_evidence(problem, mu_n, lambda_n, a_n, b_n):
    bound = sequential_log_evidence(**problem)
    value = elbo(**problem, mu_N=mu_n, lambda_N=lambda_n, a_N=a_n, b_N=b_n)
    assert value <= bound + 1e-9 * max(1.0, abs(bound))


@FAST
@given(problems(), scales, scales)
def test_q_mu_mean_is_the_exact_posterior_mean_whatever_q_tau_is(problem, a_n, b_n):
    got = update_q_mu(problem["x"], problem["mu0"], problem["lambda0"], a_n, b_n)
    m, kappa, _, _ = sequential_posterior(**problem)
    assert got["mu_N"] == pytest.approx(m, rel=1e-12, abs=1e-12)
    assert got["lambda_N"] == pytest.approx(kappa * a_n / b_n, rel=1e-12)


@FAST
@given(problems())
def test_the_fixed_point_has_the_exact_posterior_means_of_mu_and_tau(problem):
    fit = cavi(**problem)
    m, kappa, a, b = sequential_posterior(**problem)
    assert fit["mu_N"] == pytest.approx(m, rel=1e-10, abs=1e-10)
    assert fit["a_N"] / fit["b_N"] == pytest.approx(a / b, rel=1e-9)
    # ... but mean-field's variance of mu is the smaller one (question 2e)
    if a > 1:
        assert 1 / fit["lambda_N"] < b / (kappa * (a - 1))


@FAST
@given(problems(), scales)
def test_cavi_agrees_with_a_long_run_of_the_updates_from_elsewhere(problem, e_tau):
    fit = cavi(**problem)
    x, prior = problem["x"], _prior(problem)
    q_tau = {"a_N": 1.0, "b_N": 1.0 / e_tau}
    for _ in range(3000):
        q_mu = update_q_mu(x, prior["mu0"], prior["lambda0"], **q_tau)
        q_tau = update_q_tau(x, **prior, **q_mu)
    for key, value in {**q_mu, **q_tau}.items():
        assert fit[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
    assert fit["elbo"][-1] == pytest.approx(elbo(x, **prior, **q_mu, **q_tau), rel=1e-9)


@FAST
@given(problems())
def test_the_elbo_trace_never_decreases(problem):
    trace = cavi(**problem)["elbo"]
    assert 1 <= len(trace) < 1000
    assert all(b >= a - 1e-12 * max(1.0, abs(a)) for a, b in itertools.pairwise(trace))


# --- checks.py ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sheet():
    return load_assignment(MEAN_FIELD)


@FAST
@given(problem=problems())
def test_the_properties_log_evidence_is_the_sequential_one(sheet, problem):
    value = sheet.hooks.log_evidence(**problem)
    assert value == pytest.approx(sequential_log_evidence(**problem), rel=1e-9, abs=1e-9)


def test_the_loop_comparator_allows_other_stopping_rules_only(sheet):
    converged = sheet.hooks.COMPARATORS["converged"]
    expected = cavi([1.2, 0.7, 2.1], 0.5, 2.0, 1.5, 0.8)
    assert len(expected["elbo"]) > 3
    assert converged(expected, expected)
    assert converged(expected, {**expected, "elbo": expected["elbo"][:1] + expected["elbo"][2:]})
    assert converged(expected, {**expected, "b_N": expected["b_N"] * (1 + 1e-6)})
    refused = [
        {**expected, "b_N": expected["b_N"] * 1.001},
        {**expected, "elbo": expected["elbo"][1:]},  # does not start from q(tau) = p(tau)
        {**expected, "elbo": expected["elbo"][:1]},  # stopped after one iteration
        {**expected, "elbo": []},
        {**expected, "elbo": [*expected["elbo"], math.nan]},
        {**expected, "elbo": expected["elbo"][-1]},
        {**expected, "extra": 1.0},
        {k: v for k, v in expected.items() if k != "a_N"},
        [expected["mu_N"], expected["lambda_N"]],
    ]
    for got in refused:
        assert not converged(expected, got), got


ORACLES = {"update_q_mu": update_q_mu, "update_q_tau": update_q_tau, "elbo": elbo, "cavi": cavi}


def _results(prop, case, functions):
    calls = prop.calls(**case)
    return {label: functions[fn](*args) for label, (fn, args) in calls.items()}


def test_every_property_holds_for_the_oracles_on_every_frozen_case(sheet):
    from grader import GradingPlan

    plan = GradingPlan.build(sheet)
    tried = 0
    for check in sheet.checks:
        for name in check.properties:
            prop = sheet.property(name)
            for case in plan.cases[check.key]:
                assert prop.holds(case, _results(prop, case, ORACLES)), (name, case)
                tried += 1
    assert tried > 400


def _variance_for_precision(x, mu0, lambda0, a_N, b_N):
    right = update_q_mu(x, mu0, lambda0, a_N, b_N)
    return {**right, "lambda_N": 1 / right["lambda_N"]}


def _shape_without_prior(x, mu0, lambda0, a0, b0, mu_N, lambda_N):
    right = update_q_tau(x, mu0, lambda0, a0, b0, mu_N, lambda_N)
    return {**right, "a_N": right["a_N"] - 0.5}


def _cavi_without_prior_half(x, mu0, lambda0, a0, b0):
    return cavi(x, mu0, lambda0, a0 - 0.5, b0)  # a_N = a0 + N/2 at every update


@pytest.mark.parametrize(
    ("name", "function", "wrong", "case"),
    [
        (
            "precision_scales_with_tau",
            "update_q_mu",
            _variance_for_precision,
            {"x": [1.5, 2.0], "mu0": 0.0, "lambda0": 1.0, "a_N": 2.0, "b_N": 1.0},
        ),
        (
            "shape_counts_prior",
            "update_q_tau",
            _shape_without_prior,
            {"x": [1.5], "mu0": 0, "lambda0": 1, "a0": 1, "b0": 1, "mu_N": 1, "lambda_N": 2},
        ),
        (
            "fixed_point_precision_mean",
            "cavi",
            _cavi_without_prior_half,
            {"x": [1.5, 0.5, 2.0], "mu0": 0.0, "lambda0": 1.0, "a0": 2.0, "b0": 1.0},
        ),
    ],
)
def test_a_property_explains_its_seeded_bug(sheet, name, function, wrong, case):
    prop = sheet.property(name)
    assert prop.holds(case, _results(prop, case, ORACLES))
    assert not prop.holds(case, _results(prop, case, {**ORACLES, function: wrong}))
