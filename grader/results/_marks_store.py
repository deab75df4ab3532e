"""Marks given by hand, kept in ``OUT/results.sqlite`` in a table of their own.

The graded results of a run are cleared by ``grader grade --overwrite``; the instructor's marks
are not work to redo, so they live apart (the store keeps them through it), keyed by submission
and question, each with the hash of the notebook it was given against: a regrade of an
unchanged notebook keeps its mark, and one of a changed notebook sends it back for review. A
file of marks is checked whole before anything is stored: one bad row and nothing is merged;
then each mark is saved as ``grader serve`` saves one (a version, an audit row by "csv").

The file comes back from a spreadsheet: one in a European locale saves it with ``;`` between
cells and a decimal comma (``2,5``), so the separator is the one that makes the header's
required columns, and points take a comma for the decimal point. A row whose ``answer`` is
the student left empty or as the notebook's placeholder text is flagged as unanswered
(:func:`unanswered`), whether or not the row gives points.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from grader.assignment._source import ANSWER_PLACEHOLDER, source_path, split_source
from grader.assignment._spec import Assignment
from grader.errors import GraderError, ManualMarksError
from grader.results._csv import read_record
from grader.results._folder import OutputFolder

#: The columns a file of marks must have; others (the answer, max_points, note) are ignored.
REQUIRED = ("submission", "question", "points", "comment")
#: Points as a spreadsheet writes them: ASCII digits only (``float`` would take ``٢`` for 2, or
#: ``1_0`` for 10), a sign so that a negative mark is refused as out of range, not as a word;
#: a decimal point, or the comma of a European locale (``2,5``).
_POINTS = re.compile(r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)")
#: Cell separators a spreadsheet saves CSV with, in the order tried.
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Mark:
    points: float
    comment: str
    #: The notebook the mark was given against.
    notebook_sha256: str


def load_marks(folder: OutputFolder) -> dict[tuple[str, str], Mark]:
    """Every stored mark by (submission, question); none where no store exists."""
    if not folder.store_path.is_file():
        return {}
    store = folder.existing_store()
    try:
        rows = store.marks()
    finally:
        store.close()
    return {(s, q): Mark(p, c, sha) for s, q, p, c, sha in rows}


def merge_marks(folder: OutputFolder, marks_csv: Path, assignment: Assignment) -> int:
    """Check every row of ``marks_csv``, then store them all at once; return how many marks the
    file brought: new ones and changed ones (points, comment, or the notebook they are given
    against), not the rows that repeat a mark the store already holds (those are not saved).

    A row with empty points is skipped (not marked yet). Raises :class:`ManualMarksError`
    listing each bad row, with nothing stored.
    """
    before = load_marks(folder)
    store = folder.existing_store()
    try:
        checked = _checked_rows(marks_csv, assignment, store.done())
        marks = {key: mark for key, mark in checked.items() if before.get(key) != mark}
        # The path every mark takes (the app's too): a new version and an audit row each; the
        # rubric items a mark had are dropped where the file gives other points.
        states = []
        for (submission, question), mark in marks.items():
            current = store.mark_state(submission, question)
            items = current.items if current.points == mark.points else ()
            new = replace(current, points=mark.points, comment=mark.comment, items=items)
            states.append((new, mark.notebook_sha256))
        store.save_marks(states, "csv", f"imported from {marks_csv.name}")
    finally:
        store.close()
    return len(marks)


def _checked_rows(
    marks_csv: Path, assignment: Assignment, graded: dict[str, str]
) -> dict[tuple[str, str], Mark]:
    maximum = {q.id: q.points for q in assignment.manual_questions}
    automatic = {q.id for q in assignment.questions}
    marks: dict[tuple[str, str], Mark] = {}
    first_row: dict[tuple[str, str], int] = {}
    problems: list[str] = []
    for number, row in _rows(marks_csv):
        key = (row["submission"], row["question"])
        problem = _row_problem(row, maximum, automatic, graded)
        if problem is None and key in first_row:
            problem = f"{key[0]} {key[1]} is marked again (first in row {first_row[key]})"
        if problem is not None:
            problems.append(f"row {number}: {problem}")
        elif row["points"].strip():
            first_row[key] = number
            marks[key] = Mark(_number(row["points"]), row["comment"], graded[key[0]])
    if problems:
        raise ManualMarksError(marks_csv, problems)
    return marks


def _row_problem(
    row: dict[str, str], maximum: dict[str, float], automatic: set[str], graded: dict[str, str]
) -> str | None:
    """What is wrong with one row, in words, or None."""
    submission, question, points = row["submission"], row["question"], row["points"].strip()
    if submission not in graded:
        return f"no graded submission is named {submission!r}"
    if question in automatic:
        return f"question {question!r} is graded automatically, not by hand"
    if question not in maximum:
        known = ", ".join(maximum) or "none"
        return f"no question {question!r} is graded by hand (those: {known})"
    if not points:
        return "a comment without points; give the points too" if row["comment"].strip() else None
    if not _POINTS.fullmatch(points):
        return f"points {points!r} for {question} is not a number (digits 0-9 and a point)"
    value = _number(points)
    if not 0 <= value <= maximum[question]:
        return f"points {points} for {question} is outside 0..{maximum[question]:g}"
    return None


def _number(points: str) -> float:
    return float(points.strip().replace(",", "."))


def unanswered(
    marks_csv: Path, assignment: Assignment, written: Mapping[tuple[str, str], str | None]
) -> list[tuple[str, str]]:
    """(submission, question) of each row of ``marks_csv`` whose answer is empty or still the
    placeholder of the student notebook's answer cell: nothing was written there, whatever the
    points say (given or not). The answer is the one ``written`` holds, read from the graded
    notebook (the file's ``answer`` column is the instructor's copy and may be missing); the
    file's column only where the store has none (no answer cell was read)."""
    placeholders = _placeholders(assignment)
    found = []
    for _, row in _rows(marks_csv):
        key = (row["submission"], row["question"])
        if key not in written:
            continue
        text = written[key]
        if text is None:  # no answer cell read (a bundle without its source): the file's copy
            if not _plain(row["answer"]):
                continue
            text = row["answer"]
        plain = _plain(text)
        if not plain or plain in placeholders.get(key[1], ()) or plain == ANSWER_PLACEHOLDER:
            found.append(key)
    return found


