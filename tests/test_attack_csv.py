"""Issue 23, items 3, 9 and 12: CSV cells a spreadsheet would run, hand marks for odd names, and
points in other digits.

A class of three (real kernels, graded once) whose file names, returned strings, exception
messages, hand-written answers and roster hold ``;``, tabs and formulas, a newline, a
right-to-left mark and a backslash. Every CSV the grader writes is opened as a spreadsheet would
open it, splitting on ``,`` and on ``;``; the manual-marks template filled in and merged back.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.results._csv import EXACT, csv_text, read_record
from grader.results._folder import OutputFolder
from grader.results._marks_store import load_marks
from tests.conftest import EXAMPLES, ROOT

#: A name that starts a formula and holds another after a ``;`` and a tab.
FORMULA_NAME = "=1+1;@SUM(1)\t-2"
#: A newline, a right-to-left mark, and a formula's start after a ``;``.
ODD_NAME = "a\nb\u200f;+3"
#: A backslash that looks like an escape (the grader names it as intake shows it).
BACKSLASH_NAME = "c\\x41;-4"
RETURNED = "=1+1;=2+2\t@SUM(A1)"
RAISED = "-1;=1+1\t+cmd|' /C calc'!A0"
ANSWER = '=1+1;=HYPERLINK("http://x")\t@x;-1'
MANUAL = ("1a-prose", "1c-derivation")
#: The nine CSV files: OUT's own, the exports (with a roster), and ``grader similarity``'s.
CSVS = {
    "scores.csv",
    "gradebook.csv",
    "checks.csv",
    "manual-template.csv",
    "similarity.csv",
    "similarity-clusters.csv",
    "export/canvas.csv",
    "export/moodle.csv",
    "export/unmatched.csv",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?")


def grader(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def _notebook(path: Path, hostile: bool, answer: str) -> None:
    """Alice's notebook; ``hostile``: entropy returns a formula and cross_entropy raises one."""
    nb = json.loads((EXAMPLES / "alice_numpy.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell.get("id") == "q1a-prose-answer":
            cell["source"] = answer
        elif hostile and cell.get("id") == "entropy":
            cell["source"] = f"def entropy(p):\n    return {RETURNED!r}\n"
        elif hostile and cell.get("id") == "cross-entropy":
            cell["source"] = f"def cross_entropy(p, q):\n    raise ValueError({RAISED!r})\n"
    path.write_text(json.dumps(nb), encoding="utf-8")


def _roster(path: Path) -> None:
    """The formula name as it is; the odd name as ``unmatched.csv`` writes it (a roster is often
    made from that file); a student without a submission; student names holding formulas."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "student_id", "name", "email"])
        writer.writerow([FORMULA_NAME + ".ipynb", "=2+3", "Eve;=1+1\t@x", "-e@x.org;=1"])
        writer.writerow(["a\\x0ab\\u200f\\x3b+3", "s2", "'=Odd", "@o@x.org"])
        writer.writerow(["zoe;=absent", "s3", "+Zoe", ""])


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The class graded with its roster, then ``grader similarity`` (all three are alike)."""
    handins = tmp_path_factory.mktemp("handins")
    _notebook(handins / f"{FORMULA_NAME}.ipynb", hostile=True, answer=ANSWER)
    _notebook(handins / f"{ODD_NAME}.ipynb", hostile=False, answer="+1;-1\tfine")
    _notebook(handins / f"{BACKSLASH_NAME}.ipynb", hostile=False, answer="@x")
    roster = handins.parent / "roster.csv"
    _roster(roster)
    out = tmp_path_factory.mktemp("graded") / "out"
    args = ["--out", out, "--workers", 2, "--roster", roster]
    run = grader("grade", "variational_inference", handins, *args)
    assert run.returncode == 0, run.stderr
    similar = grader("similarity", out)
    assert similar.returncode == 0, similar.stderr
    return out


@pytest.fixture
def out(graded: Path, tmp_path: Path) -> Path:
    """A copy of the graded folder each test may change."""
    return Path(shutil.copytree(graded, tmp_path / "out"))


def _records(path: Path, delimiter: str = ",") -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def _names(out: Path) -> set[str]:
    """The submissions as the store names them: what every CSV must read back to."""
    with closing(sqlite3.connect(out / "results.sqlite")) as db:
        names = {name for (name,) in db.execute("SELECT submission FROM results")}
    assert len(names) == 3 and {FORMULA_NAME, ODD_NAME} < names
    return names


def _rows(path: Path) -> list[dict[str, str]]:
    """Each row as the grader reads its own CSVs back."""
    header, *records = _records(path)
    return [read_record(header, record) for record in records]


def test_no_cell_of_any_csv_starts_a_formula_split_on_comma_or_semicolon(graded):
    found = {p.relative_to(graded).as_posix() for p in graded.rglob("*.csv")}
    assert found == CSVS
    for name in sorted(found):
        for delimiter in (",", ";"):
            for number, record in enumerate(_records(graded / name, delimiter), 1):
                for cell in record:
                    live = cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell)
                    assert not live, f"{name} ({delimiter!r}) line {number}: {cell!r}"


def test_every_text_field_is_quoted_and_every_number_is_not(graded):
    for name in sorted(CSVS):
        with (graded / name).open(encoding="utf-8", newline="") as handle:
            # Unquoted fields are read as numbers: text left unquoted would raise here.
            records = list(csv.reader(handle, quoting=csv.QUOTE_NONNUMERIC))
        assert all(isinstance(cell, str) for cell in records[0]), name
        if name == "gradebook.csv":
            totals = [row[records[0].index("total")] for row in records[1:]]
            assert totals and all(isinstance(total, float) for total in totals)


def test_the_hostile_text_reached_every_csv_and_reads_back_exactly(graded):
    """Not vacuous: each name is in each file that lists submissions, exactly as it is."""
    names = _names(graded)
    for name in ("scores.csv", "gradebook.csv", "checks.csv", "manual-template.csv"):
        assert {row["submission"] for row in _rows(graded / name)} == names, name
    pairs = _rows(graded / "similarity.csv")
    assert {n for row in pairs for n in (row["submission_a"], row["submission_b"])} == names
    assert len(_rows(graded / "similarity-clusters.csv")) == 1
    unmatched = {row["submission"] for row in _rows(graded / "export" / "unmatched.csv")}
    # The odd name matched its roster row; the third has none, zoe no submission.
    assert unmatched == names - {FORMULA_NAME, ODD_NAME} | {"zoe;=absent"}
    moodle = [row[2] for row in _records(graded / "export" / "moodle.csv")[1:3]]
    assert moodle == ["Eve\\x3b=1+1\\x09@x", "'=Odd"]  # the roster's '=Odd read as =Odd
    checks = (graded / "checks.csv").read_text(encoding="utf-8")
    assert "raised ValueError: -1\\x3b=1+1\\x09+cmd|' /C calc'!A0." in checks
    answers = [row[2] for row in _records(graded / "manual-template.csv")]
    assert '\'=1+1\\x3b=HYPERLINK("http://x")\\x09@x\\x3b-1' in answers


def _fill(template: Path, marks: Path, comment: str, extra: Sequence[list[str]] = ()) -> None:
    """The template as a spreadsheet saves it back: every cell as read, points and a comment
    filled in, and ``extra`` rows appended."""
    header, *records = _records(template)
    points, said = header.index("points"), header.index("comment")
    for record in records:
        record[points], record[said] = "1", comment
    with marks.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *records, *extra])


