"""Every output shows the same totals: the terminal, the class report, scores.csv, the gradebook,
the letters (Markdown and HTML), the Gradescope, Canvas and Moodle exports, and ``grader check``'s
JSON. A question graded by hand and not marked yet is pending in each of them, never a zero."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
from pathlib import Path

import lms_fixtures as F
import pandas as pd
import pytest

from tests.conftest import EXAMPLES, run_grader

CLASS = ("alice_numpy", "dave_log2", "ivan_unfinished")
#: What a total says in a letter: "Total: 7 / 15 points so far (5 more to be marked by hand)".
LETTER = re.compile(r"Total: ([\d.]+) / ([\d.]+) points( so far \(([\d.]+) more to be marked)?")


grader = run_grader


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Three students graded with a roster; nothing marked by hand yet."""
    root = tmp_path_factory.mktemp("totals")
    roster = root / "roster.csv"
    rows = [f"{name},id-{name},{name.title()},{name}@uni.example" for name in CLASS]
    roster.write_text("submission,student_id,name,email\n" + "\n".join(rows) + "\n")
    notebooks = [EXAMPLES / f"{name}.ipynb" for name in CLASS]
    out = root / "out"
    run = grader("grade", "variational_inference", *notebooks, "--out", out, "--roster", roster)
    assert run.returncode == 0, run.stderr
    return out, run.stdout


def totals_everywhere(out: Path) -> dict[str, dict[str, tuple[float, float | None]]]:
    """Each output's (points so far, points pending) per submission; ``None`` where the output
    does not say what is pending."""
    book = pd.read_csv(out / "gradebook.csv").set_index("submission")
    spec = 15.0
    seen: dict[str, dict[str, tuple[float, float | None]]] = {}
    scores = pd.read_csv(out / "scores.csv")
    for name in CLASS:
        row = book.loc[name]
        pending = str(row["pending"]) if isinstance(row["pending"], str) else ""
        waiting = scores[(scores.submission == name) & (scores.status == "pending")]
        by = {
            "gradebook": (float(row["total"]), float(waiting["max_points"].sum())),
            "scores": (float(scores[scores.submission == name]["points"].sum()), None),
        }
        assert pending.split() == list(waiting["question"]), (name, pending)
        for suffix in (".md", ".html"):
            letter = html.unescape((out / "feedback" / f"{name}{suffix}").read_text())
            found = LETTER.search(letter)
            assert found and float(found.group(2)) == spec, (name, suffix, found)
            by[f"letter{suffix}"] = (float(found.group(1)), float(found.group(4) or 0))
        document = json.loads((out / "export" / "gradescope" / name / "results.json").read_text())
        by["gradescope"] = (float(document["score"]), None)
        page = html.unescape((out / "report.html").read_text())
        cell = re.search(rf">{name}</td><td class=\"num\">([\d.]+)/([\d.]+)( so far)?", page)
        assert cell and float(cell.group(2)) == spec, name
        by["report.html"] = (float(cell.group(1)), None)
        seen[name] = by
    return seen


