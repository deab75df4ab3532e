"""Manual grading: the template lists each answer, marks merge whole or not at all, and live in
the store across rebuilds, resumes and regrades; unmarked answers are pending, never zero."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from grader.results._folder import OutputFolder
from grader.results._marks_store import load_marks
from tests.conftest import EXAMPLES, ROOT

ALICE = EXAMPLES / "alice_numpy.ipynb"
IVAN = EXAMPLES / "ivan_unfinished.ipynb"
HEADER = "submission,question,answer,max_points,points,comment\n"


def grader(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from grader._cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Alice (every function right, both answers written) and Ivan (placeholders), graded once."""
    out = tmp_path_factory.mktemp("graded") / "out"
    run = grader("grade", "variational_inference", ALICE, IVAN, "--out", out, "--workers", "2")
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture
def out(graded: Path, tmp_path: Path) -> Path:
    """A copy of the graded folder each test may change."""
    return Path(shutil.copytree(graded, tmp_path / "out"))


def _marks(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "marks.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _book(out: Path) -> pd.DataFrame:
    """The gradebook as a spreadsheet reads it: a question not marked is an empty cell (NaN)."""
    book = pd.read_csv(out / "gradebook.csv").set_index("submission")
    book["pending"] = book["pending"].fillna("")
    return book


def test_the_template_lists_each_answer_as_the_student_wrote_it(out):
    template = pd.read_csv(out / "manual-template.csv", keep_default_na=False)
    rows = template.set_index(["submission", "question"])
    assert list(rows.index) == [
        ("alice_numpy", "1a-prose"),
        ("alice_numpy", "1c-derivation"),
        ("ivan_unfinished", "1a-prose"),
        ("ivan_unfinished", "1c-derivation"),
    ]
    answer = rows.loc[("alice_numpy", "1a-prose"), "answer"]
    assert answer.startswith("KL(p||q) measures how different q is from p")
    assert "\\nencode samples" in answer  # one row stays one line
    assert "Lagrange" not in answer and "Gibbs" not in answer  # hers, not the model answer
    assert "_Type your answer here" in rows.loc[("ivan_unfinished", "1a-prose"), "answer"]
    assert rows["max_points"].tolist() == [2.0, 3.0, 2.0, 3.0]
    assert set(rows["points"]) == {""} and set(rows["comment"]) == {""}


def test_unmarked_answers_are_pending_never_zero(out):
    book = _book(out)
    assert pd.isna(book.loc["alice_numpy", "1a-prose"])
    assert book.loc["alice_numpy", "total"] == 10.0
    assert book.loc["alice_numpy", "pending"] == "1a-prose 1c-derivation"
    scores = pd.read_csv(out / "scores.csv", keep_default_na=False)
    manual = scores[scores["question"].isin(["1a-prose", "1c-derivation"])]
    assert set(manual["status"]) == {"pending"} and set(manual["points"]) == {""}


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("ivan_unfinished,1c-derivation,,3,3.5,", "outside 0..3"),
        ("ivan_unfinished,1c-derivation,,3,-1,", "outside 0..3"),
        ("ivan_unfinished,1c-derivation,,3,two,", "'two' for 1c-derivation is not a number"),
        ("ivan_unfinished,1c-derivation,,3,nan,", "is not a number"),
        ("mallory,1a-prose,,2,1,", "no graded submission is named 'mallory'"),
        ("ivan_unfinished,2,,2,1,", "no question '2' is graded by hand"),
        ("ivan_unfinished,1a,,3,1,", "'1a' is graded automatically"),
        ("ivan_unfinished,1a-prose,,2,,Nice.", "a comment without points"),
        ("alice_numpy,1a-prose,,2,1,", "marked again (first in row 2)"),
    ],
    ids=[
        "above",
        "negative",
        "word",
        "nan",
        "submission",
        "question",
        "automatic",
        "comment",
        "twice",
    ],
)
def test_a_bad_mark_is_refused_naming_its_row_and_nothing_is_merged(out, tmp_path, row, says):
    before = (out / "gradebook.csv").read_bytes()
    marks = _marks(tmp_path, f"alice_numpy,1a-prose,,2,2,Clear.\n{row}\n")
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 2, run.stdout
    assert "Traceback" not in run.stderr
    error = run.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: ") and "row 3: " in error and says in error
    assert "Nothing was merged" in error
    assert load_marks(OutputFolder(out)) == {}  # not even row 2, which was fine
    assert (out / "gradebook.csv").read_bytes() == before


