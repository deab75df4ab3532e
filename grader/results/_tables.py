"""The report: a long table (one row per submission and question) and a wide gradebook.

Built from plain results, written atomically. Text is neutralised as it is written: control
characters are shown escaped (one row stays one line, and ``cat`` cannot be made to clear a
terminal), and a cell a spreadsheet would read as a formula is quoted, so a student's output can
never become one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from grader._files import write_atomic
from grader.results import _text
from grader.results._model import SubmissionResult
from grader.results._render_text import question_text

LONG_COLUMNS = ["submission", "question", "points", "max_points", "status", "feedback"]
#: Columns that measure a grading (time, CPU, memory): they differ between two identical runs.
MEASURED_COLUMNS = ["seconds", "cpu_seconds", "memory_peak_mb"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def scores_frame(
    results: Iterable[tuple[SubmissionResult, str]],
    versions: dict[str, str],
    descriptions: dict[str, str] | None = None,
    show_expected: bool = False,
) -> pd.DataFrame:
    """Long form: ``submission, question, points, max_points, status, feedback`` first."""
    rows = []
    for result, sha in results:
        for q in result.questions:
            rows.append(
                {
                    "submission": result.submission,
                    "question": q.question,
                    "points": q.points,
                    "max_points": q.max_points,
                    "status": q.status,
                    "feedback": question_text(result, q, descriptions, show_expected),
                    "notes": result.notes,
                    "seconds": result.seconds,
                    "cpu_seconds": result.usage.get("cpu_seconds"),
                    "memory_peak_mb": result.usage.get("memory_peak_mb"),
                    "notebook_sha256": sha,
                    **versions,
                }
            )
    columns = [*LONG_COLUMNS, "notes", *MEASURED_COLUMNS]
    columns += ["notebook_sha256", *versions]
    return pd.DataFrame(rows, columns=columns)


def gradebook_frame(scores: pd.DataFrame, questions: list[str]) -> pd.DataFrame:
    """Wide form: one row per submission, a column per question, and the total."""
    wide = scores.pivot_table(
        index="submission", columns="question", values="points", aggfunc="sum", sort=False
    ).reindex(columns=questions)
    wide = wide.reset_index()
    wide.columns.name = None
    wide["total"] = wide[questions].sum(axis=1).round(6)
    return wide[["submission", *questions, "total"]]


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Escape control characters in text, and quote text a spreadsheet would evaluate."""
    safe = frame.copy()
    for column in safe.columns:
        # pandas 3 stores text as its own string dtype, earlier versions as object.
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column].dtype):
            safe[column] = safe[column].map(_safe_cell)
    return safe


def _safe_cell(value: object) -> object:
    if not isinstance(value, str):
        return value
    text = _text.neutralise(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    write_atomic(path, neutralise(frame).to_csv(index=False))
