"""Reference answers of gaussian_kl, and the generator of one of its per-student values."""

import math


def kl_gaussian(mu1: float, sigma1: float, mu2: float, sigma2: float) -> float:
    """KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)) in nats; sigmas are standard deviations."""
    return math.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2.0 * sigma2**2) - 0.5


def kl_mine(mu1: float, sigma1: float, mu2: float, sigma2: float) -> float:
    """The value ``kl_mine`` of a student's notebook: the KL of their own two Gaussians."""
    return kl_gaussian(mu1, sigma1, mu2, sigma2)


def pick_sigma2(seed: int) -> float:
    """sigma2 of a student's variant, from their 64-bit seed: 0.6, 0.7, ..., 2.5 (plain
    arithmetic on the seed, so the same seed gives the same number on every version)."""
    return round(0.6 + 0.1 * (seed % 20), 1)
