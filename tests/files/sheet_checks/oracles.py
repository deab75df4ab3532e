"""Reference answers of the sheet_checks test sheet."""

from dataclasses import dataclass

import numpy as np


@dataclass
class Summary:
    mean: float
    spread: float


def summary(x):
    return Summary(float(np.mean(x)), float(np.max(x) - np.min(x)))


def ends(x):
    return [float(np.min(x)), float(np.max(x))]


def bounds(x):
    return (float(np.min(x)), float(np.max(x)))


def answer():
    return 42.0


def double(x):
    return 2.0 * x
