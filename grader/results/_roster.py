"""The class roster (``--roster CSV``): which student handed in which submission.

Course platforms import marks by student, not by file name; the roster joins the two. It is read
whole and checked when the command starts, so a bad file stops the run with the row named, never
half-way through writing the exports. Loaded, it is what ``OutputContext.roster`` holds:
submission name -> ``{"student_id", "name", "email"}``, in the file's order.

The exports keep the roster they were joined with (``OUT/export/roster.json``), so ``grader
report OUT`` without ``--roster`` (after merging manual marks, say) joins the same students again.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.errors import RosterError
from grader.results._csv import read_record
from grader.results._folder import OutputFolder
from grader.results._text_file import read_csv_file

#: Columns a roster must have; ``name`` and ``email`` may be left out (or empty).
REQUIRED = ("submission", "student_id")
OPTIONAL = ("name", "email")


Roster = dict[str, dict[str, str]]


def load_roster(path: Path) -> Roster:
    """Read a roster CSV (``submission, student_id, name, email``; a header row first)."""
    rows = read_csv_file(path, "roster").rows  # UTF-8 (a BOM is no column name), UTF-16, cp1252
    if not rows:
        raise RosterError(path, f"empty; it needs a header row: {', '.join(REQUIRED + OPTIONAL)}")
    header = [h.strip().lower() for h in rows[0]]
    absent = [c for c in REQUIRED if c not in header]
    if absent:
        raise RosterError(
            path,
            f"no column {', '.join(absent)} in the header row ({', '.join(rows[0])}); "
            f"a roster has columns {', '.join(REQUIRED + OPTIONAL)}",
        )
    return _students(path, header, rows[1:])


def _students(path: Path, header: list[str], rows: list[list[str]]) -> Roster:
    students: Roster = {}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        # Read as the grader writes its CSVs (a roster is often made from unmatched.csv): the
        # formula prefix dropped, and a submission's name decoded to the exact name.
        values = read_record(header, [c.strip() for c in row] + [""] * (len(header) - len(row)))
        name = values["submission"].removesuffix(".ipynb")  # the file's name, or its stem
        if not name or not values["student_id"]:
            raise RosterError(path, f"row {number}: submission and student_id must not be empty")
        if name in seen:
            raise RosterError(
                path, f"row {number}: submission {name!r} is already on row {seen[name]}"
            )
        seen[name] = number
        students[name] = {key: values.get(key, "") for key in ("student_id", "name", "email")}
    return students


def keep_roster(folder: OutputFolder, roster: Roster) -> None:
    """Save the roster the exports used, for a later ``grader report OUT`` without one."""
    text = json.dumps(roster, indent=2, ensure_ascii=False) + "\n"
    folder.write(folder.export("roster.json"), text)


def kept_roster(folder: OutputFolder) -> Roster | None:
    """The roster the last exports in ``folder`` used, or None where none was given."""
    path = folder.export("roster.json")
    if not path.is_file():
        return None
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): {str(f): str(v) for f, v in row.items()} for k, row in kept.items()}
    except (OSError, ValueError, AttributeError) as exc:  # JSON or UTF-8 errors, not a dict
        raise RosterError(path, f"not a roster the grader kept ({exc}); pass --roster") from None
