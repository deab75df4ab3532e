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
