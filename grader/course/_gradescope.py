"""Gradescope's "Export Submissions": ``submission_metadata.yml`` read as data.

The export (``assignment_ID_export/``) holds one ``submission_ID/`` folder per submission and a
YAML file written by Ruby, keyed by those folder names, with Ruby symbols as keys::

    submission_123:
      :submitters:
      - :name: Ana López
        :sid: '20231234'
        :email: ana@uni.example
      :created_at: 2024-03-01 22:59:12.345678000 Z
      :score: 0.0
      :history:
      - :id: 122
        :created_at: 2024-03-01 20:10:00.000000000 Z

(the shape otter-grader's ``GradescopeParser`` and instructors' scripts read with
``yaml.safe_load``). ``:created_at`` is UTC; ``:history`` lists earlier attempts, whose files are
not in the export. A group submission lists each member under ``:submitters``.

The metadata says nothing of lateness; Gradescope's grades CSV (the assignment's "Download
Grades") does, in ``Lateness (H:M:S)``. Put beside the metadata in the export (or given as
``--roster``), its lateness is read and shown as Gradescope's own word (``_roster``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader.course._archive import MAX_METADATA_BYTES, Download, Item
from grader.course._roster import Student, roster_from_rows
from grader.errors import RosterError, SubmissionsError
from grader.results._text_file import csv_from_bytes

METADATA = "submission_metadata.yml"


@dataclass(frozen=True)
class Submitter:
    name: str
    sid: str
    email: str


@dataclass(frozen=True)
class Record:
    """One submission of the metadata: its submitters, its time, its earlier attempts' times."""

    submitters: tuple[Submitter, ...]
    created_at: str
    history: tuple[str, ...]


def read_metadata(download: Download, item: Item) -> dict[str, Record]:
    """The metadata by submission folder; SubmissionsError if it is not Gradescope's YAML."""
    text = download.read(item, MAX_METADATA_BYTES).decode("utf-8", "replace")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SubmissionsError(f"{item.path} is not readable YAML ({exc})") from None
    if not isinstance(data, dict):
        raise SubmissionsError(f"{item.path} is not Gradescope's submission metadata")
    return {str(folder): _record(entry) for folder, entry in data.items()}


def _record(entry: Any) -> Record:
    entry = entry if isinstance(entry, dict) else {}
    submitters = tuple(
        Submitter(_text(s.get(":name")), _text(s.get(":sid")), _text(s.get(":email")))
        for s in entry.get(":submitters") or []
        if isinstance(s, dict)
    )
    history = tuple(
        _time(h.get(":created_at")) for h in entry.get(":history") or [] if isinstance(h, dict)
    )
    return Record(submitters, _time(entry.get(":created_at")), history)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _time(value: Any) -> str:
    """An ISO 8601 time in UTC ("" where none): YAML reads Ruby's ``... Z`` as a datetime."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(dt.timezone.utc).isoformat()
    text = _text(value)
    if not text:
        return ""
    try:
        moment = dt.datetime.fromisoformat(text.replace(" Z", "+00:00").replace("Z", "+00:00"))
    except ValueError:
        return text
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat()


def grades_csv(
    download: Download, items: list[Item]
) -> tuple[dict[str, Student], list[tuple[Item, str]]]:
    """Gradescope's grades CSV where the export holds one at its top: its rows by SID and by
    e-mail (case ignored); and every CSV at the top, with what became of it."""
    rows: dict[str, Student] = {}
    seen: list[tuple[Item, str]] = []
    for item in items:
        if len(item.path.parts) != 1 or not item.path.name.casefold().endswith(".csv"):
            continue
        try:
            text = csv_from_bytes(Path(str(item.path)), download.read(item, MAX_METADATA_BYTES),
                                  "grades CSV")  # fmt: skip
            roster = roster_from_rows(Path(str(item.path)), text.rows)
        except (RosterError, SubmissionsError) as exc:
            seen.append((item, f"not Gradescope's grades CSV ({exc})"))
            continue
        if roster.kind != "Gradescope grades CSV":
            seen.append((item, "a CSV that is not Gradescope's grades CSV"))
            continue
        for student in roster.students:
            rows.update({k: student for k in (student.student_id, student.email.casefold()) if k})
        seen.append((item, "Gradescope's grades CSV: its Lateness (H:M:S) is read"))
    return rows, seen
