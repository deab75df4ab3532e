"""The report: a long table (one row per submission and question) and a wide gradebook.

Built from plain results, written atomically. Every CSV of the grader is written by
:func:`write_csv`, through :mod:`grader.results._csv`: control characters are shown escaped (one
row stays one line, and ``cat`` cannot be made to clear a terminal), every text field is quoted,
and no cell can start a formula whichever separator a spreadsheet splits on, so a student's
output can never become one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from grader._files import write_atomic
from grader.report._render_text import question_text, result_notes
from grader.results import _csv
from grader.results._model import PENDING, SubmissionResult

LONG_COLUMNS = ["submission", "question", "points", "max_points", "status", "feedback"]
#: Columns that measure a grading (time, CPU, memory): they differ between two identical runs.
MEASURED_COLUMNS = ["seconds", "cpu_seconds", "memory_peak_mb"]


def scores_frame(
    results: Iterable[tuple[SubmissionResult, str]],
    versions: dict[str, str],
    descriptions: dict[str, str] | None = None,
    show_expected: bool = False,
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
                    "feedback": question_text(result, q, descriptions, show_expected),
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


def gradebook_frame(
    scores: pd.DataFrame, questions: list[str], manual: Sequence[str] = ()
) -> pd.DataFrame:
    """Wide form: one row per submission, a column per question, and the total.

    A question graded by hand and not marked yet is an empty cell, not a zero; the total adds
    what is marked, and with ``manual`` questions a ``pending`` column names those still to mark
    (the total is final when it is empty).
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
    wide["total"] = wide[questions].sum(axis=1).round(6)
    if not manual:
        return wide[["submission", *questions, "total"]]
    waiting = scores[scores["status"] == PENDING].groupby("submission", sort=False)["question"]
    wide["pending"] = wide["submission"].map(waiting.agg(" ".join)).fillna("")
    return wide[["submission", *questions, "total", "pending"]]


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each text cell as :func:`write_csv` writes it (escaped, prefixed)."""
    return _csv.safe_cells(frame)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """The one writer of the grader's CSVs (:func:`grader.results._csv.csv_text`)."""
    write_atomic(path, _csv.csv_text(frame))
