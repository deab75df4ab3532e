"""The output folder (issue 24): it belongs to one assignment, and its class is the set of
submissions in its store. A plain grade into a folder holding a class refuses; ``--resume`` adds
to the class and grades nothing already graded; ``--overwrite`` starts over, removing what the
grader computed (never a foreign file, never a hand mark). After every command, no file of
OUT names a submission outside the class. Graded for real, by the CLI, on a few notebooks."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from grader.results._folder import OutputFolder
from tests.conftest import EXAMPLES, ROOT

FIRST = ("alice_numpy", "ivan_unfinished", "dave_log2")
LATE = "erin_variance_bug"


def grader(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def _handins(folder: Path, names: tuple[str, ...]) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(EXAMPLES / f"{name}.ipynb", folder / f"{name}.ipynb")
    return folder


def _grade(handins: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return grader("grade", "variational_inference", handins, "--out", out, "--workers", 1, *extra)


def _rows(out: Path) -> dict[str, tuple[str, str]]:
    """The store's graded rows: name -> (notebook hash, result as stored)."""
    with sqlite3.connect(out / "results.sqlite") as db:
        rows = db.execute("SELECT submission, notebook_sha256, result FROM results").fetchall()
    return {name: (sha, result) for name, sha, result in rows}


def _named(out: Path) -> set[str]:
    """The submissions each per-submission output of OUT names."""
    folder = OutputFolder(out)
    names = {p.stem for p in folder.feedback_dir.glob("*.md")}
    names |= {p.stem for p in folder.feedback_dir.glob("*.html")}
    names |= {p.stem for p in folder.executed_dir.glob("*.ipynb")}
    names |= {p.parent.name for p in folder.gradescope_dir.glob("*/results.json")}
    for table in ("scores.csv", "gradebook.csv", "checks.csv"):
        names |= set(pd.read_csv(out / table)["submission"])
    return names


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three notebooks graded once: (their folder, OUT)."""
    root = tmp_path_factory.mktemp("first")
    handins = _handins(root / "handins", FIRST)
    run = _grade(handins, root / "out")
    assert run.returncode == 0, run.stderr
    return handins, root / "out"


@pytest.fixture
def out(graded: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the graded folder each test may change."""
    return Path(shutil.copytree(graded[1], tmp_path / "out"))


def test_a_plain_grade_into_a_folder_holding_a_class_refuses_naming_both_ways_on(graded, out):
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    run = _grade(graded[0], out)
    assert run.returncode == 2, run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    assert "variational_inference" in line and "3 submission(s)" in line
    assert "--resume" in line and "--overwrite" in line
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_resume_and_overwrite_together_is_a_usage_error(graded, out):
    run = _grade(graded[0], out, "--resume", "--overwrite")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "--resume" in run.stderr and "--overwrite" in run.stderr


def test_resume_adds_a_late_hand_in_and_grades_no_other(out, tmp_path):
    before = _rows(out)
    late = _handins(tmp_path / "late", (LATE,))
    run = _grade(late, out, "--resume")
    assert run.returncode == 0, run.stderr
    assert "Graded 4 submission(s) (1 now, 3 resumed)" in run.stdout
    # The progress counts what is graded now: 1 of 1, never 1 of 4 or 4 of 4.
    progress = re.findall(r"grading: (\d+)/(\d+) done", run.stderr)
    assert progress and progress[-1] == ("1", "1"), run.stderr
    after = _rows(out)
    assert {name: after[name] for name in before} == before  # untouched, byte for byte
    assert set(after) == {*FIRST, LATE}
    assert _named(out) == {*FIRST, LATE}  # every output lists the whole class


def test_resume_with_nothing_new_grades_nothing(graded, out):
    before = _rows(out)
    run = _grade(graded[0], out, "--resume")
    assert run.returncode == 0, run.stderr
    assert "(0 now, 3 resumed)" in run.stdout
    assert _rows(out) == before


def test_overwrite_with_a_smaller_class_leaves_none_of_the_others(out, tmp_path):
    # The instructor's own files, some by names and kinds the grader writes too.
    foreign = [out / "notes.txt", out / "feedback" / "notes.txt", out / "export" / "mine.csv"]
    foreign += [out / "feedback" / "README.md", out / "feedback" / "rubric.html"]
    foreign += [out / "executed" / "model_answer.ipynb"]
    (out / "export" / "gradescope" / "sample").mkdir()
    foreign += [out / "export" / "gradescope" / "sample" / "results.json"]
    for path in foreign:
        path.write_text("the instructor's own file\n", encoding="utf-8")
    smaller = _handins(tmp_path / "smaller", ("alice_numpy",))
    run = _grade(smaller, out, "--overwrite")
    assert run.returncode == 0, run.stderr
    assert set(_rows(out)) == {"alice_numpy"}
    assert _named(out) == {"alice_numpy", "README", "rubric", "model_answer", "sample"}
    folder = OutputFolder(out)
    assert sorted(p.name for p in folder.feedback_dir.iterdir()) == [
        "README.md",
        "alice_numpy.html",
        "alice_numpy.md",
        "notes.txt",
        "rubric.html",
    ]
    executed = sorted(p.name for p in folder.executed_dir.iterdir())
    assert executed == ["alice_numpy.ipynb", "model_answer.ipynb"]
    assert sorted(p.name for p in folder.gradescope_dir.iterdir()) == ["alice_numpy", "sample"]
    template = pd.read_csv(folder.manual_template)
    assert set(template["submission"]) == {"alice_numpy"}
    for path in foreign:
        assert path.read_text(encoding="utf-8") == "the instructor's own file\n"


def test_overwrite_keeps_the_hand_marks_and_applies_them(graded, out, tmp_path):
    marks = tmp_path / "marks.csv"
    marks.write_text(
        "submission,question,answer,max_points,points,comment\n"
        "alice_numpy,1a-prose,,2,1.5,Say which way round.\n",
        encoding="utf-8",
    )
    merged = grader("report", out, "--manual", marks)
    assert merged.returncode == 0, merged.stderr
    run = _grade(graded[0], out, "--overwrite")
    assert run.returncode == 0, run.stderr
    scores = pd.read_csv(out / "scores.csv", keep_default_na=False)
    mark = scores[(scores["submission"] == "alice_numpy") & (scores["question"] == "1a-prose")]
    assert (float(mark["points"].item()), mark["status"].item()) == (1.5, "partial")
    book = pd.read_csv(out / "gradebook.csv").set_index("submission")
    assert book.loc["alice_numpy", "1a-prose"] == 1.5


def test_report_prunes_the_files_of_a_submission_outside_the_class_and_only_those(out):
    """A submission whose row left the store (here by hand) loses every file the grader wrote
    for it; a foreign file of the same kinds, by a name the grader never wrote, stays."""
    folder = OutputFolder(out)
    foreign = [folder.feedback("mallory", ".md"), folder.executed("mallory")]
    foreign[0].write_text("the instructor's own letter\n", encoding="utf-8")
    shutil.copy(folder.executed("alice_numpy"), foreign[1])
    with sqlite3.connect(out / "results.sqlite") as db:
        db.execute("DELETE FROM results WHERE submission = 'dave_log2'")
    run = grader("report", out)
    assert run.returncode == 0, run.stderr
    assert not folder.feedback("dave_log2", ".md").exists()
    assert not folder.executed("dave_log2").exists()
    assert not folder.gradescope("dave_log2").parent.exists()
    assert all(path.is_file() for path in foreign)
    assert _named(out) == {"alice_numpy", "ivan_unfinished", "mallory"}