def _placeholders(assignment: Assignment) -> dict[str, set[str]]:
    """Each manual question's answer-cell text in the notebook students were given."""
    if not source_path(assignment.folder).is_file():
        return {}
    try:
        cells = split_source(assignment.folder).answer_cells
        given = json.loads(assignment.student_notebook.read_text(encoding="utf-8"))
    except (GraderError, OSError, ValueError):
        return {}
    sources = {c.get("id"): c.get("source", "") for c in given.get("cells", [])}
    found: dict[str, set[str]] = {}
    for question, cell_id in cells:
        text = sources.get(cell_id)
        text = "".join(text) if isinstance(text, list) else text
        if isinstance(text, str) and _plain(text):
            found.setdefault(question, set()).add(_plain(text))
    return found


def _plain(text: str) -> str:
    """Text compared without its layout (a spreadsheet may re-wrap a cell)."""
    return " ".join(text.split())


def _rows(marks_csv: Path) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their spreadsheet row numbers (the header is row 1)."""
    try:
        text = marks_csv.read_text(encoding="utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ManualMarksError(marks_csv, [f"cannot read it as a UTF-8 CSV file ({exc})"]) from None
    header = [name.strip() for name in records[0]] if records else []
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ManualMarksError(marks_csv, [f"row 1: no column {', '.join(missing)}"])
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = read_record(header, record)  # as the template wrote them: names exact
        rows.append((number, {name: cells.get(name, "") for name in (*REQUIRED, "answer")}))
    return rows


def _delimiter(text: str) -> str:
    """The separator that makes a header with every required column (``,`` where none does,
    so the error names the columns missing)."""
    first = text.split("\n", 1)[0]
    for delimiter in _DELIMITERS:
        header = next(csv.reader([first], delimiter=delimiter), [])
        if set(REQUIRED) <= {name.strip() for name in header}:
            return delimiter
    return ","
