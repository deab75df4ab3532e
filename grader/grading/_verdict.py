"""Whether one answer earns its marks: by the check's shape and tolerances, or, for a
stochastic check sampled several times, by the mean and standard deviation of its answers.
Why not is a :class:`Mismatch` (data); the renderers word it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from grader.assignment._answers import is_numeric, moments
from grader.assignment._spec import Check
from grader.grading._compare import mismatch, mismatch_shaped
from grader.kernel import _protocol
from grader.results._model import Mismatch

#: Why an outcome that is no answer (an exception, a time-out, ...) earns nothing: the outcome's
#: own kind says more, so the reason is built from that (``_explain.reason_of``).
NO_ANSWER = Mismatch("not_comparable")


def why_not(outcome: _protocol.Outcome, expected: Any, check: Check) -> Mismatch | None:
    if outcome.kind != "value":
        return NO_ANSWER
    value, shape = outcome.value, check.returns
    try:
        if is_numeric(shape):
            return mismatch(expected, value, shape, check.rtol, check.atol)
        return mismatch_shaped(expected, value, shape, check.rtol, check.atol)
    except Exception:  # the comparisons take any value; this only keeps a slip to one function
        return Mismatch("not_comparable")


def sampled(
    check: Check, group: list[_protocol.Outcome], expected: Any
) -> tuple[_protocol.Outcome, Mismatch | None]:
    """Seeded samples of a stochastic answer, judged by their mean and standard deviation."""
    for outcome in group:
        if outcome.kind != "value":
            return outcome, NO_ANSWER
        if outcome.value is None:
            return outcome, Mismatch("returned_none")
    try:
        got = moments([o.value for o in group])
    except (ValueError, TypeError):
        return group[0], Mismatch("mixed_samples")
    for stat in ("mean", "std"):
        found = mismatch(expected[stat], got[stat], check.returns, check.rtol, check.atol)
        if found is not None:
            value = _protocol.Outcome("value", value=got[stat])
            tolerance = {"rtol": check.rtol, "atol": check.atol}
            extra = tolerance if found.code == "wrong_value" else {}
            return value, replace(found, statistic=stat, **extra)
    return group[0], None
