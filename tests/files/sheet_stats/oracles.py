"""Reference samplers of the sheet_stats test sheet."""

import numpy as np


def draw(mu, sigma):
    return float(np.random.normal(mu, sigma))


def draw_seeded(mu, sigma, seed):
    return float(np.random.default_rng(seed).normal(mu, sigma))


def draw_rng(mu, sigma, rng):
    return float(rng.normal(mu, sigma))
