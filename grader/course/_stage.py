"""A resolved download made into what the batch grades, and told: staged files, ``intake.csv``.

The batch grades files named ``KEY.ipynb``, so each chosen notebook is copied out of the download
(a zip member, or a file opened without following links) into a private folder under its
student's key; every output then names the student, whatever the LMS called the file. A
notebook over the size cap is not read: a sparse file of its size stands in, so the batch's
own intake gives it its "too big" row unread. ``intake.csv`` lists every file of the download
and what became of it, and every roster student, so nothing is dropped unsaid.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from grader.course._annotation import Annotation
from grader.course._archive import MAX_NOTEBOOK_BYTES, Download
from grader.course._intake import Intake, Keyed, key_text
from grader.course._layouts import SUFFIX
from grader.course._roster import Student
from grader.results._csv import csv_text
from grader.results._folder import OutputFolder

COLUMNS = [
    "submission",
    "student_id",
    "name",
    "status",
    "matched_by",
    "source",
    "submitted_at",
    "submitted_at_source",
    "lms_late",
    "note",
]


def stage(download: Download, intake: Intake, where: Path) -> list[Path]:
    """Write each chosen notebook to ``where/KEY.ipynb``; the files, in key order."""
    files = []
    for keyed in intake.graded:
        path = where / f"{keyed.key}{SUFFIX}"
        item = keyed.handed.item
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            if item.size > MAX_NOTEBOOK_BYTES:
                handle.truncate(item.size)  # sparse: the batch measures it and reads nothing
            else:
                handle.write(download.read(item))
        files.append(path)
    return files


def absent_keys(intake: Intake) -> tuple[str, ...]:
    """The keys of the roster's students who handed nothing in (each gets a row of zeros)."""
    return tuple(key_text(s.student_id) for s in intake.absent)


def annotations(intake: Intake) -> dict[str, Annotation]:
    """Per key, what the layout and roster said (for the batch to keep with each result)."""
    notes = {k.key: Annotation(k.data(intake.layout.name), k.events()) for k in intake.graded}
    for student in intake.absent:
        data = {"student_id": student.student_id, "layout": intake.layout.name}
        notes[key_text(student.student_id)] = Annotation(data)
    return notes


def export_roster(intake: Intake) -> dict[str, dict[str, str]] | None:
    """The roster as the exports join it: key -> student_id, name, email (None: no roster)."""
    if intake.roster is None:
        return None
    rows = {k.key: _export_fields(k.student) for k in intake.graded if k.student is not None}
    for s in intake.absent:
        rows[key_text(s.student_id)] = _export_fields(s)
    return rows


def _export_fields(student: Student) -> dict[str, str]:
    """What the gradebooks need of a student: Canvas matches its import by its own user id
    (``ID``) before the SIS ids and shows the section, so both travel where the roster has them."""
    fields = {"student_id": student.student_id, "name": student.name, "email": student.email}
    if student.ids.get("canvas_user_id"):
        fields["canvas_user_id"] = student.ids["canvas_user_id"]
    if student.section:
        fields["section"] = student.section
    return fields


def write_intake(folder: OutputFolder, intake: Intake, download: Download) -> None:
    """``OUT/intake.csv``: every notebook (graded or superseded), every roster student who
    handed nothing in, and every file ignored or refused, each with why."""
    rows = [_row(k, "graded", intake) for k in intake.graded]
    rows += [
        _row(k, "superseded", intake, "a later notebook of this student counts")
        for k in intake.superseded
    ]
    rows += [
        {
            "submission": key_text(s.student_id),
            "student_id": s.student_id,
            "name": s.name,
            "status": "not_submitted",
            "note": s.status,
        }
        for s in intake.absent
    ]
    rows += [
        {"source": path, "status": "ignored", "note": why} for path, why in intake.layout.ignored
    ]
    rows += [{"source": path, "status": "refused", "note": why} for path, why in download.refused]
    frame = pd.DataFrame(rows, columns=COLUMNS).fillna("")
    folder.write(folder.intake_csv, csv_text(frame))


def _row(keyed: Keyed, status: str, intake: Intake, note: str = "") -> dict[str, str]:
    data = keyed.data(intake.layout.name)
    if not keyed.student and intake.roster is not None:
        status = "not_on_roster" if status == "graded" else status
        near = ", ".join(keyed.near)
        note = note or (f"nearest names on the roster: {near}" if near else "no near name")
    if not note and data.get("earlier_attempts"):
        note = f"earlier attempts, not in the download: {data['earlier_attempts']}"
    return {
        "submission": keyed.key,
        "student_id": data.get("student_id", ""),
        "name": keyed.student.name if keyed.student else keyed.handed.name,
        "status": status,
        "matched_by": data.get("matched_by", ""),
        "source": data.get("source", ""),
        "submitted_at": data.get("submitted_at", ""),
        "submitted_at_source": data.get("submitted_at_source", ""),
        "lms_late": data.get("lms_late", ""),
        "note": note,
    }


def summary(intake: Intake, download: Download) -> list[str]:
    """What was found, in a few lines for the terminal."""
    kind = "zip" if download.kind == "zip" else "folder"
    lines = [
        f"Layout: {intake.layout.name} ({kind} {download.origin}): "
        f"{len(intake.graded)} notebook(s) to grade, {len(intake.superseded)} superseded by a "
        f"later one, {len(intake.layout.ignored)} other file(s) ignored, "
        f"{len(download.refused)} refused."
    ]
    if intake.roster is not None:
        rules: dict[str, int] = {}
        for keyed in intake.graded:
            if keyed.rule:
                rules[keyed.rule] = rules.get(keyed.rule, 0) + 1
        matched = ", ".join(f"{n} by {rule}" for rule, n in rules.items()) or "none"
        strays = sum(1 for k in intake.graded if k.student is None)
        read_as = f" ({intake.roster.encoding_note})" if intake.roster.encoding_note else ""
        lines.append(
            f"Roster: {intake.roster.kind}{read_as}, {len(intake.roster.students)} student(s): "
            "matched "
            f"{matched}; {len(intake.absent)} handed nothing in (not_submitted); {strays} "
            "submission(s) match nobody (not_on_roster)."
        )
        for keyed in [k for k in intake.graded if k.student is None][:10]:
            near = ", ".join(keyed.near) or "none"
            lines.append(f"Not on the roster: {keyed.key} (nearest names: {near}).")
    return lines
