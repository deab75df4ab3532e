"""Whether one answer earns its marks: by the check's shape and tolerances, or, for a
stochastic check sampled several times, by the mean and standard deviation of its answers.
Why not is a :class:`Mismatch` (data); the renderers word it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from grader.assignment._answers import is_numeric, moments
from grader.assignment._spec import Check
from grader.grading._compare import kind_of, mismatch, mismatch_shaped
from grader.kernel import _protocol
from grader.results._model import ERROR, MISSING, RESOURCE_LIMIT, TIMEOUT, WRONG, Mismatch, Status

#: Why an outcome that is no answer (an exception, a time-out, ...) earns nothing: the outcome's
#: own kind says more, so the reason is built from that (``_explain.reason_of``).
NO_ANSWER = Mismatch("not_comparable")


#: Longest sentence of an author's comparator shown in a letter, in characters.
COMPARATOR_MESSAGE_CAP = 300


def why_not(outcome: _protocol.Outcome, expected: Any, check: Check) -> Mismatch | None:
    if outcome.kind != "value":
        return NO_ANSWER
    value, wrong = project(check, outcome.value)
    if wrong is not None:
        return wrong
    shape = check.graded_shape
    try:
        if is_numeric(shape):
            found = mismatch(expected, value, shape, check.rtol, check.atol)
        else:
            found = mismatch_shaped(expected, value, shape, check.rtol, check.atol)
    except Exception:  # the comparisons take any value; this only keeps a slip to one function
        found = Mismatch("not_comparable")
    return _inside(check, found)


def project(check: Check, value: Any) -> tuple[Any, Mismatch | None]:
    """The part of an answer a per-field check grades (the whole answer for the others), or
    why the answer has no such part. Other fields are not looked at: each earns on its own."""
    if check.field is None:
        return value, None
    if value is None:
        return None, Mismatch("returned_none")
    kind, inner = check.returns
    if kind == "record":
        if type(value) is not dict:
            names = tuple(name for name, _ in inner)
            return None, Mismatch(
                "wrong_kind", expected_kind="record", got_kind=kind_of(value), fields=names
            )
        if check.field not in value:
            return None, Mismatch("field_missing", field=str(check.field))
        return value[check.field], None
    if type(value) is not list:
        return None, Mismatch("wrong_kind", expected_kind="tuple", got_kind=kind_of(value))
    if len(value) != len(inner):
        return None, Mismatch("wrong_count", expected_count=len(inner), got_count=len(value))
    return value[check.field], None


def _inside(check: Check, found: Mismatch | None) -> Mismatch | None:
    """A mismatch of the part graded says where it is: field mu, item 1."""
    if found is None or check.field is None:
        return found
    return replace(found, path=(check.field, *found.path))


def by_comparator(
    compare: Callable[[Any, Any], Any], check: Check, value: Any, expected: Any
) -> Mismatch | None:
    """The author's comparator on the plain data that came back (the part graded): ``True``
    accepts; a sentence refuses and is shown in the letter; anything else refuses."""
    if value is None:
        return Mismatch("returned_none")
    part, wrong = project(check, value)
    if wrong is not None:
        return wrong
    try:
        said = compare(expected, part)
    except Exception:  # the instructor's function on a student's odd answer: not equal
        said = False
    if said is True:
        return None
    if isinstance(said, str) and said.strip():
        message = " ".join(said.split())
        if len(message) > COMPARATOR_MESSAGE_CAP:
            message = message[: COMPARATOR_MESSAGE_CAP - 3] + "..."
        return _inside(check, Mismatch("comparator", message=message))
    return _inside(check, Mismatch("wrong_value"))


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


#: The status of a check whose first failing call ended so (``_protocol.Outcome.kind``).
_STATUS_OF_OUTCOME: dict[str, Status] = {
    "value": WRONG,
    "unsupported": WRONG,
    "unreadable": WRONG,
    "too_large": WRONG,
    "error": ERROR,
    "timeout": TIMEOUT,
    "skipped": TIMEOUT,
    "missing": MISSING,
}


def share_of(check: Check, total: int, passed: int, hidden_passed: int) -> tuple[float | None, int]:
    """A proportional check's share, and how many public cases it leaves out: by default the
    public cases earn nothing (their answers are in the student's bundle), so a function that
    only looks them up earns nothing either."""
    if check.credit != "proportional":
        return None, 0
    public = min(check.public, total)
    if check.public_credit or public == total:
        return passed / total, 0
    return hidden_passed / (total - public), public


def status_of(outcome: _protocol.Outcome) -> Status:
    """A failing call's status; a MemoryError is the machine's limit, not a wrong answer."""
    if outcome.kind == "error" and outcome.message.startswith("MemoryError"):
        return RESOURCE_LIMIT
    return _STATUS_OF_OUTCOME.get(outcome.kind, WRONG)
