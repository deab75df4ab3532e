"""A class roster: who is in the class, by ``student_id``, and the ids an LMS knows them by.

Read from a plain CSV (``student_id`` required; ``name``, ``email``, ``section``,
``submission`` optional) or from an LMS's own export, recognised by its header:

- Canvas's gradebook export: ``Student, ID, SIS User ID, SIS Login ID, Section, ...``; ``ID``
  is the Canvas user id (the one in its submission zips); a ``Points Possible`` row (and a
  ``Muted`` one) follow the header. ``student_id`` is the SIS User ID, else the Canvas id.
- Moodle's grading worksheet ("Download grading worksheet"): ``Identifier`` is
  ``Participant N`` (N the participant id of the zip's names), with ``Full name``, ``Email
  address``, ``Status`` ("Submitted for grading - 2 days 3 hours late") and ``Last modified
  (submission)``. ``student_id`` is the ``ID number`` column where the site shows it, else the
  email address.
- GitHub Classroom's roster export: ``identifier, github_username, github_id, name``.
- Gradescope's grades CSV (an assignment's "Download Grades"): ``First Name, Last Name`` (or
  ``Name``), ``SID, Email, Sections, Total Score, Max Points, Status, Submission ID, Submission
  Time, Lateness (H:M:S), ...``; ``Submission Time`` has an offset (``2024-03-05 08:59:00
  +0100``), ``Lateness (H:M:S)`` is Gradescope's own word on lateness (``00:00:00``: on time),
  ``Status`` ``Missing`` where nothing was handed in. ``student_id`` is the SID, else the email.

A Moodle worksheet of a group assignment has a ``Group`` column (the group's name, or "Default
group"): the download then names each group's submission by its group (see ``_layouts``).
The file may be UTF-8 (with or without a byte-order mark), UTF-16 (Excel's "Unicode text", tab
separated) or Windows-1252, with ``,``, ``;`` or tabs between cells (``results._text_file``).

The file is read whole and checked before anything is graded: one bad row stops the run with
the row named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import RosterError
from grader.results._csv import read_record
from grader.results._text_file import read_csv_file

OPTIONAL = ("name", "email", "section", "submission", "group")
#: Moodle writes the worksheet's times in the site's language; English sites like this.
_MOODLE_TIME = "%A, %d %B %Y, %I:%M %p"
#: Gradescope's grades CSV: ``2024-03-05 08:59:00 +0100``.
_GRADESCOPE_TIME = "%Y-%m-%d %H:%M:%S %z"
_GRADESCOPE_LATENESS = "lateness (h:m:s)"


@dataclass(frozen=True)
class Student:
    student_id: str
    name: str = ""
    email: str = ""
    section: str = ""
    #: The submission's name (a plain folder's file stem), where the roster gives it.
    submission: str = ""
    #: LMS ids: ``canvas_user_id``, ``moodle_participant``, ``github_username``.
    ids: dict[str, str] = field(default_factory=dict)
    #: What the LMS export says of the submission (Moodle's worksheet): status and time.
    status: str = ""
    submitted_at: str = ""
    #: Where ``submitted_at`` came from, and the LMS's own word that the work was late (with
    #: the LMS that said it), where the roster is an LMS's export.
    time_source: str = ""
    late: str = ""
    late_source: str = ""
    #: The student's group in a group assignment (Moodle's worksheet ``Group``).
    group: str = ""


@dataclass(frozen=True)
class ClassRoster:
    kind: str
    students: tuple[Student, ...]
    #: How the file was read where it was not UTF-8 ("" where it was).
    encoding_note: str = ""


def load_class_roster(path: Path) -> ClassRoster:
    """Read and check a roster file of any kind above; RosterError names the bad row."""
    text = read_csv_file(path, "roster")
    return roster_from_rows(path, text.rows, text.not_utf8)


def roster_from_rows(path: Path, rows: list[list[str]], encoding_note: str = "") -> ClassRoster:
    """The roster in ``rows`` (a file's, read as :func:`load_class_roster` reads it)."""
    if not rows:
        raise RosterError(path, "empty; it needs a header row with a student_id column")
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    body = [(n, dict(zip(header, _padded(r, len(header))))) for n, r in enumerate(rows[1:], 2)]
    body = [(n, r) for n, r in body if any(v.strip() for v in r.values())]
    if {"identifier", "github_username"} <= set(lower):
        kind, students = "GitHub Classroom roster", [_classroom(_lowered(r)) for _, r in body]
    elif {"identifier", "full name", "status"} <= set(lower):
        kind, students = "Moodle grading worksheet", [_moodle(_lowered(r)) for _, r in body]
    elif _GRADESCOPE_LATENESS in lower and {"email", "status"} <= set(lower):
        kind = "Gradescope grades CSV"
        students = [_gradescope(_lowered(r)) for _, r in body]
    elif {"student", "id", "sis user id"} <= set(lower):
        kind = "Canvas gradebook export"
        body = [(n, r) for n, r in body if not _canvas_extra(_lowered(r))]
        students = [_canvas(_lowered(r)) for _, r in body]
    elif "student_id" in lower:
        kind = "roster"
        students = [_plain(lower, _padded(rows[n - 1], len(header))) for n, _ in body]
    else:
        raise RosterError(
            path,
            f"no column student_id in the header row ({', '.join(header)}); a roster has "
            f"columns student_id, {', '.join(OPTIONAL)} (or is a Canvas gradebook, a Moodle "
            "grading worksheet or a GitHub Classroom roster export)",
        )
    checked = _checked(path, [(n, s) for (n, _), s in zip(body, students)])
    return ClassRoster(kind, checked, encoding_note)


def _padded(row: list[str], width: int) -> list[str]:
    return [c.strip() for c in row] + [""] * (width - len(row))


def _lowered(row: dict[str, str]) -> dict[str, str]:
    return {k.strip().lower(): v.strip() for k, v in row.items()}


def _checked(path: Path, students: list[tuple[int, Student]]) -> tuple[Student, ...]:
    seen: dict[str, int] = {}
    for number, student in students:
        if not student.student_id:
            raise RosterError(path, f"row {number}: student_id must not be empty")
        if student.student_id in seen:
            raise RosterError(
                path,
                f"row {number}: student_id {student.student_id!r} is already on row "
                f"{seen[student.student_id]}",
            )
        seen[student.student_id] = number
    return tuple(s for _, s in students)


def _plain(header: list[str], row: list[str]) -> Student:
    values = read_record(header, row)  # as the grader writes CSVs: formula prefix dropped
    fields = {k: values.get(k, "") for k in OPTIONAL}
    fields["submission"] = fields["submission"].removesuffix(".ipynb")
    ids = {
        k: values[k]
        for k in ("canvas_user_id", "moodle_participant", "github_username")
        if values.get(k)
    }
    return Student(values["student_id"], **fields, ids=ids)


def _canvas_extra(row: dict[str, str]) -> bool:
    """Canvas's rows under the header that are no student: points possible, muted flags."""
    student = row.get("student", "")
    return (
        student == "Points Possible"
        or student.startswith(("Muted", "Student, Test"))
        or (not row.get("id") and not row.get("sis user id"))
    )


def _canvas(row: dict[str, str]) -> Student:
    canvas_id = row.get("id", "")
    return Student(
        row.get("sis user id") or canvas_id,
        name=row.get("student", ""),
        section=row.get("section", ""),
        ids={"canvas_user_id": canvas_id} if canvas_id else {},
    )


def _moodle(row: dict[str, str]) -> Student:
    identifier = row.get("identifier", "")
    participant = identifier.rsplit(" ", 1)[-1] if identifier else ""
    email = row.get("email address", "")
    status = row.get("status", "")
    submitted_at = _moodle_time(row.get("last modified (submission)", ""))
    late = status if "late" in status.casefold() else ""
    return Student(
        row.get("id number") or email or identifier,
        name=row.get("full name", ""),
        email=email,
        ids={"moodle_participant": participant} if participant.isdigit() else {},
        status=status,
        submitted_at=submitted_at,
        time_source="Moodle grading worksheet" if submitted_at else "",
        late=late,
        late_source="Moodle" if late else "",
        group=row.get("group", ""),
    )


def _gradescope(row: dict[str, str]) -> Student:
    """A row of Gradescope's grades CSV: its time with its offset, its lateness as it says."""
    name = row.get("name") or " ".join(
        p for p in (row.get("first name", ""), row.get("last name", "")) if p
    )
    email, sid = row.get("email", ""), row.get("sid", "")
    status = row.get("status", "")
    submitted = "" if status.casefold() == "missing" else row.get("submission time", "")
    when = _gradescope_time(submitted)
    lateness = row.get(_GRADESCOPE_LATENESS, "") if when else ""
    late = f"{lateness} late" if lateness and lateness.strip("0:") else ""
    return Student(
        sid or email,
        name=name,
        email=email,
        section=row.get("sections", ""),
        status=status,
        submitted_at=when,
        time_source="Gradescope grades CSV" if when else "",
        late=late,
        late_source="Gradescope" if late else "",
    )


def _gradescope_time(text: str) -> str:
    """Gradescope's ``2024-03-05 08:59:00 +0100`` as ISO 8601 ("" for none; the text as it is
    where it is in another form)."""
    if not text:
        return ""
    try:
        return dt.datetime.strptime(text, _GRADESCOPE_TIME).isoformat()
    except ValueError:
        return text


def _moodle_time(text: str) -> str:
    """The worksheet's time as ISO 8601 (the site's local time, no zone given); the text as it
    is where it is not in English, "" for Moodle's ``-`` (nothing submitted)."""
    if text in ("", "-"):
        return ""
    try:
        return dt.datetime.strptime(text, _MOODLE_TIME).isoformat()
    except ValueError:
        return text


def _classroom(row: dict[str, str]) -> Student:
    username = row.get("github_username", "")
    return Student(
        row.get("identifier", ""),
        name=row.get("name", ""),
        ids={"github_username": username} if username else {},
    )
