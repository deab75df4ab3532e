"""``OUT/checks.csv``: one row per submission and check, for the item analysis of a class.

The failing input and what came back are shown as the function received and returned them
(``np.array([...])``); the feedback is the check's own plain sentences.
"""

from __future__ import annotations

import pandas as pd

from grader.report import _tables
from grader.report._render_text import VALUE_CODES, check_text
from grader.report._tables import GradedBatch
from grader.results._context import FeedbackOptions
from grader.results._folder import OutputFolder
from grader.results._model import CheckResult, QuestionResult, SubmissionResult
from grader.results._values import show

CHECK_COLUMNS = [
    "submission",
    "question",
    "function",
    "status",
    "cases_passed",
    "cases_run",
    "weight",
    "earned",
    "reason",
    "misconception",
    "public",
    "failing_input",
    "returned",
    "feedback",
]


def checks_frame(results: list[SubmissionResult], options: FeedbackOptions) -> pd.DataFrame:
    rows = []
    for result in results:
        for question in result.questions:
            weight = sum(c.weight for c in question.checks) or 1.0
            for check in question.checks:
                row = _row(question, check, weight, options)
                rows.append({"submission": result.submission, **row})
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def _row(
    question: QuestionResult,
    check: CheckResult,
    weight: float,
    options: FeedbackOptions,
) -> dict[str, object]:
    code = check.reason.code if check.reason is not None else ""
    failing = ""
    if check.failing_input is not None and not check.passed:
        failing = ", ".join(f"{k}={show(v)}" for k, v in check.failing_input.items())
    return {
        "question": question.question,
        "function": check.label,
        "status": check.status,
        "cases_passed": check.cases_passed,
        "cases_run": check.cases_run,
        "weight": check.weight,
        "earned": round(question.max_points * check.weight * check.earned / weight, 6),
        "reason": code,
        "misconception": check.misconception or "",
        "public": check.public,
        "failing_input": failing,
        "returned": show(check.returned) if code in VALUE_CODES else "",
        "feedback": check_text(check, options),
    }


def write_checks(folder: OutputFolder, batch: GradedBatch) -> None:
    results, context = batch.results, batch.context
    frame = checks_frame(results, context.feedback)
    _tables.write_csv(frame, folder.checks_csv)
