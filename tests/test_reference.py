"""Property tests for the grading oracles in ``reference.variational_inference``.

Every oracle is checked against an independent computation (scipy routines, numerical
integration, or explicit Python loops), never against itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from reference.variational_inference import (
    cross_entropy,
    entropy,
    kl_divergence,
    kl_gaussian,
    kl_gaussian_same_mean,
    kl_gaussian_same_variance,
    kl_to_factorized,
    optimal_factor,
)

FAST = settings(max_examples=100, deadline=None)
SLOW = settings(max_examples=40, deadline=None)  # for properties that call scipy's quad

# Weights are either integers in [0, 20] or floats in [1e-3, 1] with exact zeros, so normalised
# pmfs never contain subnormal numbers.
_int_weight = st.integers(0, 20).map(float)
_float_weight = st.one_of(st.just(0.0), st.floats(1e-3, 1.0))
_weight = st.one_of(_int_weight, _float_weight)


def _normalise(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def pmfs(n: int, weight: st.SearchStrategy[float] = _weight) -> st.SearchStrategy[np.ndarray]:
    """Pmfs of length n (at least one positive weight)."""
    return st.lists(weight, min_size=n, max_size=n).filter(lambda w: sum(w) > 0).map(_normalise)


positive_pmfs = st.integers(1, 10).flatmap(lambda n: pmfs(n, st.integers(1, 20).map(float)))
any_pmfs = st.integers(1, 10).flatmap(pmfs)


@st.composite
def pmf_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 10))
    return draw(pmfs(n)), draw(pmfs(n))


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


@st.composite
def joints(draw: st.DrawFn, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Joint pmfs with 1 to 4 axes of 1 to 4 states each (at most 256 entries)."""
    if shape is None:
        shape = draw(shapes)
    size = math.prod(shape)
    return draw(pmfs(size, _int_weight)).reshape(shape)


def _loop_marginal(p: np.ndarray, j: int) -> np.ndarray:
    out = [0.0] * p.shape[j]
    for idx in np.ndindex(p.shape):
        out[idx[j]] += float(p[idx])
    return np.asarray(out)


def _loop_kl_to_factorized(p: np.ndarray, factors: list[np.ndarray]) -> float:
    total = 0.0
    for idx in np.ndindex(p.shape):
        pz = float(p[idx])
        if pz == 0.0:
            continue
        qz = math.prod(float(factors[i][k]) for i, k in enumerate(idx))
        if qz == 0.0:
            return math.inf
        total += pz * math.log(pz / qz)
    return total


def _quad_kl(mu1: float, sigma1: float, mu2: float, sigma2: float) -> float:
    """KL(N1 || N2) = int p1 log(p1 / p2) dx by quadrature over mu1 +- 12 sigma1."""

    def integrand(x: float) -> float:
        log_p1 = stats.norm.logpdf(x, mu1, sigma1)
        return math.exp(log_p1) * (log_p1 - stats.norm.logpdf(x, mu2, sigma2))

    value, _ = integrate.quad(
        integrand, mu1 - 12 * sigma1, mu1 + 12 * sigma1, epsabs=1e-12, epsrel=1e-11, limit=200
    )
    return value


# ---------------------------------------------------------------- discrete entropies and KL


@FAST
@given(any_pmfs)
def test_entropy_matches_scipy(p: np.ndarray) -> None:
    h = entropy(p)
    assert type(h) is float
    assert h == pytest.approx(stats.entropy(p), rel=1e-12, abs=1e-14)
    assert h >= 0.0


@FAST
@given(st.integers(1, 10), st.integers(0, 9))
def test_entropy_uniform_and_point_mass(n: int, k: int) -> None:
    assert entropy(np.full(n, 1.0 / n)) == pytest.approx(math.log(n), rel=1e-12, abs=1e-14)
    point = np.zeros(n)
    point[k % n] = 1.0
    assert entropy(point) == 0.0


