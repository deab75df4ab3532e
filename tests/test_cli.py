"""The command line: one clear line and exit status 2 for bad input, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import ASSIGNMENT, EXAMPLES, ROOT


def grader(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-c", "from grader._cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _one_clear_error(run):
    assert run.returncode == 2, run
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("Error: ")


def test_grade_writes_the_report_and_says_where(tmp_path):
    run = grader(
        "grade",
        "variational_inference",
        EXAMPLES / "alice_numpy.ipynb",
        EXAMPLES / "dave_log2.ipynb",
        "--out",
        tmp_path,
        "--workers",
        "1",
    )
    assert run.returncode == 0, run.stderr
    assert str(tmp_path / "gradebook.csv") in run.stdout
    assert "Mean 8.5 and median 8.5 of 15 points so far" in run.stdout
    assert "\r" not in run.stderr and "nb/s" not in run.stderr  # no bar off a terminal
    book = pd.read_csv(tmp_path / "gradebook.csv").set_index("submission")
    assert book.loc["alice_numpy", "total"] == 10.0
    assert book.loc["dave_log2", "total"] == 7.0


@pytest.mark.parametrize(
    "args",
    [
        ("grade", "no_such_assignment", EXAMPLES, "--out", "OUT"),
        ("grade", "variational_inference", "no/such/folder", "--out", "OUT"),
        ("grade", "variational_inference", "EMPTY", "--out", "OUT"),
        ("grade", "variational_inference", EXAMPLES, "--out", "A_FILE"),
        (
            "grade",
            "variational_inference",
            EXAMPLES,
            EXAMPLES / "alice_numpy.ipynb",
            "--out",
            "OUT",
        ),
        ("grade", "variational_inference", EXAMPLES, "--out", "OUT", "--workers", "0"),
        ("grade", "variational_inference"),
        ("check", "no_such.ipynb"),
        ("frobnicate",),
    ],
    ids=[
        "assignment",
        "submission",
        "empty-folder",
        "out-is-file",
        "duplicate-names",
        "workers-0",
        "no-submissions",
        "check-missing-notebook",
        "unknown-command",
    ],
)
def test_bad_input_gives_one_clear_line(tmp_path, args):
    (tmp_path / "EMPTY").mkdir()
    (tmp_path / "A_FILE").write_text("not a folder")
    args = [str(tmp_path / a) if a in ("OUT", "EMPTY", "A_FILE") else a for a in args]
    _one_clear_error(grader(*args))


def test_check_exit_status_follows_full_marks():
    good = grader("check", ASSIGNMENT / "solution.ipynb", "--assignment", "variational_inference")
    assert good.returncode == 0, good.stderr
    assert "10/10" in good.stdout
    bad = grader(
        "check", EXAMPLES / "erin_variance_bug.ipynb", "--assignment", "variational_inference"
    )
    assert bad.returncode == 1
    assert "1b  0/4  wrong" in bad.stdout and "kl_gaussian(" in bad.stdout


def test_a_stale_frozen_file_is_one_clear_error(tmp_path):
    import shutil

    copy = tmp_path / "vi"
    shutil.copytree(ASSIGNMENT, copy)
    spec = copy / "spec.toml"
    text = spec.read_text().replace('"../../reference/', f'"{ROOT}/reference/')
    spec.write_text(text.replace("seed = 20190125", "seed = 20190126"))
    run = grader("grade", copy, EXAMPLES / "alice_numpy.ipynb", "--out", tmp_path / "out")
    _one_clear_error(run)
    assert "grader freeze" in run.stderr


@pytest.mark.parametrize(
    "args, said",
    [
        (["grade", "variational_inferance", "x.ipynb", "--out", "OUT"], "'variational_inference'"),
        (["validate", "mean_field"], "'mean_field_vi'"),
        (["release", "assignments/mean_fild_vi", "--out", "OUT"], "'assignments/mean_field_vi'"),
    ],
    ids=["grade-typo", "validate-prefix", "release-path-typo"],
)
def test_a_misspelled_assignment_suggests_the_near_ones(tmp_path, args, said):
    run = grader(*[str(tmp_path / a) if a == "OUT" else a for a in args])
    _one_clear_error(run)
    assert f"Did you mean {said}?" in run.stderr.splitlines()[-1], run.stderr


def test_an_assignment_like_none_suggests_nothing():
    run = grader("validate", "zzz")
    _one_clear_error(run)
    assert "Did you mean" not in run.stderr


def test_a_misspelled_command_suggests_the_near_one():
    """click says it (8.1 and later), with the usage line above: the last line is the Error."""
    run = grader("gard", "variational_inference")
    _one_clear_error(run)
    assert run.stderr.splitlines()[-1] == "Error: No such command 'gard'. Did you mean 'grade'?"


def test_check_outside_a_bundle_says_to_pass_the_assignment(tmp_path):
    notebook = tmp_path / "mine.ipynb"
    notebook.write_bytes((EXAMPLES / "erin_variance_bug.ipynb").read_bytes())
    run = grader("check", notebook, cwd=tmp_path)
    _one_clear_error(run)
    last = run.stderr.splitlines()[-1]
    assert "is not in a student bundle" in last and "pass --assignment" in last, last
    assert f"grader check {notebook} --assignment NAME" in last
