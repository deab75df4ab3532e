"""Diagnosis: naming the mistake behind a failed check, from the assignment's misconception
catalogue (``grader.assignment._misconceptions`` holds the catalogue; this module matches it).

A variant runs here, in the grader's process, on the failing inputs as the student's function
received them (arrays, floats), and its answer is converted as a student's would be (the
kernel driver's own conversions). A misconception is named only when, on every input the
student failed, the variant is wrong too and the student's answer agrees with it within the
check's tolerances: nan with nan, inf with inf, and an exception with the same exception and
message (the kernel runs the grader's own interpreter, so ``math.log(0.0)`` fails alike in
both). The inputs the student got right are not asked: a misconception often gives the right
answer where it does not matter (the base 2 entropy of p = [1.0]).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np

from grader.assignment._answers import call_seed, is_numeric, seeded
from grader.assignment._misconceptions import Misconception
from grader.assignment._plan import GradingPlan
from grader.assignment._seeds import call_values
from grader.assignment._spec import Assignment, Check
from grader.grading._compare import close
from grader.grading._verdict import why_not
from grader.kernel import _driver
from grader.kernel._protocol import Outcome
from grader.results._model import Mismatch

#: A failed case as grading keeps it: the case, what came back, the oracle's answer, why.
Failure = tuple[dict[str, Any], Outcome, Any, Mismatch]
#: Why an outcome earns nothing (the check's own judgement), or None.
Judge = Callable[[Outcome, Any], "Mismatch | None"]


def name_misconception(
    assignment: Assignment, check: Check, failures: Sequence[Failure], judge: Judge
) -> str | None:
    """The key of the first misconception of the catalogue that explains every failure."""
    cases = [(case, outcome, expected) for case, outcome, expected, _ in failures]
    cases = [item for item in cases if item[1].kind not in ("skipped", "missing")]
    if not cases or check.samples > 1:
        return None
    for key, item in assignment.misconceptions.items():
        if item.function == check.function and _explains(item, check, cases, judge):
            return key
    return None


def _explains(
    item: Misconception,
    check: Check,
    cases: list[tuple[dict[str, Any], Outcome, Any]],
    judge: Judge,
) -> bool:
    for variant in item.variants:
        if all(_agrees(variant, check, *case, judge) for case in cases):
            return True
    return False


def _agrees(
    variant: Callable[..., Any],
    check: Check,
    case: dict[str, Any],
    outcome: Outcome,
    expected: Any,
    judge: Judge,
) -> bool:
    """The variant is wrong on this case and the student's outcome is what it gives."""
    answer = run_variant(variant, check, case)
    if answer.kind == "error" or outcome.kind == "error":  # the same exception, same message
        return answer.kind == outcome.kind and answer.message == outcome.message
    if answer.kind != "value" or outcome.kind != "value" or judge(answer, expected) is None:
        return False
    return same(answer.value, outcome.value, check.rtol, check.atol)


def run_variant(variant: Callable[..., Any], check: Check, case: dict[str, Any]) -> Outcome:
    """The variant's answer on one case, as the student's function would have given it."""
    values = call_values(check, case, 0)
    args = [_driver._decode(v, kind, np) for v, (_, kind) in zip(values, check.params)]
    seed = seeded(call_seed(check.key, case, 0)) if check.stochastic else nullcontext()
    try:
        with seed, np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = variant(*args)
    except Exception as exc:  # a variant raising is an answer too: agreeing with a student's
        return Outcome("error", message=_driver._error_text(exc))
    convert = _driver._plain if is_numeric(check.returns) else _driver._rich
    try:
        return Outcome("value", value=convert(value, np, _driver._scalar_types(np), count=[0]))
    except _driver._Unsupported as exc:
        return Outcome("unsupported", message=str(exc))


def never_named(plan: GradingPlan) -> list[str]:
    """The misconceptions no student could be named for: on every frozen input of their
    function, each variant gives the reference's answer (a slip in the catalogue)."""
    checks = {c.function: c for c in plan.assignment.checks}
    problems = []
    for key, item in plan.assignment.misconceptions.items():
        check = checks[item.function]
        if check.samples > 1:
            continue
        pairs = list(zip(plan.cases[check.key], plan.expected[check.key]))
        if not any(
            why_not(run_variant(variant, check, case), expected, check) is not None
            for variant in item.variants
            for case, expected in pairs
        ):
            problems.append(
                f"MISCONCEPTIONS[{key!r}] gives the reference's answer on every frozen input "
                f"of {item.function}, so no student can be told it"
            )
    return problems


def same(a: Any, b: Any, rtol: float, atol: float) -> bool:
    """Equal within tolerance, structure and all; nan agrees with nan, inf with inf."""
    numbers = (int, float)
    if type(a) in numbers and type(b) in numbers:
        if _nan(a) or _nan(b):
            return _nan(a) and _nan(b)
        return close(a, b, rtol, atol)
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(same(x, y, rtol, atol) for x, y in zip(a, b))
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k], rtol, atol) for k in a)
    return type(a) is type(b) and a == b


def _nan(value: Any) -> bool:
    return type(value) is float and math.isnan(value)
