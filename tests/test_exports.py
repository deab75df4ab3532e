"""Exports for course platforms: Gradescope's results.json, Canvas and Moodle gradebooks joined
with a roster, and the roster's own errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import CLASS, EXAMPLES, HOSTILE, ROOT

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def grader(*args):
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_gradescope_results_have_the_documented_shape(graded_class):
    out, _ = graded_class
    folders = sorted(p.name for p in (out / "export" / "gradescope").iterdir())
    assert folders == sorted([*CLASS, HOSTILE])
    book = pd.read_csv(out / "gradebook.csv", dtype={"submission": str}).set_index("submission")
    for name in folders:
        doc = json.loads((out / "export" / "gradescope" / name / "results.json").read_text())
        assert isinstance(doc["score"], float | int)
        assert doc["score"] == pytest.approx(book.loc[name, "total"])
        assert doc["visibility"] in VISIBILITY
        assert doc["tests"], name
        for test in doc["tests"]:
            assert {"name", "max_score", "output", "visibility"} <= set(test), test
            assert isinstance(test["name"], str) and isinstance(test["output"], str)
            assert test["visibility"] in VISIBILITY
            if "score" in test:
                assert 0 <= test["score"] <= test["max_score"]
                full = test["score"] == test["max_score"]
                assert test["status"] == ("passed" if full else "failed")
        scored = sum(t.get("score", 0) for t in doc["tests"])
        assert scored == pytest.approx(doc["score"])


def test_gradescope_failed_test_says_what_went_wrong(graded_class):
    out, _ = graded_class
    doc = json.loads((out / "export" / "gradescope" / "dave_log2" / "results.json").read_text())
    failed = [t for t in doc["tests"] if t.get("status") == "failed"]
    assert [t["name"] for t in failed] == ["1a: entropy", "1a: cross_entropy", "1a: kl_divergence"]
    for test in failed:
        assert test["score"] == 0 and test["max_score"] == 1.0
        assert test["name"].split()[-1] in test["output"]


def test_the_roster_join_lists_unmatched_names(graded_class):
    out, run = graded_class
    unmatched = pd.read_csv(out / "export" / "unmatched.csv", dtype=str)
    problems = dict(zip(unmatched["submission"], unmatched["problem"]))
    assert set(problems) == {"ivan_unfinished", "zoe_absent"}
    assert "no student" in problems["ivan_unfinished"]
    assert "no graded submission" in problems["zoe_absent"]
    assert "ivan_unfinished" in run.stderr and "zoe_absent" in run.stderr
    assert str(out / "export" / "unmatched.csv") in run.stderr


def test_canvas_and_moodle_gradebooks(graded_class):
    out, _ = graded_class
    with open(out / "export" / "canvas.csv", encoding="utf-8", newline="") as handle:
        canvas = list(csv.reader(handle))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0] == "Points Possible" and float(canvas[1][5]) > 0
    rows = {row[2]: row for row in canvas[2:]}
    assert list(rows) == ["s001", "s004", "s005", "s006", "s013", "s026"]  # the roster's order
    for student, name in [("s001", "alice_numpy"), ("s004", "dave_log2"), ("s013", HOSTILE)]:
        doc = json.loads((out / "export" / "gradescope" / name / "results.json").read_text())
        pending = any("score" not in t for t in doc["tests"])  # a question marked by hand
        cell = rows[student][5]
        assert cell == "" if pending else float(cell) == doc["score"], rows[student]
    assert rows["s013"][0] == "Mallory"
    assert rows["s026"][5] == ""  # no submission: a blank cell, not a zero
    moodle = pd.read_csv(out / "export" / "moodle.csv", dtype=str)
    assert list(moodle.columns[:3]) == ["ID number", "Email address", "Full name"]
    assert moodle.set_index("ID number").loc["s004", "Email address"] == "dave@example.org"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("submission,name\nalice_numpy,Alice\n", "no column student_id"),
        ("submission,student_id\nalice_numpy,s1\nalice_numpy,s2\n", "row 3"),
        ("submission,student_id\nalice_numpy,\n", "row 2"),
        ("", "header row"),
    ],
    ids=["no-id-column", "duplicate", "empty-id", "empty-file"],
)
def test_a_bad_roster_is_one_clear_error_before_grading(tmp_path, text, says):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    run = grader(
        "grade",
        "variational_inference",
        EXAMPLES / "alice_numpy.ipynb",
        "--out",
        tmp_path / "out",
        "--roster",
        roster,
    )
    assert run.returncode == 2, run
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and str(roster) in last and says in last, last
    assert not (tmp_path / "out" / "results.sqlite").exists()  # refused before grading


def test_gradebook_ids_follow_each_lms_import():
    """Canvas: ``ID`` is its own user id, and a roster whose student_id is that id (a Canvas
    gradebook without SIS ids) sends no SIS User ID. Moodle: an email standing in for a
    missing ID number is not sent as the ID number (mapping by ID number would miss)."""
    from grader.report._exports import _canvas, _moodle, _student

    canvas_only = _student("s1", {"student_id": "1001", "name": "A", "canvas_user_id": "1001"})
    with_sis = _student("s2", {"student_id": "2023", "canvas_user_id": "1002", "section": "B"})
    plain = _student("s3", {"student_id": "2024", "extra": "ignored"})
    grades = [(canvas_only, 5.0), (with_sis, 4.0), (plain, None)]
    rows = _canvas(grades, "Sheet 1", 10.0).values.tolist()
    assert rows[0][:5] == ["Points Possible", "", "", "", ""]
    assert rows[1][:5] == ["A", "1001", "", "", ""]
    assert rows[2][:5] == ["s2", "1002", "2023", "", "B"]
    assert rows[3][:5] == ["s3", "", "2024", "", ""]
    by_mail = _student("s4", {"student_id": "d@x.org", "email": "d@x.org"})
    moodle = _moodle([(by_mail, 3.0), (with_sis, 4.0)], "Sheet 1")
    assert list(moodle.columns) == ["ID number", "Email address", "Full name", "Sheet 1"]
    assert moodle["ID number"].tolist() == ["", "2023"]
