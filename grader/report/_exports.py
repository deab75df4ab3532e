"""Marks for course platforms, under ``OUT/export/``.

- ``gradescope/<submission>/results.json``: Gradescope's autograder results format (a top-level
  ``score`` and one test per check, each with ``name``, ``score``, ``max_score``, ``status``,
  ``output`` and ``visibility``), for an autograder that uploads what the grader computed.
- ``canvas.csv`` and ``moodle.csv`` (with a roster): a gradebook in the columns each platform's
  CSV import reads, one row per student of the roster. A submission that matches nobody in the
  roster, and a student without a submission, are listed in ``unmatched.csv``, never dropped.

A total with a question still waiting to be marked by hand is left blank in the gradebooks (the
platforms skip a blank cell, and the terminal warns, naming the students) rather than sent as if
the missing marks were zero; ``grader report --pending zero`` sends the points so far, and
``--pending omit`` leaves those students' rows out. Canvas and Moodle get the final score (the
late penalty taken off); Gradescope gets the points earned, as it applies its own late policy.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from grader.report import _tables
from grader.report._class_stats import check_points
from grader.report._render_text import PLAIN, check_line, question_text, result_notes
from grader.report._tables import GradedBatch
from grader.results._context import FeedbackOptions
from grader.results._csv import read_record
from grader.results._folder import OutputFolder
from grader.results._model import OK, PENDING, CheckResult, QuestionResult, SubmissionResult
from grader.results._neutralise import neutralise
from grader.results._roster import Roster, keep_roster
from grader.results._scores import Total, total_of

UNMATCHED_COLUMNS = ["submission", "student_id", "name", "email", "total", "problem"]
NO_STUDENT = "no student in the roster has this submission"
NO_SUBMISSION = "this student has no graded submission"


def write_gradescope(folder: OutputFolder, batch: GradedBatch) -> None:
    """One ``results.json`` per submission (a writer of ``_outputs.WRITERS``)."""
    results, context = batch.results, batch.context
    raw = {t.submission: t.raw for t in batch.totals.totals}
    for result in results:
        # Gradescope applies its own late policy: it gets the points earned, never our penalty.
        document = gradescope_results(result, context.feedback, raw[result.submission])
        folder.write(folder.gradescope(result.submission), json.dumps(document, indent=2) + "\n")


def gradescope_results(
    result: SubmissionResult, options: FeedbackOptions, score: float | None = None
) -> dict[str, Any]:
    """The submission in Gradescope's format: tests are the checks (a manual question is one
    test; a pending one has no score yet, so Gradescope shows it unscored, not failed). Each
    output is the feedback's plain text, shown by Gradescope as text (never as HTML)."""
    tests: list[dict[str, Any]] = []
    for question in result.questions:
        if not question.checks or question.comment:  # an override is one test, with its reason
            tests.append(_question_test(result, question, options))
            continue
        for number, check in enumerate(question.checks, 1):
            output = check_line(check, options, PLAIN)
            tests.append(_check_test(question, check, number, output))
    document: dict[str, Any] = {
        "score": total_of(result).points if score is None else score,
        "execution_time": round(result.seconds),
        "output": neutralise(result_notes(result), keep_newlines=True),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "tests": tests,
    }
    return document


def write_gradebooks(folder: OutputFolder, batch: GradedBatch) -> None:
    """``canvas.csv``, ``moodle.csv`` and ``unmatched.csv``, when a roster was given."""
    results, context = batch.results, batch.context
    roster = context.roster
    if roster is None:
        return
    title = context.assignment.title or context.assignment.name
    max_total = sum(q.points for q in context.assignment.questions)
    max_total += sum(q.points for q in context.assignment.manual_questions)
    by_name = {t.submission: t for t in batch.totals.totals}
    grades = [
        (_student(n, s), _grade(by_name.get(n), context.pending))
        for n, s in roster.items()
        if not (context.pending == "omit" and _waiting(by_name.get(n)))
    ]
    _tables.write_csv(_canvas(grades, title, max_total), folder.export("canvas.csv"))
    _tables.write_csv(_moodle(grades, title), folder.export("moodle.csv"))
    _tables.write_csv(unmatched(roster, results, by_name), folder.export("unmatched.csv"))
    keep_roster(folder, roster)


def unmatched(
    roster: Roster, results: Sequence[SubmissionResult], totals: Mapping[str, Total] | None = None
) -> pd.DataFrame:
    """Submissions no student in the roster has, then students without a graded submission;
    a total is the batch's (``totals``, its late penalty taken off), else the result's own."""
    names = {r.submission for r in results}
    totals = totals or {}
    rows = [
        {
            "submission": r.submission,
            "total": (totals.get(r.submission) or total_of(r)).points,
            "problem": _no_student(r),
        }
        for r in sorted(results, key=lambda r: r.submission)
        if r.submission not in roster
    ]
    rows += [
        {"submission": name, **fields, "problem": NO_SUBMISSION}
        for name, fields in roster.items()
        if name not in names
    ]
    return pd.DataFrame(rows, columns=UNMATCHED_COLUMNS)


