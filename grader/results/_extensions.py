"""``--extensions FILE``: per-student extensions, read, checked and kept in the store.

A file of ``student_id,due`` (a new due time, ISO 8601) or ``student_id,days`` (days added to
the spec's due time), one row per student, as an instructor keeps the extensions granted by
e-mail. It is read whole before anything is graded (a bad row stops the run, named), and kept
in the results store (``info``), so ``grader report OUT`` applies the same extensions again
without the file, as the exports keep their roster.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from grader.errors import ExtensionsError
from grader.results._csv import read_record
from grader.results._late import Extension
from grader.results._text_file import read_csv_file

#: The store's ``info`` key the extensions are kept under.
INFO_KEY = "extensions"


def load_extensions(path: Path) -> dict[str, Extension]:
    """The file's extensions by student_id; ExtensionsError names the bad row."""
    rows = read_csv_file(path, "extensions", ExtensionsError).rows
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "student_id" not in header or not {"due", "days"} & set(header):
        raise ExtensionsError(
            path, "the header must be student_id,due (a new due time) or student_id,days"
        )
    found: dict[str, Extension] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = read_record(header, [c.strip() for c in row] + [""] * (len(header) - len(row)))
        extension = _extension(path, number, values)
        if extension.student_id in found:
            raise ExtensionsError(
                path, f"row {number}: student_id {extension.student_id!r} is given twice"
            )
        found[extension.student_id] = extension
    return found


def _extension(path: Path, number: int, values: dict[str, str]) -> Extension:
    student, due, days = values["student_id"], values.get("due", ""), values.get("days", "")
    if not student or bool(due) == bool(days):
        raise ExtensionsError(
            path, f"row {number}: a student_id and either a due time or a number of days"
        )
    if due:
        try:
            dt.datetime.fromisoformat(due)
        except ValueError:
            raise ExtensionsError(
                path, f"row {number}: due {due!r} is not an ISO 8601 time (2024-03-08T23:59)"
            ) from None
        return Extension(student, due=due)
    try:
        extra = float(days)
    except ValueError:
        extra = -1.0
    if not 0 <= extra < 10_000:
        raise ExtensionsError(path, f"row {number}: days {days!r} is not a number of days")
    return Extension(student, days=extra)


def extensions_info(extensions: dict[str, Extension]) -> dict[str, str]:
    """What the store keeps of them (``Store.set_info``)."""
    rows = [[e.student_id, e.due, e.days] for e in extensions.values()]
    return {INFO_KEY: json.dumps(rows)}


def kept_extensions(info: dict[str, str]) -> dict[str, Extension]:
    """The extensions the store kept (none where it kept none)."""
    rows = json.loads(info.get(INFO_KEY, "[]"))
    return {str(s): Extension(str(s), str(due), float(days)) for s, due, days in rows}
