"""Root causes: a check that relies on another student function (the spec's ``uses``) names
it when that function fails its own check.

An EM fit graded with the student's own M-step fails when the M-step is wrong, and "that is not
the right value" on the fit sends the student to the wrong place. The dependency is the
author's knowledge (``uses = ["m_step"]``); whether the used function fails is the grading's:
both are data on the check's result, worded by the renderers. Marks never change here.
"""

from __future__ import annotations

from dataclasses import replace

from grader.assignment._spec import Assignment
from grader.results._model import CheckResult, QuestionResult


def with_causes(
    assignment: Assignment, questions: tuple[QuestionResult, ...]
) -> tuple[QuestionResult, ...]:
    """``questions`` with each failing check's ``failed_uses``: the functions it uses that fail
    a check of their own somewhere in the sheet."""
    uses = {(c.question, c.function, c.name): c.uses for c in assignment.checks if c.uses}
    if not uses:
        return questions
    failed = {c.function for q in questions for c in q.checks if not c.passed and not c.variable}
    return tuple(
        replace(q, checks=tuple(_marked(q.question, c, uses, failed) for c in q.checks))
        for q in questions
    )


def _marked(
    question: str,
    check: CheckResult,
    uses: dict[tuple[str, str, str | None], tuple[str, ...]],
    failed: set[str],
) -> CheckResult:
    if check.passed:
        return check
    causes = tuple(u for u in uses.get((question, check.function, check.name), ()) if u in failed)
    return replace(check, failed_uses=causes) if causes else check