def _no_student(result: SubmissionResult) -> str:
    """Why a submission is unmatched, with the roster's nearest names where the LMS download's
    matching found some (its ``not_on_roster`` event)."""
    near = [n for e in result.events if e.code == "not_on_roster" for n in e.params.get("near", [])]
    return f"{NO_STUDENT} (nearest names: {', '.join(near)})" if near else NO_STUDENT


def unmatched_rows(path: Path) -> list[tuple[str, str]]:
    """``(submission, problem)`` of each row of an ``unmatched.csv`` written above."""
    with open(path, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    rows = [read_record(records[0], record) for record in records[1:]] if records else []
    return [(row["submission"], row["problem"]) for row in rows]


def _canvas(grades: list[tuple[_Student, float | None]], title: str, top: float) -> pd.DataFrame:
    """Canvas's gradebook import ("Import grades"): its identity columns ``Student, ID, SIS
    User ID, SIS Login ID, Section``, a ``Points Possible`` row, the marks in a column named by
    the assignment (a name without Canvas's ``(id)`` makes a new assignment on import)."""
    columns = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title]
    rows: list[list[Any]] = [["Points Possible", "", "", "", "", top]]
    rows += [[s.name or s.submission, *_canvas_ids(s), s.section, g] for s, g in grades]
    return pd.DataFrame(rows, columns=columns)


def _canvas_ids(student: _Student) -> tuple[str, str, str]:
    """``ID``, ``SIS User ID`` and ``SIS Login ID``: Canvas matches a row by ``ID`` (its own
    user id) where there is one, else by the SIS ids. A roster read from Canvas's gradebook
    without SIS ids has the Canvas id as ``student_id``: sent as ``ID`` only, never as an SIS
    User ID Canvas does not know."""
    if student.canvas_user_id and student.student_id == student.canvas_user_id:
        return student.canvas_user_id, "", ""
    return student.canvas_user_id, student.student_id, ""


def _moodle(grades: list[tuple[_Student, float | None]], title: str) -> pd.DataFrame:
    """Moodle's "Import grades from CSV": its import page maps a column to the user by "ID
    number" (useridnumber) or "Email address" (useremail), named as Moodle's own export names
    them, and one column of marks to the grade item. A roster read from Moodle's worksheet
    on a site without ID numbers has the email as ``student_id``: the ID number is left blank
    then, so mapping by ID number cannot match the wrong user."""
    columns = ["ID number", "Email address", "Full name", title]
    rows = [[_id_number(s), s.email, s.name or s.submission, grade] for s, grade in grades]
    return pd.DataFrame(rows, columns=columns)


def _id_number(student: _Student) -> str:
    return "" if student.email and student.student_id == student.email else student.student_id


def _grade(total: Total | None, pending: str = "warn") -> float | None:
    """The final score to send (its late penalty taken off), or None (a blank cell): no
    submission, or marks still pending (unless ``--pending zero``: the points so far)."""
    if total is None:
        return None
    return total.points if total.final or pending == "zero" else None


def _waiting(total: Total | None) -> bool:
    return total is not None and not total.final


def _student(submission: str, fields: dict[str, str]) -> _Student:
    """A roster row as the gradebooks read it; keys the exports do not use are set aside (a
    roster kept by another version of the grader may hold more)."""
    known = ("student_id", "name", "email", "canvas_user_id", "section")
    return _Student(submission, **{k: v for k, v in fields.items() if k in known})


@dataclass(frozen=True)
class _Student:
    submission: str
    student_id: str
    name: str = ""
    email: str = ""
    #: Canvas's own user id and the section, where the roster came from Canvas.
    canvas_user_id: str = ""
    section: str = ""


def _check_test(
    question: QuestionResult, check: CheckResult, number: int, output: str
) -> dict[str, Any]:
    weight = sum(c.weight for c in question.checks)
    top = question.max_points * check.weight / weight if weight > 0 else 0.0
    return {
        "name": f"{question.question}: {check.label}",
        "number": f"{question.question}.{number}",
        "score": round(check_points(question, check), 6),
        "max_score": round(top, 6),
        "status": "passed" if check.passed else "failed",
        "output": neutralise(output, keep_newlines=True),
        "visibility": "visible",
    }


def _question_test(
    result: SubmissionResult,
    question: QuestionResult,
    options: FeedbackOptions,
) -> dict[str, Any]:
    output = question_text(result, question, options)
    test: dict[str, Any] = {
        "name": f"{question.question} (marked by hand)" if question.manual else question.question,
        "number": question.question,
        "max_score": question.max_points,
        "output": neutralise(output, keep_newlines=True),
        "visibility": "visible",
    }
    if question.status != PENDING:
        test["score"] = question.points
        test["status"] = "passed" if question.status == OK else "failed"
    return test
