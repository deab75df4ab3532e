"""A variable whose answer the bundle does not hold (never public; with variants each student
has their own): what the self-check can judge without it, said as such (the ``unpublished``
reason), never an unqualified pass.

The value must have the answer's type (a number, for a scalar), and where the check says
``same_as = "f"``, equal the student's own ``f`` called on the values their notebook records
(``metadata.grader.variant``; unverified: a student checking a notebook they edited only
misleads themselves). The expected answer is never in the bundle, and the grade never comes
from this: the batch compares with the oracle.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.assignment._answers import is_numeric
from grader.assignment._plan import GradingPlan, student_part
from grader.assignment._spec import Check
from grader.assignment._variants import METADATA_KEY
from grader.errors import VariantError
from grader.grading._intake import submission_name
from grader.grading._reading import read_submission
from grader.kernel import _protocol
from grader.kernel._session import KernelDied
from grader.results._model import OK, CheckResult, Reason

if TYPE_CHECKING:
    from grader.grading._notebook import _Grader


def unpublished(grader: _Grader, check: Check, outcome: _protocol.Outcome) -> CheckResult:
    """The check of a variable whose expected value is not public (a student bundle)."""
    expected = _template(check, outcome)
    own = _own_answer(grader, check) if grader.plan.assignment.variants is not None else None
    if own is not None:
        expected = own
    why = grader._judge(check, outcome, expected)
    if why is None:
        said = Reason("unpublished", {"same_as": check.same_as} if own is not None else {})
        ran = int(own is not None)
        return CheckResult(
            check.function, OK, check.weight, cases_run=ran, cases_passed=ran, reason=said
        )
    failed = grader._failure(check, (0, outcome, expected, why), None, 1, 0)
    return replace(failed, expected=None)  # what it was judged by is no answer to show


def _template(check: Check, outcome: _protocol.Outcome) -> Any:
    """An answer of the right type to judge the value's own by: itself where it has it."""
    value = outcome.value if outcome.kind == "value" else None
    if check.returns == "scalar" and type(value) not in (int, float):
        return 0.0
    return value


def _own_answer(grader: _Grader, check: Check) -> Any:
    """The student's ``same_as`` function on their own values, or None if it gives nothing."""
    named = next((c for c in grader.plan.assignment.checks if c.function == check.same_as), None)
    values = _recorded_values(grader.session.nb)
    if named is None or values is None or any(p not in values for p in named.call_names):
        return None
    try:
        (outcome,) = grader.session.call(
            named.function,
            [kind for _, kind in named.params],
            [[values[p] for p in named.call_names]],
            rich=not is_numeric(named.returns),
        )
    except KernelDied:
        return None
    return outcome.value if outcome.kind == "value" else None


def _recorded_values(nb: Any) -> dict[str, Any] | None:
    record = nb.get("metadata", {}).get(METADATA_KEY, {}).get("variant", {})
    values = record.get("values") if isinstance(record, dict) else None
    return values if isinstance(values, dict) else None


def own_values_plan(plan: GradingPlan, notebook: Path) -> GradingPlan:
    """An instructor's ``grader check`` (the oracles at hand) of a notebook of a sheet with
    variants: graded on the values its record names, unverified (no secret is needed)."""
    if not plan.dependent:
        return plan
    submission = read_submission(notebook)
    values = _recorded_values(submission.nb) if submission.nb is not None else None
    if values is None:
        raise VariantError(
            f"{notebook} carries no variant (metadata.grader.variant): check a student's "
            "released notebook (grader release --roster)"
        )
    part = student_part(plan.assignment, plan.dependent, values)
    return replace(plan, students={submission_name(notebook): part})