def test_merged_marks_change_the_totals_and_survive_a_rebuild(out, tmp_path):
    marks = _marks(
        tmp_path,
        'alice_numpy,1a-prose,ignored,2,1.5,"No formula for KL = H(p,q) - H(p)."\n'
        "alice_numpy,1c-derivation,,3,3,\n"
        "ivan_unfinished,1c-derivation,,3,0,Not answered.\n"
        "ivan_unfinished,1a-prose,,2,,\n",  # not marked yet: skipped
    )
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 0, run.stderr
    assert f"Merged {marks}: 3 new or changed mark(s); now 3 answer(s) marked by hand, " in (
        run.stdout
    )
    assert "3 answer(s) marked by hand, 1 pending" in run.stdout
    book = _book(out)
    assert book.loc["alice_numpy", "total"] == 14.5
    assert book.loc["alice_numpy", "pending"] == ""
    assert book.loc["ivan_unfinished", "total"] == 3.0
    assert book.loc["ivan_unfinished", "1c-derivation"] == 0.0
    assert pd.isna(book.loc["ivan_unfinished", "1a-prose"])
    assert book.loc["ivan_unfinished", "pending"] == "1a-prose"
    scores = pd.read_csv(out / "scores.csv").set_index(["submission", "question"])
    assert scores.loc[("alice_numpy", "1a-prose"), "status"] == "partial"
    assert scores.loc[("alice_numpy", "1c-derivation"), "status"] == "ok"
    assert scores.loc[("ivan_unfinished", "1c-derivation"), "status"] == "wrong"
    template = pd.read_csv(out / "manual-template.csv", keep_default_na=False)
    mine = template.set_index(["submission", "question"]).loc[("alice_numpy", "1a-prose")]
    assert (mine["points"], mine["comment"]) == ("1.5", "No formula for KL = H(p,q) - H(p).")
    files = {name: (out / name).read_bytes() for name in ("gradebook.csv", "manual-template.csv")}
    again = grader("report", out)
    assert again.returncode == 0, again.stderr
    assert {name: (out / name).read_bytes() for name in files} == files


def test_an_answer_left_as_the_placeholder_is_named_points_given_or_not(out, tmp_path):
    """The marks file has only the columns it needs (no ``answer``): Ivan's answers are still
    the notebook's placeholder, read from his graded notebook, and both are named, the one
    given 0 and the one left without points; Alice's written answers are not."""
    marks = tmp_path / "marks.csv"
    marks.write_text(
        "submission,question,points,comment\n"
        "alice_numpy,1a-prose,2,\n"
        "ivan_unfinished,1a-prose,0,Nothing written.\n"
        "ivan_unfinished,1c-derivation,,\n",
        encoding="utf-8",
    )
    run = grader("report", out, "--manual", marks)
    assert run.returncode == 0, run.stderr
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("Unanswered:")]
    assert line == (
        "Unanswered: 2 row(s) whose answer is empty or still the notebook's placeholder text: "
        "ivan_unfinished 1a-prose, ivan_unfinished 1c-derivation."
    )


def test_an_empty_answer_is_unanswered_and_a_written_one_is_not():
    from grader.assignment._spec import load_assignment
    from grader.results._marks_store import unanswered

    assignment = load_assignment(ROOT / "assignments" / "variational_inference")
    written = {
        ("a", "1a-prose"): "  \n",
        ("b", "1a-prose"): "_Type your answer here,\nreplacing this text._",
        ("c", "1a-prose"): "KL is not symmetric.",
        ("d", "1a-prose"): None,  # no answer cell read: the file's copy says it is written
    }
    marks = Path(__file__).parent / "files" / "unanswered-marks.csv"
    assert unanswered(marks, assignment, written) == [("a", "1a-prose"), ("b", "1a-prose")]