def test_the_filled_template_merges_for_every_name_and_round_trips(out, tmp_path):
    marks = tmp_path / "marks.csv"
    comment = "=ok;@x \\alpha 'a' C:\\"  # as a spreadsheet saves it; lone backslashes stay
    _fill(out / "manual-template.csv", marks, comment)
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 0, run.stderr
    stored = load_marks(OutputFolder(out))
    assert set(stored) == {(name, q) for name in _names(out) for q in MANUAL}
    assert {m.comment for m in stored.values()} == {comment}
    assert {m.points for m in stored.values()} == {1.0}
    # The rewritten template holds the marks; merged again as it is, nothing changes.
    again = tmp_path / "again.csv"
    shutil.copy(out / "manual-template.csv", again)
    assert {row["comment"] for row in _rows(again)} == {comment}
    assert grader("report", out, "--manual", again).returncode == 0
    assert load_marks(OutputFolder(out)) == stored


def test_wrong_marks_merge_nothing_and_the_message_names_every_bad_row(out, tmp_path):
    marks = tmp_path / "marks.csv"
    template = _records(out / "manual-template.csv")
    first = template[1]
    duplicate = [*first[:4], "1", "again", ""]  # as written: the name encoded, read back exact
    unknown = [first[0], "9z", "", "2", "1", ""]
    above = [[first[0], first[1], "", "2", "5", ""] for _ in range(10)]
    _fill(out / "manual-template.csv", marks, "fine", [duplicate, unknown, *above])
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 2, run.stdout
    error = run.stderr.strip().splitlines()[-1]
    assert "Nothing was merged" in error
    bad = range(8, 20)  # rows 2-7 are the template's six, all fine, odd names included
    named = {int(n) for n in re.findall(r"row (\d+): ", error)}
    assert named == set(bad), error
    assert "marked again (first in row 2)" in error and "no question '9z'" in error
    assert load_marks(OutputFolder(out)) == {}


@pytest.mark.parametrize("points", ["\u0662", "\uff12", "1_0", "1e0", " \u0661.5"])
def test_points_in_other_digits_are_refused_naming_the_row(out, tmp_path, points):
    marks = tmp_path / "marks.csv"
    with marks.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "question", "points", "comment"])
        writer.writerow([FORMULA_NAME, "1c-derivation", "1", ""])
        writer.writerow([FORMULA_NAME, "1a-prose", points, ""])
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 2, run.stdout
    error = run.stderr.strip().splitlines()[-1]
    assert "row 3: " in error and "is not a number" in error and "row 2" not in error
    assert load_marks(OutputFolder(out)) == {}


@given(st.text(), st.text(), st.integers(), st.floats(allow_nan=False, allow_infinity=False))
def test_any_text_is_written_safe_and_read_back_exactly(name, feedback, count, number):
    frame = pd.DataFrame([[name, feedback, count, number]], columns=["submission", "x", "n", "f"])
    text = csv_text(frame)
    for delimiter in (",", ";"):
        for record in csv.reader(io.StringIO(text), delimiter=delimiter):
            for cell in record:
                assert not cell.startswith(FORMULA_START) or NUMBER.fullmatch(cell), cell
    header, record = list(csv.reader(io.StringIO(text)))
    row = read_record(header, record)
    assert "submission" in EXACT and row["submission"] == name
    assert (int(row["n"]), float(row["f"])) == (count, number)
