"""Reference oracles for the Variational Inference (KL divergence) exercise sheet.

Conventions (matching the sheet):
- natural logarithm throughout, so all quantities are in nats;
- ``0 log 0 = 0`` and ``0 log(0 / q) = 0``: outcomes with zero probability under ``p``
  contribute nothing, even where ``q`` is zero there;
- ``p_i log(p_i / 0) = +inf`` for ``p_i > 0``: a model assigning zero probability to an outcome
  that occurs has infinite KL divergence / cross-entropy;
- Gaussians are parameterised by mean and *standard deviation* (not variance).

Scalars are returned as Python ``float`` so the grader can compare them uniformly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import entr, rel_entr, xlogy

__all__ = [
    "cross_entropy",
    "entropy",
    "kl_divergence",
    "kl_gaussian",
    "kl_gaussian_same_mean",
    "kl_gaussian_same_variance",
    "kl_to_factorized",
    "optimal_factor",
]


def _as_pmf(p: ArrayLike, name: str) -> NDArray[np.float64]:
    """Convert to a 1-D float64 array; reject other ranks, which would be summed silently."""
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def _as_pair(p: ArrayLike, q: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two 1-D pmfs of equal length; broadcasting a mismatch would give a wrong answer."""
    p_arr, q_arr = _as_pmf(p, "p"), _as_pmf(q, "q")
    if p_arr.shape != q_arr.shape:
        raise ValueError(f"p and q must have the same length, got {p_arr.size} and {q_arr.size}")
    return p_arr, q_arr


def entropy(p: ArrayLike) -> float:
    """Shannon entropy H(p) = -sum_i p_i log p_i in nats, with 0 log 0 = 0.

    ``scipy.special.entr`` implements exactly -x log x with entr(0) = 0.
    """
    return float(np.sum(entr(_as_pmf(p, "p"))))


def cross_entropy(p: ArrayLike, q: ArrayLike) -> float:
    """Cross-entropy H(p, q) = -sum_i p_i log q_i in nats.

    Terms with p_i = 0 contribute 0 even where q_i = 0 (``xlogy(0, 0) == 0``); a q_i = 0 < p_i
    gives +inf.
    """
    p_arr, q_arr = _as_pair(p, q)
    return float(-np.sum(xlogy(p_arr, q_arr)))


def kl_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """KL(p || q) = sum_i p_i log(p_i / q_i) in nats.

    Computed term-wise with ``rel_entr`` (not as H(p, q) - H(p), which cancels catastrophically
    when p is close to q). p_i = 0 terms contribute 0; q_i = 0 < p_i gives +inf.
    """
    p_arr, q_arr = _as_pair(p, q)
    return float(np.sum(rel_entr(p_arr, q_arr)))


def _check_sigma(**sigmas: float) -> None:
    """Standard deviations must be positive; a negative one would be squared away silently."""
    for name, value in sigmas.items():
        if not value > 0:
            raise ValueError(f"{name} must be a standard deviation > 0, got {value}")


def kl_gaussian(mu1: float, sigma1: float, mu2: float, sigma2: float) -> float:
    """KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)) in nats; sigma1, sigma2 are standard deviations.

    Closed form: log(sigma2 / sigma1) + (sigma1^2 + (mu1 - mu2)^2) / (2 sigma2^2) - 1/2.
    """
    _check_sigma(sigma1=sigma1, sigma2=sigma2)
    return float(np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2.0 * sigma2**2) - 0.5)


def kl_gaussian_same_mean(sigma1: float, sigma2: float) -> float:
    """KL(N(mu, sigma1^2) || N(mu, sigma2^2)) for a shared mean mu; sigmas are standard deviations.

    Closed form: sigma1^2 / (2 sigma2^2) - log(sigma1 / sigma2) - 1/2, independent of mu, so mu is
    not a parameter.
    """
    _check_sigma(sigma1=sigma1, sigma2=sigma2)
    return float(sigma1**2 / (2.0 * sigma2**2) - np.log(sigma1 / sigma2) - 0.5)


def kl_gaussian_same_variance(mu1: float, mu2: float, sigma: float) -> float:
    """KL(N(mu1, sigma^2) || N(mu2, sigma^2)) = (mu1 - mu2)^2 / (2 sigma^2); sigma is a std dev.

    Symmetric in mu1 and mu2, unlike the general Gaussian KL.
    """
    _check_sigma(sigma=sigma)
    return float((mu1 - mu2) ** 2 / (2.0 * sigma**2))


def _as_joint(p_joint: ArrayLike) -> NDArray[np.float64]:
    """Joint pmf as a float64 array with at least one axis (one axis per latent variable)."""
    arr = np.asarray(p_joint, dtype=np.float64)
    if arr.ndim < 1:
        raise ValueError("p_joint must have at least one axis (one per variable)")
    return arr


def optimal_factor(p_joint: ArrayLike, j: int) -> NDArray[np.float64]:
    """Factor q_j minimising KL(p || prod_i q_i) with the other factors fixed: the marginal p(Z_j).

    Only the term -sum_{z_j} p(z_j) log q_j(z_j) depends on q_j, and it is minimised over pmfs by
    q_j = p(Z_j) (Gibbs' inequality), whatever the other factors are. ``j`` is a 0-based axis;
    negative indices are rejected so an off-by-one from the sheet's 1-based Z_j is not wrapped.
    """
    arr = _as_joint(p_joint)
    if isinstance(j, bool) or not isinstance(j, (int, np.integer)):
        raise TypeError(f"j must be an integer axis index, got {type(j).__name__}")
    if not 0 <= j < arr.ndim:
        raise ValueError(f"j must be in [0, {arr.ndim - 1}] for a {arr.ndim}-D joint, got {j}")
    other_axes = tuple(i for i in range(arr.ndim) if i != j)
    return np.asarray(arr.sum(axis=other_axes), dtype=np.float64).reshape(arr.shape[j])


def kl_to_factorized(p_joint: ArrayLike, factors: Sequence[ArrayLike]) -> float:
    """KL(p || prod_i q_i) in nats, where the product distribution is the outer product of factors.

    ``factors[i]`` is a 1-D pmf over axis i of ``p_joint``. Entries with p = 0 contribute 0; an
    entry where the product is 0 but p > 0 gives +inf.
    """
    arr = _as_joint(p_joint)
    if len(factors) != arr.ndim:
        raise ValueError(
            f"need one factor per axis of p_joint: got {len(factors)} factors for a "
            f"{arr.ndim}-D joint of shape {arr.shape}"
        )
    q = np.ones((), dtype=np.float64)
    for i, factor in enumerate(factors):
        f = _as_pmf(factor, f"factors[{i}]")
        if f.size != arr.shape[i]:
            raise ValueError(
                f"factors[{i}] has length {f.size} but p_joint has {arr.shape[i]} entries "
                f"on axis {i}"
            )
        q = np.multiply.outer(q, f)
    return float(np.sum(rel_entr(arr, q)))
