"""grader similarity on a class graded in real kernels: it works from OUT alone (the store keeps
the cells and the template), flags the copies, escapes student code, and changes no grade."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from grader import grade_batch
from grader.grading import _sources
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


def test_similarity_flags_the_copy_from_out_alone_and_changes_no_grade(graded):
    before = {f: (graded / f).read_bytes() for f in ("scores.csv", "gradebook.csv")}
    run = grader("similarity", graded)
    assert run.returncode == 0, run.stderr
    assert "1 likely copy pair(s)" in run.stdout
    pairs = pd.read_csv(graded / "similarity.csv", keep_default_na=False)
    assert [tuple(r) for r in pairs[["submission_a", "submission_b"]].values] == [
        ("alice_numpy", "similar_disguised_copy_of_alice"),
    ]
    row = pairs.iloc[0]
    assert row["verdict"] == "likely copy" and row["score"] > 1.5 and row["against"] == ""
    assert "kl_to_factorized" in row["functions_b"] and " in 2 of 7 notebooks" in row["fragments"]
    assert pd.read_csv(graded / "similarity-clusters.csv").empty
    assert before == {f: (graded / f).read_bytes() for f in before}
    book = pd.read_csv(graded / "gradebook.csv").set_index("submission")["total"]
    assert book["similar_disguised_copy_of_alice"] == 10.0


def test_the_other_bands_are_one_option_away_and_the_minimum_is_tunable(graded, tmp_path):
    """bob's kl_to_factorized copied alone is below the minimum: "look at it", not a copy."""
    out = Path(shutil.copytree(graded, tmp_path / "out"))
    run = grader("similarity", out, "--show", "look")
    assert run.returncode == 0, run.stderr
    pairs = pd.read_csv(out / "similarity.csv", keep_default_na=False)
    assert list(zip(pairs["submission_b"], pairs["verdict"])) == [
        ("similar_disguised_copy_of_alice", "likely copy"),
        ("similar_one_function_of_bob", "look at it"),
    ]
    run = grader("similarity", out, "--min-tokens", "80")
    assert "2 likely copy pair(s)" in run.stdout
    everything = grader("similarity", out, "--show", "all")
    assert everything.returncode == 0
    assert "probably independent" in everything.stdout  # the bands written, named
    assert len(pd.read_csv(out / "similarity.csv")) >= 2
    _one_clear_error(grader("similarity", out, "--min-tokens", "0"))


def test_the_html_shows_each_fragment_side_by_side_with_student_code_inert(graded, tmp_path):
    out = Path(shutil.copytree(graded, tmp_path / "out"))
    grader("similarity", out)
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "likely copy, score" in page and "does not prove that anyone copied" in page
    assert page.count('<table class="pair">') >= 4  # one per fragment
    assert "held by 2 of 7 notebooks" in page
    assert "<script" not in page
    marked = [line for line in page.splitlines() if "<mark>" in line]
    assert any("tmp" in line and "_val" in line for line in marked)
    assert not any("YOUR CODE HERE" in line or "Args:" in line for line in marked)


def test_earlier_years_are_searched_from_an_output_folder_a_folder_and_a_zip(graded, tmp_path):
    """Last year's OUT (the same class), a folder of notebooks with its own template, and the
    same as a zip: each class notebook is flagged against its earlier self, the earlier
    ones never against each other, and the index is written once and reused."""
    out = Path(shutil.copytree(graded, tmp_path / "out"))
    last_year = Path(shutil.copytree(graded, tmp_path / "2023"))
    run = grader("similarity", out, "--against", last_year)
    assert run.returncode == 0, run.stderr
    assert "and 7 earlier notebook(s)" in run.stdout
    pairs = pd.read_csv(out / "similarity.csv", keep_default_na=False, dtype=str)
    earlier = {(r.submission_a, r.against, r.submission_b) for r in pairs.itertuples()}
    assert ("alice_numpy", "2023", "alice_numpy") in earlier
    assert (last_year / "similarity-index.npz").is_file()
    # a folder of notebooks with its own year's template (the bare template is no evidence)
    archive = tmp_path / "archive" / "2022"
    archive.mkdir(parents=True)
    shutil.copy(ASSIGNMENT / "student.ipynb", archive / "student.ipynb")
    shutil.copy(ASSIGNMENT / "student.ipynb", archive / "blank.ipynb")
    shutil.copy(EXAMPLES / "bob_loops.ipynb", archive / "bob_2022.ipynb")
    index = tmp_path / "elsewhere.npz"
    run = grader("similarity", out, "--against", archive.parent, "--index", index)
    assert run.returncode == 0, run.stderr
    pairs = pd.read_csv(out / "similarity.csv", keep_default_na=False, dtype=str)
    found = {(r.submission_a, r.against, r.submission_b) for r in pairs.itertuples()}
    assert ("bob_loops", "2022", "bob_2022") in found
    assert "blank" not in set(pairs["submission_b"])
    stamp = index.stat().st_mtime_ns
    assert grader("similarity", out, "--against", archive.parent, "--index", index).returncode == 0
    assert index.stat().st_mtime_ns == stamp  # nothing changed: fingerprinted once
    zipped = shutil.make_archive(str(tmp_path / "archive"), "zip", archive.parent)
    run = grader("similarity", out, "--against", zipped)
    assert run.returncode == 0, run.stderr
    assert "bob_2022" in set(pd.read_csv(out / "similarity.csv")["submission_b"])
    assert Path(zipped).with_suffix(".similarity-index.npz").is_file()


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
    assert "1 likely copy pair(s)" in run.stdout


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


def test_cells_of_an_executed_notebook_are_those_the_careful_reader_finds(graded, tmp_path):
    """The grader's own executed notebooks are read straight from their JSON (no nbformat
    validation in the process that records every result): the same cells as the careful
    reader's, on every notebook graded here; a file not shaped as written goes to that reader."""
    executed = sorted((graded / "executed").glob("*.ipynb"))
    assert len(executed) >= 5
    for path in executed:
        assert _sources._written_cells(path) == _sources.notebook_cells(path), path.name
    odd = tmp_path / "odd.ipynb"
    raw = json.loads(executed[0].read_text(encoding="utf-8"))
    raw["cells"][0]["source"] = {"not": "text"}
    odd.write_text(json.dumps(raw), encoding="utf-8")
    assert _sources._written_cells(odd) is None
    assert graded_cells(odd, odd, time.time() - 60) == _sources.notebook_cells(odd)


def test_a_missing_assignment_folder_is_said_once_and_the_comparison_goes_on(graded, tmp_path):
    """The reference solution is read from the assignment folder the store records; moved
    away, it cannot be left out: one note, and the same copy is flagged."""
    out = Path(shutil.copytree(graded, tmp_path / "out"))
    db = sqlite3.connect(out / "results.sqlite")
    db.execute(
        "UPDATE info SET value = ? WHERE key = 'assignment_folder'", (str(tmp_path / "gone"),)
    )
    db.commit()
    db.close()
    run = grader("similarity", out)
    assert run.returncode == 0, run.stderr
    notes = [line for line in run.stdout.splitlines() if "reference solution" in line]
    assert len(notes) == 1 and notes[0].startswith("Note: ") and "gone" in notes[0]
    assert "1 likely copy pair(s)" in run.stdout
