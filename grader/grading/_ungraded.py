"""A notebook's result when it could not be graded at all: every question the same zero.

Kept apart from ``_notebook`` so that the processes which only record such results (a pool's
coordinator, for a notebook that crashed its worker twice; a batch, for a file that is not a
notebook) do not import what grading one needs (nbclient, the kernel's client).
"""

from __future__ import annotations

import time
from typing import Any

from grader.assignment._plan import GradingPlan
from grader.grading._explain import clean
from grader.results._model import ERROR, Event, QuestionResult, Status, SubmissionResult


def zero_result(
    plan: GradingPlan,
    name: str,
    status: Status,
    why: str,
    start: float | None = None,
    params: dict[str, Any] | None = None,
) -> SubmissionResult:
    """Every question gets the same zero when the notebook as a whole failed; ``why`` (the
    grader's own sentence) is the event that says so, ``params`` the same as data (what the
    file is, its size and the cap)."""
    questions = tuple(
        QuestionResult(q.id, 0.0, q.points, status) for q in plan.assignment.questions
    )
    seconds = round(time.monotonic() - start, 3) if start is not None else 0.0
    code = "grader_failed" if status == ERROR else status
    events = (Event(code, {"message": clean(why), **(params or {})}),)
    return SubmissionResult(name, questions, seconds=seconds, events=events)
