"""Deadlines, late rules and extensions through the real CLI and real kernels, on LMS downloads
built as the vendors write them (``lms_fixtures``): what the LMS says of lateness is shown even
without a due time, unknown lateness is said and costs nothing, naive times are read in the due
time's zone, a git commit time is said to be forgeable, and extensions are kept in the store.
(The Gradescope class with a rule per day, a cap, zero after N days and an extension, and every
output agreeing on its final scores, is in ``test_totals``.)"""

from __future__ import annotations

import csv
from pathlib import Path

import lms_fixtures as F
import pandas as pd

from tests.conftest import run_grader as grader

#: Due at midnight in Berlin, 1% per started hour up to 50%.
HOURLY = """
[late]
due = "2024-03-04T23:59:00"
timezone = "Europe/Berlin"
percent = 1
per = "hour"
cap_percent = 50
"""


def _book(out: Path) -> pd.DataFrame:
    book = pd.read_csv(out / "gradebook.csv", dtype={"submission": str, "late": str})
    return book.set_index("submission")


def test_canvas_late_marker_is_shown_without_a_due_time_and_costs_nothing(tmp_path):
    download = F.canvas(tmp_path / "download")
    roster = F.canvas_gradebook(tmp_path / "gradebook.csv")
    out = tmp_path / "out"
    run = grader("grade", "variational_inference", download, "--out", out, "--roster", roster)
    assert run.returncode == 0, run.stderr
    book = _book(out)
    said = "Late, as Canvas marks it late (LATE); the sheet sets no due time, so no late penalty"
    assert book.loc["20230002", "late"].startswith(said)
    assert book.loc["20230002", "total"] == book.loc["20230002", "raw_total"]
    assert (book["penalty_percent"] == 0).all()
    assert book.loc[["20230001", "20230003", "20230004"], "late"].isna().all()
    assert said in (out / "feedback" / "20230002.md").read_text()
    assert "Late: 1 submission(s), 0 with a late penalty." in run.stdout


