"""Whether one answer earns its marks: by the check's shape and tolerances, or, for a
stochastic check sampled several times, by the mean and standard deviation of its answers."""

from __future__ import annotations

from typing import Any

from grader.assignment._answers import is_numeric, moments
from grader.assignment._spec import Check
from grader.grading._compare import mismatch, mismatch_shaped, show
from grader.kernel import _protocol


def why_not(outcome: _protocol.Outcome, expected: Any, check: Check) -> str | None:
    if outcome.kind != "value":
        return outcome.kind
    value, shape = outcome.value, check.returns
    try:
        if is_numeric(shape):
            return mismatch(expected, value, shape, check.rtol, check.atol)
        return mismatch_shaped(expected, value, shape, check.rtol, check.atol)
    except Exception:  # the comparisons take any value; this only keeps a slip to one function
        return "that answer could not be compared with the reference"


def sampled(
    check: Check, group: list[_protocol.Outcome], expected: Any
) -> tuple[_protocol.Outcome, str | None]:
    """Seeded samples of a stochastic answer, judged by their mean and standard deviation."""
    for outcome in group:
        if outcome.kind != "value":
            return outcome, outcome.kind
        if outcome.value is None:
            return outcome, "is a `return` statement missing?"
    try:
        got = moments([o.value for o in group])
    except (ValueError, TypeError):
        return group[0], "its answers are not numbers of one shape"
    for stat in ("mean", "std"):
        reason = mismatch(expected[stat], got[stat], check.returns, check.rtol, check.atol)
        value = _protocol.Outcome("value", value=got[stat])
        if reason == "that is not the right value":
            what = "standard deviation" if stat == "std" else stat
            tolerance = f"rtol {check.rtol:g}, atol {check.atol:g}"
            shown = show(got[stat])
            return value, f"the {what} of its answers is {shown}, not the reference's ({tolerance})"
        if reason is not None:
            return value, f"the {stat} of its answers: {reason}"
    return group[0], None