def test_a_second_file_counts_the_marks_it_brought_not_all_in_the_store(out, tmp_path):
    first = _marks(tmp_path, "alice_numpy,1a-prose,,2,2,\nalice_numpy,1c-derivation,,3,3,\n")
    assert grader("report", out, "--manual", first).returncode == 0
    second = tmp_path / "m2.csv"
    second.write_text(
        HEADER + "alice_numpy,1a-prose,,2,2,\n"  # as stored: brings nothing
        "ivan_unfinished,1c-derivation,,3,0,Not answered.\n",
        encoding="utf-8",
    )
    run = grader("report", out, "--manual", second)
    assert run.returncode == 0, run.stderr
    said = [line for line in run.stdout.splitlines() if line.startswith("Merged")]
    assert said == [
        f"Merged {second}: 1 new or changed mark(s); now 3 answer(s) marked by hand, 1 pending."
    ]
    store = OutputFolder(out).existing_store()
    try:
        assert store.mark_state("alice_numpy", "1a-prose").version == 1  # not saved again
    finally:
        store.close()
    changed = second.with_name("m3.csv")
    changed.write_text(HEADER + "alice_numpy,1a-prose,,2,1.5,Half the formula.\n")
    run = grader("report", out, "--manual", changed)
    assert run.returncode == 0, run.stderr
    assert "1 new or changed mark(s); now 3 answer(s) marked by hand, 1 pending." in run.stdout


def test_marks_survive_an_overwrite_of_another_class_and_a_resume(out, tmp_path):
    marks = _marks(tmp_path, "alice_numpy,1a-prose,,2,2,\n")
    assert grader("report", out, "--manual", marks).returncode == 0
    args = ("grade", "variational_inference", IVAN, "--out", out, "--workers", "1")
    ivan_only = grader(*args, "--overwrite")
    assert ivan_only.returncode == 0, ivan_only.stderr
    assert ("alice_numpy", "1a-prose") in load_marks(OutputFolder(out))
    both = grader(
        "grade", "variational_inference", ALICE, IVAN, "--out", out, "--workers", "1", "--resume"
    )
    assert both.returncode == 0, both.stderr
    assert "1 resumed" in both.stdout
    book = _book(out)
    assert book.loc["alice_numpy", "1a-prose"] == 2.0
    assert book.loc["alice_numpy", "total"] == 12.0


def test_a_changed_notebook_sends_its_mark_back_for_review(out, tmp_path):
    marks = _marks(tmp_path, "alice_numpy,1a-prose,,2,2,\nalice_numpy,1c-derivation,,3,3,\n")
    assert grader("report", out, "--manual", marks).returncode == 0
    changed = tmp_path / "handin" / "alice_numpy.ipynb"
    changed.parent.mkdir()
    nb = json.loads(ALICE.read_text(encoding="utf-8"))
    (cell,) = [c for c in nb["cells"] if c.get("id") == "q1a-prose-answer"]
    cell["source"] = "=HYPERLINK(0)\x1b[2J rewritten after marking"
    changed.write_text(json.dumps(nb), encoding="utf-8")
    args = ("grade", "variational_inference", changed, "--out", out, "--workers", "1")
    run = grader(*args, "--overwrite")
    assert run.returncode == 0, run.stderr
    assert "1 wait for 2 answer(s) to be marked by hand" in run.stdout
    book = _book(out)  # marked against the notebook as a whole: both wait for a new look
    assert pd.isna(book.loc["alice_numpy", "1a-prose"])
    assert pd.isna(book.loc["alice_numpy", "1c-derivation"])
    assert book.loc["alice_numpy", "pending"] == "1a-prose 1c-derivation"
    assert book.loc["alice_numpy", "total"] == 10.0
    kept = {("alice_numpy", "1a-prose"), ("alice_numpy", "1c-derivation")}
    assert set(load_marks(OutputFolder(out))) == kept
    scores = pd.read_csv(out / "scores.csv", keep_default_na=False)
    notes = scores.loc[scores["submission"] == "alice_numpy", "notes"].iloc[0]
    assert "1a-prose was marked 2/2 on an earlier version of this notebook" in notes
    template = pd.read_csv(out / "manual-template.csv", keep_default_na=False)
    row = template.set_index(["submission", "question"]).loc[("alice_numpy", "1a-prose")]
    assert row["answer"] == "'=HYPERLINK(0)\\x1b[2J rewritten after marking"
    assert row["points"] == "" and "earlier version" in row["note"]


def test_full_marks_count_the_automatic_questions_only():
    run = grader("check", ALICE, "--assignment", "variational_inference")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "10/10 points on all checks" in run.stdout
    assert "Graded by hand later, not counted here: 1a-prose, 1c-derivation (5 points)." in (
        run.stdout
    )
