"""``manual-template.csv``: what an instructor fills in for the questions graded by hand,
written from the marked view and the store, so a rebuilt report writes it again, byte for byte."""

from __future__ import annotations

import pandas as pd

from grader.report import _tables
from grader.report._tables import GradedBatch
from grader.results._folder import OutputFolder
from grader.results._marks_store import Mark, load_marks
from grader.results._model import (
    ANSWER_KEY,
    NOT_SUBMITTED,
    PENDING,
    QuestionResult,
    SubmissionResult,
)

TEMPLATE_COLUMNS = ["submission", "question", "answer", "max_points", "points", "comment", "note"]


def write_manual_template(folder: OutputFolder, batch: GradedBatch) -> None:
    """``manual-template.csv``: a row per submission and question graded by hand, with the
    answer; points and comment empty until marked. Only for assignments with such questions."""
    results, context = batch.results, batch.context
    if not context.assignment.manual_questions:
        return
    marks = load_marks(folder)
    rows = [
        _template_row(result, question, marks, context.hashes.get(result.submission, ""))
        for result in results
        for question in result.questions
        if question.manual and question.status != NOT_SUBMITTED  # nothing handed in to mark
    ]
    _tables.write_csv(pd.DataFrame(rows, columns=TEMPLATE_COLUMNS), folder.manual_template)


def _template_row(
    result: SubmissionResult,
    question: QuestionResult,
    marks: dict[tuple[str, str], Mark],
    sha: str,
) -> dict[str, object]:
    answer = result.extra.get(ANSWER_KEY + question.question)
    mark = marks.get((result.submission, question.question))
    note = ""
    if mark is not None and mark.notebook_sha256 != sha:
        note = f"marked {mark.points:g} on an earlier version of this notebook"
    if answer is None:
        note = "; ".join(filter(None, [note, "no answer cell found in this notebook"]))
    marked = question.status != PENDING
    return {
        "submission": result.submission,
        "question": question.question,
        "answer": answer or "",
        "max_points": question.max_points,
        "points": question.points if marked else None,
        "comment": question.comment if marked else "",
        "note": note,
    }