def lms_cells(out: Path) -> dict[str, dict[str, str]]:
    """The Canvas and Moodle cell of each student (blank while anything is pending)."""
    cells: dict[str, dict[str, str]] = {}
    for export, id_column in (("canvas.csv", 2), ("moodle.csv", 0)):
        with open(out / "export" / export, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        for row in rows[1:]:
            if row[id_column].startswith("id-"):
                cells.setdefault(row[id_column][3:], {})[export] = row[-1]
    return cells


def assert_agree(seen: dict[str, dict[str, tuple[float, float | None]]]) -> None:
    for name, by in seen.items():
        points = {output: got[0] for output, got in by.items()}
        assert len(set(points.values())) == 1, (name, points)
        pending = {output: got[1] for output, got in by.items() if got[1] is not None}
        assert len(set(pending.values())) == 1, (name, pending)


def test_pending_answers_are_pending_in_every_output_and_the_totals_agree(graded):
    out, stdout = graded
    seen = totals_everywhere(out)
    assert_agree(seen)
    for name in CLASS:  # each has 5 points of answers to be marked by hand
        assert seen[name]["gradebook"][1] == 5.0
    assert {c for cells in lms_cells(out).values() for c in cells.values()} == {""}
    # The terminal and the class report say the same sentence about the class.
    sentence = re.search(r"Mean [^\n]*?\(pending, not zero\)\.", stdout)
    assert sentence and "of 15 points so far" in sentence.group(0), stdout
    # Alice has every automatic point (10 of 10); full marks wait for her hand marks.
    assert "; 0 with full marks (1 with every automatic point; hand marks pending), " in (
        sentence.group(0)
    )
    page = html.unescape((out / "report.html").read_text())
    assert sentence.group(0) in page
    totals = [seen[name]["gradebook"][0] for name in CLASS]
    mean = f"{sum(totals) / len(totals):.2f}".rstrip("0").rstrip(".")
    assert f"Mean {mean} and" in sentence.group(0)


def test_marked_answers_make_a_total_final_in_every_output(graded, tmp_path):
    out = Path(shutil.copytree(graded[0], tmp_path / "out"))
    marks = tmp_path / "marks.csv"
    marks.write_text(
        "submission,question,points,comment\n"
        "alice_numpy,1a-prose,2,Clear.\nalice_numpy,1c-derivation,1.5,Half there.\n"
        "dave_log2,1a-prose,1,\n"
    )
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 0, run.stderr
    seen = totals_everywhere(out)
    assert_agree(seen)
    assert seen["alice_numpy"]["gradebook"] == (13.5, 0.0)
    assert seen["dave_log2"]["gradebook"][1] == 3.0  # 1c-derivation still to mark
    cells = lms_cells(out)
    assert cells["alice_numpy"] == {"canvas.csv": "13.5", "moodle.csv": "13.5"}
    assert cells["dave_log2"] == {"canvas.csv": "", "moodle.csv": ""}
    page = html.unescape((out / "report.html").read_text())
    assert "(1 of 3 marked)" in page  # 1c-derivation's mean is over Alice's answer alone
    # Alice lost half a point by hand: not full marks, yet every automatic point is hers.
    said = "0 with full marks (1 with every automatic point; hand marks pending), 3 lost points"
    assert said in page


def test_check_json_counts_the_answers_marked_by_hand_as_pending(graded, tmp_path):
    """``grader check`` reports the total its letter will show: what is checked so far, of
    every point of the sheet, with the questions to be marked by hand pending."""
    out, _ = graded
    path = tmp_path / "check.json"
    run = grader("check", EXAMPLES / "dave_log2.ipynb", "--assignment", "variational_inference",
                 "--json", path)  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    document = json.loads(path.read_text())
    book = pd.read_csv(out / "gradebook.csv").set_index("submission")
    assert document["points"] == book.loc["dave_log2", "total"]
    assert document["max_points"] == 15.0
    assert document["pending"] == book.loc["dave_log2", "pending"].split()


# -- A late class: a Gradescope export judged by the spec's [late] rule, with an extension. --

#: Due 21:00 in Berlin (20:00 UTC), 30 minutes' grace, 10% per started day capped at 25%, and 0
#: after 3 days.
LATE_RULE = """
[late]
due = 2024-03-04T21:00:00
timezone = "Europe/Berlin"
grace_minutes = 30
percent = 10
per = "day"
cap_percent = 25
zero_after_days = 3
"""
#: Gradescope's created_at of each submission (UTC): Ana 15 minutes after the due time (in
#: the grace), Bruno and Wei (a group) 2 days 12 hours late (3 started days: 30%, capped at 25%;
#: Wei has 3 more days), Eve 4 days late (0).
LATE_TIMES = {
    "2024-03-04 20:15:31.123456000 Z": "2024-03-04 20:15:00.000000000 Z",
    "2024-03-05 07:59:00.000000000 Z": "2024-03-07 08:00:00.000000000 Z",
    "2024-03-05 10:00:00.000000000 Z": "2024-03-08 20:00:01.000000000 Z",
}
LATE_CLASS = {"20230001": 0.0, "20230002": 25.0, "20230003": 0.0, "20239999": 100.0}


@pytest.fixture(scope="module")
def late_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The Gradescope export graded against the late rule, then reported with the pending hand
    marks sent as 0 (so the Canvas and Moodle cells hold the final scores)."""
    root = tmp_path_factory.mktemp("late")
    sheet = F.late_sheet(root / "sheet", LATE_RULE)
    download = F.gradescope_at(root / "download", LATE_TIMES)
    extensions = root / "extensions.csv"
    extensions.write_text("student_id,days\n20230003,3\n")
    out = root / "out"
    roster = F.plain_roster(root / "roster.csv")
    run = grader("grade", sheet, download, "--out", out, "--roster", roster,
                 "--extensions", extensions, "--workers", 2)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "BLANK" in run.stderr and "20230001" in run.stderr  # pending: said, never silent
    again = grader("report", out, "--pending", "zero")
    assert again.returncode == 0, again.stderr
    return out, run.stdout + again.stdout


def test_a_late_class_shows_the_same_final_score_in_every_output(late_class):
    out, _ = late_class
    book = pd.read_csv(out / "gradebook.csv", dtype={"submission": str}).set_index("submission")
    assert list(book.columns[-5:]) == [
        "penalty_percent", "penalty_points", "total", "pending", "late",
    ]  # fmt: skip
    page = html.unescape((out / "report.html").read_text())
    cells = {}
    for export, column in (("canvas.csv", 2), ("moodle.csv", 0)):
        with open(out / "export" / export, encoding="utf-8", newline="") as handle:
            for row in list(csv.reader(handle))[1:]:
                cells.setdefault(row[column], {})[export] = row[-1]
    for key, percent in LATE_CLASS.items():
        row = book.loc[key]
        raw, final = float(row["raw_total"]), float(row["total"])
        assert row["penalty_percent"] == percent, (key, row["late"])
        assert final == pytest.approx(round(raw * (100 - percent) / 100, 6)), key
        for suffix in (".md", ".html"):
            letter = html.unescape((out / "feedback" / f"{key}{suffix}").read_text())
            found = LETTER.search(letter)
            assert found and float(found.group(1)) == final, (key, suffix)
            assert str(row["late"]).split(":")[0] in letter, (key, suffix)
        cell = re.search(rf">{key}</td><td class=\"num\">([\d.]+)/", page)
        assert cell and float(cell.group(1)) == final, key
        document = json.loads((out / "export" / "gradescope" / key / "results.json").read_text())
        assert document["score"] == raw  # Gradescope applies its own late policy
        if key != "20239999":  # Eve is on no roster: unmatched.csv has her final score
            assert {float(c) for c in cells[key].values()} == {final}, (key, cells[key])
    unmatched = pd.read_csv(out / "export" / "unmatched.csv", dtype={"submission": str})
    assert unmatched.set_index("submission").loc["20239999", "total"] == 0.0


def test_a_late_class_says_why_each_penalty_was_applied(late_class):
    out, stdout = late_class
    book = pd.read_csv(out / "gradebook.csv", dtype={"submission": str}).set_index("submission")
    late = book["late"].to_dict()
    assert late["20230001"].startswith("On time: handed in 2024-03-04 21:15 +01:00")
    assert "(Gradescope submission_metadata.yml), within the grace period after" in late["20230001"]
    assert late["20230002"].startswith("Late: handed in 2024-03-07 09:00 +01:00")
    assert "2 days 12 hours after the due time 2024-03-04 21:00 +01:00" in late["20230002"]
    assert "10% per started day, 3 day(s), capped at 25%: 25% off" in late["20230002"]
    assert late["20230003"].startswith("On time:")
    assert "(extension: 3 more day(s))" in late["20230003"]
    assert "more than 3 day(s) late gets 0 points: 100% off" in late["20239999"]
    assert pd.isna(book.loc["20230004", "late"])  # Dana handed nothing in: not late
    assert "Late: 2 submission(s), 2 with a late penalty." in stdout
    page = html.unescape((out / "report.html").read_text())
    assert "Late: 2 submission(s), 2 with a late penalty." in page
