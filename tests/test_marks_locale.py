"""Hand marks from a spreadsheet in a European locale: ``;`` between cells and ``2,5`` read as
they were meant; a row whose answer is still the notebook's placeholder is flagged."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.results._folder import OutputFolder
from grader.results._marks_store import load_marks

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"


def grader(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """alice_numpy answered both questions by hand; bob_loops left 1c-derivation as given."""
    handins = tmp_path_factory.mktemp("handins")
    for name in ("alice_numpy", "bob_loops"):
        shutil.copy(EXAMPLES / f"{name}.ipynb", handins)
    out = tmp_path_factory.mktemp("out")
    run = grader("grade", "variational_inference", handins, "--out", out, "--workers", 2)
    assert run.returncode == 0, run.stderr
    return out


def _european(template: Path, marks: Path, points: dict[tuple[str, str], str]) -> None:
    """The template as a spreadsheet in a German or French locale saves it: ``;`` separated,
    decimal commas, every answer kept."""
    with open(template, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(marks, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        for row in rows:
            row["points"] = points.get((row["submission"], row["question"]), "")
            row["max_points"] = row["max_points"].replace(".", ",")
            writer.writerow(row)


def test_semicolons_and_decimal_commas_are_read(out, tmp_path):
    marks = tmp_path / "marks.csv"
    _european(
        OutputFolder(out).manual_template,
        marks,
        {("alice_numpy", "1a-prose"): "1,5", ("alice_numpy", "1c-derivation"): "2,5"},
    )
    assert ";" in marks.read_text().splitlines()[0] and "2,5" in marks.read_text()
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 0, run.stderr
    stored = load_marks(OutputFolder(out))
    assert stored[("alice_numpy", "1a-prose")].points == 1.5
    assert stored[("alice_numpy", "1c-derivation")].points == 2.5
    assert "2 answer(s) marked by hand" in run.stdout


def test_a_placeholder_answer_is_flagged_unanswered(out, tmp_path):
    marks = tmp_path / "marks.csv"
    _european(OutputFolder(out).manual_template, marks, {("bob_loops", "1c-derivation"): "0"})
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 0, run.stderr
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("Unanswered:")]
    assert "1 row(s)" in line and "bob_loops 1c-derivation" in line
    assert "alice_numpy" not in line and "bob_loops 1a-prose" not in line


def test_a_decimal_comma_past_the_maximum_is_still_refused(out, tmp_path):
    marks = tmp_path / "marks.csv"
    _european(OutputFolder(out).manual_template, marks, {("alice_numpy", "1a-prose"): "2,5"})
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 2
    assert "outside 0..2" in run.stderr.strip().splitlines()[-1]