@FAST
@given(pmf_pairs())
def test_cross_entropy_matches_independent_sum(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    expected = stats.entropy(p) + stats.entropy(p, q)
    loop = 0.0
    for pi, qi in zip(p.tolist(), q.tolist(), strict=True):
        if pi > 0:
            loop = math.inf if qi == 0 else loop - pi * math.log(qi)
            if loop == math.inf:
                break
    h = cross_entropy(p, q)
    assert type(h) is float
    if math.isinf(loop):
        assert h == math.inf
        assert expected == math.inf
    else:
        assert h == pytest.approx(loop, rel=1e-12, abs=1e-13)
        assert h == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_cross_entropy_zero_cases() -> None:
    # p_i = 0 contributes 0 even where q_i = 0.
    assert cross_entropy([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == pytest.approx(math.log(2))
    assert cross_entropy([1.0, 0.0], [0.25, 0.75]) == pytest.approx(math.log(4))
    # q_i = 0 < p_i gives +inf.
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf


@FAST
@given(pmf_pairs())
def test_kl_divergence_matches_scipy(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    d = kl_divergence(p, q)
    assert type(d) is float
    expected = float(special.rel_entr(p, q).sum())
    via_stats = float(stats.entropy(p, q))
    if math.isinf(expected):
        assert d == math.inf
        assert via_stats == math.inf
        assert any(qi == 0 < pi for pi, qi in zip(p, q, strict=True))
    else:
        assert d == pytest.approx(expected, rel=1e-12, abs=1e-14)
        assert d == pytest.approx(via_stats, rel=1e-9, abs=1e-12)
        assert d >= 0.0  # Gibbs' inequality
        assert d == pytest.approx(cross_entropy(p, q) - entropy(p), rel=1e-9, abs=1e-9)


@FAST
@given(any_pmfs)
def test_kl_divergence_of_identical_distributions_is_zero(p: np.ndarray) -> None:
    assert kl_divergence(p, p) == 0.0
    assert kl_divergence(p, p.copy()) == 0.0


def test_kl_divergence_zero_cases() -> None:
    # zeros in p contribute 0, including where q is also 0
    assert kl_divergence([0.0, 1.0], [0.5, 0.5]) == pytest.approx(math.log(2))
    assert kl_divergence([0.0, 1.0], [0.0, 1.0]) == 0.0
    # q_i = 0 < p_i gives +inf
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_divergence([0.5, 0.5], [0.0, 1.0]) == math.inf


def test_kl_divergence_is_precise_for_nearby_distributions() -> None:
    eps = 1e-9
    p = np.array([0.5 + eps, 0.5 - eps])
    q = np.array([0.5, 0.5])
    # KL ~ 2 eps^2 (second-order expansion); H(p, q) - H(p) would lose all digits here.
    assert kl_divergence(p, q) == pytest.approx(2 * eps**2, rel=1e-6)


# ---------------------------------------------------------------- Gaussian KL

mus = st.floats(-10.0, 10.0)
sigmas = st.floats(0.1, 10.0)


@SLOW
@given(mus, sigmas, mus, sigmas)
def test_kl_gaussian_matches_quadrature(mu1: float, s1: float, mu2: float, s2: float) -> None:
    d = kl_gaussian(mu1, s1, mu2, s2)
    assert type(d) is float
    assert d == pytest.approx(_quad_kl(mu1, s1, mu2, s2), rel=1e-6, abs=1e-8)
    assert d >= -1e-15


@SLOW
@given(mus, sigmas, sigmas)
def test_kl_gaussian_same_mean(mu: float, s1: float, s2: float) -> None:
    d = kl_gaussian_same_mean(s1, s2)
    assert type(d) is float
    assert d == pytest.approx(kl_gaussian(mu, s1, mu, s2), rel=1e-9, abs=1e-12)
    assert d == pytest.approx(_quad_kl(mu, s1, mu, s2), rel=1e-6, abs=1e-8)


@SLOW
@given(mus, mus, sigmas)
def test_kl_gaussian_same_variance(mu1: float, mu2: float, s: float) -> None:
    d = kl_gaussian_same_variance(mu1, mu2, s)
    assert type(d) is float
    assert d == pytest.approx(kl_gaussian(mu1, s, mu2, s), rel=1e-9, abs=1e-12)
    assert d == pytest.approx(_quad_kl(mu1, s, mu2, s), rel=1e-6, abs=1e-8)
    assert d == kl_gaussian_same_variance(mu2, mu1, s)  # symmetric


def test_kl_gaussian_known_values() -> None:
    assert kl_gaussian(0.0, 1.0, 0.0, 1.0) == 0.0
    assert kl_gaussian(0.0, 1.0, 1.0, 1.0) == pytest.approx(0.5)
    assert kl_gaussian(0.0, 1.0, 0.0, 2.0) == pytest.approx(math.log(2) + 1 / 8 - 1 / 2)
    # sigma is a standard deviation, not a variance
    assert kl_gaussian_same_variance(0.0, 2.0, 2.0) == pytest.approx(0.5)


# ---------------------------------------------------------------- mean-field factors


@FAST
@given(st.data())
def test_optimal_factor_is_marginal(data: st.DataObject) -> None:
    p = data.draw(joints())
    j = data.draw(st.integers(0, p.ndim - 1))
    q = optimal_factor(p, j)
    assert isinstance(q, np.ndarray)
    assert q.dtype == np.float64
    assert q.shape == (p.shape[j],)
    np.testing.assert_allclose(q, _loop_marginal(p, j), rtol=1e-12, atol=1e-15)
    letters = "abcd"[: p.ndim]
    np.testing.assert_allclose(q, np.einsum(f"{letters}->{letters[j]}", p), rtol=1e-12, atol=1e-15)
    assert q.sum() == pytest.approx(1.0, rel=1e-12)


def test_optimal_factor_accepts_nested_lists_and_1d() -> None:
    q = optimal_factor([[1, 0], [0, 3]], 1)
    assert q.dtype == np.float64
    np.testing.assert_array_equal(q, [1.0, 3.0])
    np.testing.assert_array_equal(optimal_factor([0.25, 0.75], 0), [0.25, 0.75])
    assert optimal_factor(np.ones((1, 1, 1)), 2).shape == (1,)


@FAST
@given(st.data())
def test_optimal_factor_minimises_kl_with_other_factors_fixed(data: st.DataObject) -> None:
    p = data.draw(joints())
    j = data.draw(st.integers(0, p.ndim - 1))
    positive = st.integers(1, 20).map(float)
    factors = [data.draw(pmfs(n, positive)) for n in p.shape]
    factors[j] = optimal_factor(p, j)
    best = kl_to_factorized(p, factors)
    assert math.isfinite(best)

    r = data.draw(pmfs(p.shape[j]))
    t = data.draw(st.floats(0.0, 1.0))
    perturbed = list(factors)
    perturbed[j] = (1.0 - t) * factors[j] + t * r
    assert best <= kl_to_factorized(p, perturbed) + 1e-12


@FAST
@given(st.data())
def test_kl_to_factorized_matches_loop(data: st.DataObject) -> None:
    p = data.draw(joints())
    factors = [data.draw(pmfs(n)) for n in p.shape]
    expected = _loop_kl_to_factorized(p, factors)
    d = kl_to_factorized(p, factors)
    assert type(d) is float
    if math.isinf(expected):
        assert d == math.inf
    else:
        assert d == pytest.approx(expected, rel=1e-10, abs=1e-12)
        assert d >= -1e-12


@FAST
@given(st.data())
def test_kl_to_factorized_of_product_distribution_is_zero(data: st.DataObject) -> None:
    shape = data.draw(shapes)
    factors = [data.draw(pmfs(n)) for n in shape]
    p = factors[0]
    for f in factors[1:]:
        p = np.multiply.outer(p, f)
    assert kl_to_factorized(p, factors) == pytest.approx(0.0, abs=1e-12)


def test_kl_to_factorized_zero_cases() -> None:
    p = np.array([[0.5, 0.0], [0.0, 0.5]])
    # a factor is 0 where the joint has mass -> inf
    assert kl_to_factorized(p, [[1.0, 0.0], [0.5, 0.5]]) == math.inf
    # factors are 0 only where the joint has no mass -> finite
    p2 = np.array([[0.5, 0.5], [0.0, 0.0]])
    assert kl_to_factorized(p2, [[1.0, 0.0], [0.5, 0.5]]) == 0.0
    # the mean-field optimum for a perfectly correlated pair is log 2 (the mutual information)
    assert kl_to_factorized(p, [optimal_factor(p, 0), optimal_factor(p, 1)]) == pytest.approx(
        math.log(2)
    )


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("func", [cross_entropy, kl_divergence])
def test_mismatched_lengths_raise(func) -> None:
    with pytest.raises(ValueError, match="same length"):
        func([0.5, 0.5], [0.2, 0.3, 0.5])


def test_non_1d_pmfs_raise() -> None:
    with pytest.raises(ValueError, match="1-D"):
        entropy([[0.5, 0.5]])
    with pytest.raises(ValueError, match="1-D"):
        kl_divergence([[0.5, 0.5]], [[0.5, 0.5]])


@pytest.mark.parametrize("j", [-1, 2, 5])
def test_optimal_factor_axis_out_of_range(j: int) -> None:
    with pytest.raises(ValueError, match="j must be in"):
        optimal_factor(np.full((2, 3), 1 / 6), j)


def test_kl_to_factorized_bad_factors() -> None:
    p = np.full((2, 3), 1 / 6)
    with pytest.raises(ValueError, match="one factor per axis"):
        kl_to_factorized(p, [[0.5, 0.5]])
    with pytest.raises(ValueError, match="one factor per axis"):
        kl_to_factorized(p, [[0.5, 0.5], [1 / 3] * 3, [1.0]])
    with pytest.raises(ValueError, match="factors\\[1\\] has length 2"):
        kl_to_factorized(p, [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="factors\\[0\\] has length 3"):
        kl_to_factorized(p, [[1 / 3] * 3, [0.5, 0.5]])


@pytest.mark.parametrize(
    "call",
    [
        lambda: kl_gaussian(0.0, 0.0, 0.0, 1.0),
        lambda: kl_gaussian(0.0, 1.0, 0.0, -1.0),
        lambda: kl_gaussian_same_mean(-1.0, 1.0),
        lambda: kl_gaussian_same_variance(0.0, 1.0, 0.0),
    ],
)
def test_non_positive_sigma_raises(call) -> None:
    with pytest.raises(ValueError, match="standard deviation"):
        call()
