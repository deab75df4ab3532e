"""The arguments of one seeded call: a case's drawn values, and a seed for each seeded parameter.

A function that takes a ``seed`` (kind ``"seed"``) or a ``numpy.random.Generator`` (kind
``"generator"``) gets a different seed on every call, derived from the check, the case and the
call's index (:func:`call_seed`), so a grade never moves between runs and the samples of one
case differ. A Generator cannot travel to the kernel as JSON: the seed does, and the kernel's
driver builds ``np.random.default_rng(seed)`` from it, as :func:`oracle_arguments` does for the
reference, so a student who draws as the reference does gets exactly its numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grader.assignment._answers import SEEDED_KINDS, call_seed

if TYPE_CHECKING:
    from grader.assignment._check_spec import Check


def call_values(check: Check, case: dict[str, Any], index: int) -> list[Any]:
    """The positional arguments as plain JSON data, for the kernel: seeds as ints. The seed is
    worked out only for a function that takes one (a hash per call: most checks take none)."""
    if not any(kind in SEEDED_KINDS for _, kind in check.params):
        return [case[name] for name, _ in check.params]
    seed = call_seed(check.key, case, index)
    return [seed if kind in SEEDED_KINDS else case[name] for name, kind in check.params]


def oracle_arguments(check: Check, case: dict[str, Any], index: int) -> dict[str, Any]:
    """The keyword arguments of the reference's call: a Generator built as the kernel builds
    it, a seed as the int the student gets."""
    if not any(kind in SEEDED_KINDS for _, kind in check.params):
        return case
    seed = call_seed(check.key, case, index)
    arguments = dict(case)
    for name, kind in check.params:
        if kind == "seed":
            arguments[name] = seed
        elif kind == "generator":
            import numpy as np

            arguments[name] = np.random.default_rng(seed)
    return arguments
