"""Fragile inputs: frozen cases whose right answer moves more than the tolerance when the input
moves by almost nothing (``grader validate``).

On such a case, correct code that rounds differently from the reference (another summation
order, another start for an iterative fit, two near-identical components swapped) can be
refused, and no student can tell why. ``validate`` re-runs the oracle on each case with every
non-zero float nudged by a relative ``NUDGE`` of the check's tighter tolerance (up, then down),
in the grader's process, and judges the nudged answer against the original one as a student's
is judged: beyond the check's tolerances, and refused by its comparator where it has one. A case
it refuses is named.
Zeros and integers stay as they are (they decide support and sizes), and a case the oracle
refuses once nudged (a probability vector that no longer sums to one) is skipped, unjudged.
"""

from __future__ import annotations

from typing import Any

from grader.assignment._plan import GradingPlan, plain_answer
from grader.assignment._spec import Assignment, Check
from grader.grading._compare import show_call
from grader.grading._verdict import by_comparator, why_not
from grader.kernel import _protocol

#: A nudge is this share of the check's tighter tolerance (``rtol`` or ``atol``, an input of
#: order one moving an answer of order one): a well-conditioned answer moves far less than the
#: tolerance, so only answers amplifying input changes a thousandfold are named.
NUDGE = 1e-3
#: The smallest relative nudge: a few units in the last place of a double, never none.
SMALLEST = 1e-15
#: Fragile cases named per check, at most.
SHOWN = 3


def fragile_cases(plan: GradingPlan) -> list[str]:
    """One problem per check with fragile cases, naming the first few."""
    problems = []
    for check in plan.assignment.checks:
        if check.variable or check.stochastic:
            continue
        found = [
            case
            for case, expected in zip(plan.cases[check.key], plan.expected[check.key])
            if _moves(plan.assignment, check, case, expected)
        ]
        if found:
            calls = "; ".join(
                show_call(check.function, c, check.param_names) for c in found[:SHOWN]
            )
            problems.append(
                f"{check.key}: {len(found)} input(s) where the reference's own answer moves "
                f"beyond the tolerance when the input is nudged by {_size(check):.0e} (relative), "
                f"so correct code may be refused there: {calls}. Change the strategy or edges "
                "to avoid them, or loosen the tolerance, then run `grader freeze`"
            )
    return problems


def _size(check: Check) -> float:
    tolerances = [t for t in (check.rtol, check.atol) if t > 0]
    return max(min(tolerances, default=0.0) * NUDGE, SMALLEST)


def _moves(assignment: Assignment, check: Check, case: dict[str, Any], expected: Any) -> bool:
    oracle = assignment.oracle(check)
    for sign in (1.0, -1.0):
        nudged = _nudge(case, _size(check) * sign)
        if nudged == case:
            return False  # nothing to nudge: no float other than zero
        try:
            answer = plain_answer(oracle(**nudged), check.returns)
        except Exception:  # the oracle refuses the nudged input: it says nothing either way
            continue
        if _refused(assignment, check, answer, expected):
            return True
    return False


def _refused(assignment: Assignment, check: Check, answer: Any, expected: Any) -> bool:
    """Whether the nudged answer is refused as a student's would be, against the original: it
    moves beyond the check's tolerances and, where the check has a comparator, that refuses it
    too (an exact comparator refuses any change at all, which says nothing of conditioning; one
    that accepts relabelled components accepts a relabelled nudge)."""
    outcome = _protocol.Outcome("value", answer, "")
    compare = assignment.comparator(check.compare) if check.compare is not None else None
    try:
        if why_not(outcome, expected, check) is None:
            return False
        return compare is None or by_comparator(compare, check, answer, expected) is not None
    except Exception:
        return False


def _nudge(value: Any, relative: float) -> Any:
    """Every non-zero float times ``1 + relative``, alternating the sign along the input, so
    that a sum and a difference of two entries both move."""
    flip = [relative]

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {key: walk(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [walk(inner) for inner in item]
        if type(item) is float and item != 0.0:
            flip[0] = -flip[0]
            return item * (1.0 + flip[0])
        return item

    return walk(value)