def test_unknown_lateness_is_said_and_no_penalty_is_applied(tmp_path):
    sheet = F.late_sheet(tmp_path / "sheet", HOURLY)
    download = F.canvas(tmp_path / "download")
    roster = F.canvas_gradebook(tmp_path / "gradebook.csv")
    out = tmp_path / "out"
    run = grader("grade", sheet, download, "--out", out, "--roster", roster)
    assert run.returncode == 0, run.stderr
    book = _book(out)
    for key in ("20230001", "20230002", "20230003"):
        assert book.loc[key, "late"].startswith("Lateness unknown"), key
        assert "so no late penalty is applied" in book.loc[key, "late"]
        assert book.loc[key, "total"] == book.loc[key, "raw_total"]
    assert "(Canvas marks it late (LATE))" in book.loc["20230002", "late"]
    assert "lateness unknown for 4 (no submission time: no penalty)" in run.stdout
    # --pending omit leaves the students still waiting for hand marks out of the imports.
    again = grader("report", out, "--pending", "omit")
    assert again.returncode == 0, again.stderr
    assert "were left out of the Canvas and Moodle files (--pending omit)" in again.stderr
    with open(out / "export" / "canvas.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [r[2] for r in rows[2:]] == ["20230004"]  # Dana's 0 is final: she handed nothing in


def test_moodle_worksheet_times_are_read_in_the_due_times_zone_per_started_hour(tmp_path):
    sheet = F.late_sheet(tmp_path / "sheet", HOURLY)
    download = F.moodle(tmp_path / "download")
    roster = F.moodle_worksheet(tmp_path / "worksheet.csv")
    out = tmp_path / "out"
    run = grader("grade", sheet, download, "--out", out, "--roster", roster)
    assert run.returncode == 0, run.stderr
    book = _book(out).set_index(_book(out).index.str.split("@").str[0])
    # Ana: Monday 9:15 PM, before midnight in Berlin.
    assert book.loc["ana", "late"].startswith("On time: handed in 2024-03-04 21:15 +01:00")
    assert "(Moodle grading worksheet)" in book.loc["ana", "late"]
    # Wei: 8:00 AM the next day, 8 hours 1 minute late: 9 started hours, 9%.
    assert book.loc["wei", "penalty_percent"] == 9.0
    assert "1% per started hour, 9 hour(s): 9% off" in book.loc["wei", "late"]
    # Bruno: 35 hours 41 minutes late: 36%; Moodle's own word is kept in the sentence too.
    assert book.loc["bruno", "penalty_percent"] == 36.0
    assert book.loc["bruno", "total"] == round(book.loc["bruno", "raw_total"] * 0.64, 6)
    # An extension granted later: grader report applies it, and keeps it for the next report.
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("student_id,due\nwei@uni.example,2024-03-05T12:00\n")
    again = grader("report", out, "--extensions", extensions)
    assert again.returncode == 0, again.stderr
    assert "(extension: due 2024-03-05T12:00)" in _book(out).loc["wei@uni.example", "late"]
    plain = grader("report", out)
    assert plain.returncode == 0, plain.stderr
    wei = _book(out).loc["wei@uni.example"]
    assert wei["penalty_percent"] == 0 and wei["total"] == wei["raw_total"]


def test_a_git_commit_time_is_said_to_be_forgeable(tmp_path):
    sheet = F.late_sheet(tmp_path / "sheet", HOURLY)
    download = F.classroom(tmp_path / "download") / "sheet1-submissions"
    roster = F.classroom_roster(tmp_path / "roster.csv")
    out = tmp_path / "out"
    run = grader("grade", sheet, download, "--out", out, "--roster", roster)
    assert run.returncode == 0, run.stderr
    book = _book(out)
    assert "can be forged" in book.loc["20230001", "late"]
    assert book.loc["20230003", "penalty_percent"] == 10.0  # 09:00 the next day: 10 hours


def test_bad_extensions_and_late_tables_stop_before_grading(tmp_path):
    notebook = F.EXAMPLES / "alice_numpy.ipynb"
    extensions = tmp_path / "extensions.csv"
    for text, said in (
        ("student,days\n1,2\n", "the header must be student_id,due"),
        ("student_id,days\n1,two\n", "row 2: days 'two' is not a number of days"),
        ("student_id,due\n1,next week\n", "row 2: due 'next week' is not an ISO 8601 time"),
        ("student_id,days\n1,2\n1,3\n", "row 3: student_id '1' is given twice"),
    ):
        extensions.write_text(text)
        run = grader("grade", "variational_inference", notebook, "--out", tmp_path / "o",
                     "--extensions", extensions)  # fmt: skip
        assert run.returncode == 2, run.stderr
        assert run.stderr.strip().splitlines()[-1].startswith("Error: "), run.stderr
        assert said in run.stderr, run.stderr
        assert not (tmp_path / "o").exists()
    for n, (late, said) in enumerate(
        (
            ('[late]\ndue = "2024-03-04T23:59"\n', "has no time zone"),
            ('[late]\ndue = 2024-03-04T23:59:00Z\nper = "week"\n', "per must be one of"),
            ("[late]\ndue = 2024-03-04T23:59:00Z\npercent = 120\n", "percent must be a number"),
            ("[late]\ndue = 2024-03-04T23:59:00Z\nlate_days = 2\n", "unknown key(s)"),
            ('[late]\ndue = 2024-03-04T23:59:00\ntimezone = "Mars/Base"\n', "not a time zone"),
        )
    ):
        sheet = F.late_sheet(tmp_path / f"sheet{n}", late)
        run = grader("grade", sheet, notebook, "--out", tmp_path / "o")
        assert run.returncode == 2, run.stderr
        assert said in run.stderr, run.stderr


def test_a_late_table_added_after_grading_resumes_and_applies_the_penalty(tmp_path):
    """The [late] table is no part of what the stored marks depend on: adding it to a graded
    class's spec keeps --resume working, and the penalty is judged from the stored times; a
    change that does alter marks (a check's points) still refuses the resume."""
    sheet = F.late_sheet(tmp_path / "sheet", "")
    download = F.gradescope(tmp_path / "download")
    out = tmp_path / "out"
    first = grader("grade", sheet, download, "--out", out)
    assert first.returncode == 0, first.stderr
    assert "penalty_percent" not in _book(out).columns  # no rule, no word from the LMS
    spec = sheet / "spec.toml"
    spec.write_text(spec.read_text() + HOURLY.replace("[late]", "# the syllabus\n[late]"))
    again = grader("grade", sheet, download, "--out", out, "--resume")
    assert again.returncode == 0, again.stderr
    assert "0 graded now" in again.stdout or "resumed" in again.stdout.lower(), again.stdout
    book = _book(out)
    assert book.loc["20230001", "late"].startswith("On time: handed in 2024-03-04 21:15 +01:00")
    # Bruno and Wei (one group submission): 07:59 UTC is 9 hours after 23:59 in Berlin.
    for key in ("20230002", "20230003"):
        assert book.loc[key, "penalty_percent"] == 9.0, key
        assert book.loc[key, "total"] == round(book.loc[key, "raw_total"] * 0.91, 6)
    assert "1% per started hour, 9 hour(s): 9% off" in book.loc["20230002", "late"]
    text = spec.read_text()
    assert "points = 2" in text
    spec.write_text(text.replace("points = 2", "points = 3", 1))
    refused = grader("grade", sheet, download, "--out", out, "--resume")
    assert refused.returncode == 2, refused.stderr
    assert "spec_marks_sha256" in refused.stderr, refused.stderr
