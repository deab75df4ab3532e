"""grader similarity on a class graded in real kernels: it works from OUT alone (the store keeps
the cells and the template), flags the copies, escapes student code, and changes no grade."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time

import pandas as pd
import pytest

from grader import grade_batch
from grader.grading._sources import graded_cells
from tests.conftest import ASSIGNMENT, EXAMPLES, FILES
from tests.test_cli import _one_clear_error, grader

CLASS = ["alice_numpy", "bob_loops", "carol_scipy"]
COPIES = ["similar_disguised_copy_of_alice", "similar_one_function_of_bob"]


@pytest.fixture(scope="module")
def graded(assignment, tmp_path_factory):
    """A class graded elsewhere: the submissions are gone, only OUT is left."""
    handins = tmp_path_factory.mktemp("handins")
    for name in CLASS:
        shutil.copy(EXAMPLES / f"{name}.ipynb", handins)
    for name in COPIES:
        shutil.copy(FILES / f"{name}.ipynb", handins)
    for name in ("unchanged_1", "unchanged_2"):
        shutil.copy(ASSIGNMENT / "student.ipynb", handins / f"{name}.ipynb")
    out = tmp_path_factory.mktemp("graded") / "out"
    grade_batch(assignment, [handins], out, workers=2)
    shutil.rmtree(handins)
    return out


def test_the_store_keeps_each_submissions_cells_and_the_template_once(graded):
    db = sqlite3.connect(graded / "results.sqlite")
    templates = db.execute("SELECT sha256, cells FROM templates").fetchall()
    sources = dict(db.execute("SELECT submission, cells FROM sources").fetchall())
    shas = {row[0] for row in db.execute("SELECT template_sha256 FROM sources")}
    db.close()
    student = (ASSIGNMENT / "student.ipynb").read_bytes()
    assert [sha for sha, _ in templates] == [hashlib.sha256(student).hexdigest()] == list(shas)
    assert len(sources) == 7
    assert json.loads(sources["unchanged_1"]) == json.loads(templates[0][1])
    alice = json.loads(sources["alice_numpy"])
    assert {c["type"] for c in alice} == {"code", "markdown"}
    assert any("np.where(p > 0, p, 1.0)" in c["source"] for c in alice)


def test_similarity_flags_the_copies_from_out_alone_and_changes_no_grade(graded):
    before = {f: (graded / f).read_bytes() for f in ("scores.csv", "gradebook.csv")}
    run = grader("similarity", graded)
    assert run.returncode == 0, run.stderr
    assert "2 pair(s) flagged" in run.stdout
    pairs = pd.read_csv(graded / "similarity.csv")
    assert [tuple(r) for r in pairs[["submission_a", "submission_b"]].values] == [
        ("alice_numpy", "similar_disguised_copy_of_alice"),
        ("bob_loops", "similar_one_function_of_bob"),
    ]
    assert pairs.loc[0, "score"] == 1.0 and pairs.loc[1, "score"] < 0.5
    assert "kl_to_factorized" in pairs.loc[1, "functions_b"]
    assert "similar_one_function_of_bob:kl_to_factorized" in pairs.loc[1, "flagged_on"]
    assert pd.read_csv(graded / "similarity-clusters.csv").empty
    assert before == {f: (graded / f).read_bytes() for f in before}
    book = pd.read_csv(graded / "gradebook.csv").set_index("submission")["total"]
    assert book["similar_disguised_copy_of_alice"] == 10.0


def test_the_html_shows_each_pair_side_by_side_with_student_code_inert(graded):
    grader("similarity", graded)
    page = (graded / "similarity.html").read_text(encoding="utf-8")
    assert page.count('<table class="pair">') == 2
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page
    marked = [line for line in page.splitlines() if line.startswith("<mark>")]
    assert any("x5_val *= float(factors[x0_val][x7_val])" in line for line in marked)
    assert not any("YOUR CODE HERE" in line or "Args:" in line for line in marked)


def test_a_function_copied_whole_is_flagged_even_at_the_highest_threshold(graded):
    run = grader("similarity", graded, "--threshold", "1.0")
    assert run.returncode == 0, run.stderr
    pairs = pd.read_csv(graded / "similarity.csv")
    assert list(pairs["submission_b"]) == COPIES
    _one_clear_error(grader("similarity", graded, "--threshold", "0"))


def test_similarity_refuses_a_folder_without_a_store_or_cells(tmp_path):
    _one_clear_error(grader("similarity", tmp_path))
    db = sqlite3.connect(tmp_path / "results.sqlite")  # as an older grader left it
    db.execute("CREATE TABLE results (submission TEXT, notebook_sha256 TEXT, result TEXT)")
    db.commit()
    db.close()
    run = grader("similarity", tmp_path)
    _one_clear_error(run)
    assert "keeps no notebook cells" in run.stderr


def test_submissions_graded_without_cells_are_named_not_compared(graded, tmp_path):
    """A store resumed from an older grader holds results without cells."""
    out = tmp_path / "out"
    shutil.copytree(graded, out)
    db = sqlite3.connect(out / "results.sqlite")
    db.execute("DELETE FROM sources WHERE submission = 'bob_loops'")
    db.commit()
    db.close()
    run = grader("similarity", out)
    assert run.returncode == 0, run.stderr
    assert "Warning: not compared (graded by an older grader, no cells kept): bob_loops" in (
        run.stdout
    )
    assert "1 pair(s) flagged" in run.stdout


def test_cells_are_read_from_this_batchs_executed_notebook_else_the_submission(tmp_path):
    """The executed copy has capped outputs (a submission may carry 30 MB of stale ones); an
    executed notebook another batch left is never taken for this one's."""
    submission, executed = tmp_path / "s.ipynb", tmp_path / "executed.ipynb"
    shutil.copy(EXAMPLES / "alice_numpy.ipynb", submission)
    shutil.copy(EXAMPLES / "bob_loops.ipynb", executed)
    since = time.time() - 60
    fresh = graded_cells(submission, executed, since)
    assert any("for p_i in p:" in c["source"] for c in fresh)  # bob's, the executed one
    os.utime(executed, (since - 60, since - 60))
    stale = graded_cells(submission, executed, since)
    assert any("np.where(p > 0, p, 1.0)" in c["source"] for c in stale)  # alice's
    assert graded_cells(tmp_path / "gone.ipynb", tmp_path / "none.ipynb", since) == []
