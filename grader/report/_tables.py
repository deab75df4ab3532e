"""The report: a long table (one row per submission and question) and a wide gradebook.

Built from plain results, written atomically. Every CSV of the grader is written by
:func:`write_csv`, through :mod:`grader.results._csv`: control characters are shown escaped (one
row stays one line, and ``cat`` cannot be made to clear a terminal), every text field is quoted,
and no cell can start a formula whichever separator a spreadsheet splits on, so a student's
output can never become one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from grader._files import write_atomic
from grader.report._late_text import late_text
from grader.report._render_text import question_text, result_notes
from grader.results import _csv
from grader.results._context import NO_OPTIONS, FeedbackOptions, OutputContext
from grader.results._model import PENDING, SubmissionResult
from grader.results._scores import ClassTotals, Total, class_totals

LONG_COLUMNS = ["submission", "question", "points", "max_points", "status", "feedback"]
#: Columns that measure a grading (time, CPU, memory): they differ between two identical runs.
MEASURED_COLUMNS = ["seconds", "cpu_seconds", "memory_peak_mb"]


def scores_frame(
    results: Iterable[tuple[SubmissionResult, str]],
    versions: dict[str, str],
    options: FeedbackOptions = NO_OPTIONS,
) -> pd.DataFrame:
    """Long form: ``submission, question, points, max_points, status, feedback`` first.

    ``versions`` are the run's; a result's ``extra`` overrides those it names (``sandbox``)."""
    rows = []
    for result, sha in results:
        for q in result.questions:
            rows.append(
                {
                    "submission": result.submission,
                    "question": q.question,
                    # a question not marked yet has no points (it is not a zero)
                    "points": None if q.status == PENDING else q.points,
                    "max_points": q.max_points,
                    "status": q.status,
                    "feedback": question_text(result, q, options),
                    "notes": result_notes(result),
                    "seconds": result.seconds,
                    "cpu_seconds": result.usage.get("cpu_seconds"),
                    "memory_peak_mb": result.usage.get("memory_peak_mb"),
                    "notebook_sha256": sha,
                    **versions,
                    # What graded this one where it differs by submission (a cluster's worker).
                    **{k: v for k, v in result.extra.items() if k in versions},
                }
            )
    columns = [*LONG_COLUMNS, "notes", *MEASURED_COLUMNS]
    columns += ["notebook_sha256", *versions]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class GradedBatch:
    """A graded batch as every output sees it: its results, their context, and its scores
    tables and totals, built once by :func:`batch_of`, so that no two outputs add up
    differently (the terminal, the page, the CSVs, the letters and the exports)."""

    results: list[SubmissionResult]
    context: OutputContext
    scores: pd.DataFrame
    gradebook: pd.DataFrame
    totals: ClassTotals


def batch_of(results: list[SubmissionResult], context: OutputContext) -> GradedBatch:
    """The batch's tables and totals, each total judged once by the late rules (the spec's
    ``[late]`` policy and the extensions): every output reads these."""
    totals = class_totals(results, context.late_rules)
    pairs = ((r, context.hashes.get(r.submission, "")) for r in results)
    scores = scores_frame(pairs, context.versions, context.feedback)
    book = gradebook_frame(scores, totals, context.questions, context.manual_questions)
    return GradedBatch(results, context, scores, book, totals)


def gradebook_frame(
    scores: pd.DataFrame, totals: ClassTotals, questions: list[str], manual: Sequence[str] = ()
) -> pd.DataFrame:
    """Wide form: one row per submission, a column per question, and the total.

    Where a total has lateness to say, the points earned (``raw_total``), the penalty
    (``penalty_percent``, ``penalty_points``) come before ``total`` (the final score) and the
    reason (``late``) last; a batch with no due time and no LMS word has none of these.

    A question graded by hand and not marked yet is an empty cell, not a zero; the total is the
    points given so far (:class:`~grader.results._scores.Total`), and with ``manual`` questions
    a ``pending`` column names those still to mark (the total is final when it is empty).
    """
    submissions = list(dict.fromkeys(scores["submission"]))
    wide = (
        scores.set_index(["submission", "question"])["points"]
        .unstack("question")
        .reindex(index=submissions, columns=questions)
        .astype(float)
    )
    wide.index.name, wide.columns.name = "submission", None
    wide = wide.reset_index()
    by_name = {t.submission: t for t in totals.totals}
    wide["total"] = [by_name[name].points for name in wide["submission"]]
    columns = ["submission", *questions]
    if totals.any_late:  # only where lateness has something to say: raw, penalty, reason
        columns += _late_columns(wide, [by_name[name] for name in wide["submission"]])
    columns.append("total")
    if manual:
        wide["pending"] = [" ".join(by_name[name].pending) for name in wide["submission"]]
        columns.append("pending")
    if totals.any_late:
        columns.append("late")
    return wide[columns]


def _late_columns(wide: pd.DataFrame, totals: list[Total]) -> list[str]:
    """The points earned, the penalty (percentage and points) and, after the total, why."""
    wide["raw_total"] = [t.raw for t in totals]
    wide["penalty_percent"] = [t.late.percent if t.late else 0.0 for t in totals]
    wide["penalty_points"] = [t.penalty_points for t in totals]
    wide["late"] = [late_text(t) for t in totals]
    return ["raw_total", "penalty_percent", "penalty_points"]


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each text cell as :func:`write_csv` writes it (escaped, prefixed)."""
    return _csv.safe_cells(frame)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """The one writer of the grader's CSVs (:func:`grader.results._csv.csv_text`)."""
    write_atomic(path, _csv.csv_text(frame))
