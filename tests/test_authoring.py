"""Authoring: `grader assign` splits one source notebook into the student copy and the solution."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tests.conftest import ASSIGNMENT, ROOT

SPEC = """\
name = "tiny"
student_notebook = "student.ipynb"
solution_notebook = "solution.ipynb"
oracles = "oracles.py"
checks = "checks.py"
seed = 1

[[questions]]
id = "1"
points = 1

  [[questions.checks]]
  function = "f"
  params = { x = "float" }
  returns = "scalar"
  inputs = "x"
"""
#: What the spec names beside it: assign checks the whole spec, as freeze and validate do.
ORACLES = "def f(x):\n    return x\n"
CHECKS = (
    "from hypothesis import strategies as st\n\nfrom grader import Inputs\n\n"
    'INPUTS = {"x": Inputs(st.builds(lambda x: {"x": x}, st.floats(-1, 1)))}\n'
    "PROPERTIES = {}\n"
)


def grader(*args: object, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from grader._cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env=_env(),
    )


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _tiny(tmp_path: Path, *cells: nbformat.NotebookNode) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "spec.toml").write_text(SPEC)
    (folder / "oracles.py").write_text(ORACLES)
    (folder / "checks.py").write_text(CHECKS)
    nbformat.write(new_notebook(cells=list(cells)), folder / "source.ipynb")
    return folder


def _sources(path: Path) -> list[tuple[str, str, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(c.id, c.cell_type, c.source) for c in nb.cells]


def test_assign_rewrites_the_bundled_notebooks_byte_for_byte(tmp_path):
    copy = tmp_path / "assignments" / "variational_inference"
    shutil.copytree(ASSIGNMENT, copy)
    shutil.copytree(ROOT / "reference", tmp_path / "reference")  # the spec's oracles
    (copy / "student.ipynb").unlink()
    (copy / "solution.ipynb").unlink()
    run = grader("assign", copy)
    assert run.returncode == 0, run.stderr
    for name in ("student.ipynb", "solution.ipynb"):
        assert (copy / name).read_bytes() == (ASSIGNMENT / name).read_bytes(), name
    first = (copy / "student.ipynb").read_bytes()
    assert grader("assign", copy).returncode == 0
    assert (copy / "student.ipynb").read_bytes() == first


def test_regions_become_stubs_at_their_indentation(tmp_path):
    code = "\n".join(
        [
            "class Model:",
            "    def fit(self, x):",
            "        # BEGIN SOLUTION",
            "        self.mean = sum(x) / len(x)",
            "        return self",
            "        # END SOLUTION",
            "",
            "rate = 0.5  # SOLUTION",
            "def f(x):",
            "    return 2 * x  # SOLUTION",
        ]
    )
    answered = new_code_cell(code, id="model", metadata={"tags": ["question:1", "keep-me"]})
    answered.outputs = [new_output("stream", name="stdout", text="instructor's run\n")]
    folder = _tiny(
        tmp_path,
        new_markdown_cell("# Tiny", id="title"),
        answered,
        new_code_cell("assert f(1) == 2", id="self-test", metadata={"tags": ["solution-only"]}),
        new_markdown_cell("Hint: mean", id="hint", metadata={"tags": ["student-only"]}),
    )
    assert grader("assign", folder).returncode == 0
    student = nbformat.read(folder / "student.ipynb", as_version=4)
    solution = nbformat.read(folder / "solution.ipynb", as_version=4)
    assert [c.id for c in student.cells] == ["title", "model", "hint"]
    assert [c.id for c in solution.cells] == ["title", "model", "self-test"]
    assert student.cells[1].source.split("\n") == [
        "class Model:",
        "    def fit(self, x):",
        "        # YOUR CODE HERE",
        "        raise NotImplementedError()",
        "",
        "rate = ...",
        "def f(x):",
        "    raise NotImplementedError()",
    ]
    assert solution.cells[1].source.split("\n") == [
        "class Model:",
        "    def fit(self, x):",
        "        self.mean = sum(x) / len(x)",
        "        return self",
        "",
        "rate = 0.5",
        "def f(x):",
        "    return 2 * x",
    ]
    for nb in (student, solution):
        assert nb.cells[1].outputs == []
        assert nb.cells[1].metadata == {"tags": ["keep-me"]}  # the grader's own tags are gone


@pytest.mark.parametrize(
    "code, problem",
    [
        ("def f():\n    # BEGIN SOLUTION\n    return 1", "line 2: BEGIN SOLUTION is never closed"),
        ("def f():\n    return 1\n    # END SOLUTION", "line 3: END SOLUTION without a BEGIN"),
        (
            "# BEGIN SOLUTION\nx = 1\n# BEGIN SOLUTION\n# END SOLUTION",
            "line 3: BEGIN SOLUTION inside the region opened on line 1",
        ),
    ],
    ids=["begin-never-closed", "end-without-begin", "nested"],
)
def test_unbalanced_markers_are_refused_naming_the_cell(tmp_path, code, problem):
    folder = _tiny(tmp_path, new_markdown_cell("# Tiny", id="title"), new_code_cell(code, id="f"))
    run = grader("assign", folder)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "cell 2 (id 'f')" in last and problem in last, last
    assert not (folder / "student.ipynb").exists()


def test_a_question_tag_not_in_the_spec_is_refused(tmp_path):
    cell = new_markdown_cell("## Question 2", id="q2", metadata={"tags": ["question:2"]})
    folder = _tiny(tmp_path, cell)
    run = grader("assign", folder)
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert "cell 1 (id 'q2')" in last and "'question:2'" in last and "questions: 1" in last, last


@pytest.mark.parametrize(
    "name, problem",
    [("Bad-Name", "cannot name an assignment"), ("taken", "already exists")],
)
def test_new_refuses_a_bad_name_or_an_existing_assignment(tmp_path, name, problem):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "taken.py").write_text("# an instructor's oracles\n")
    run = grader("new", name, cwd=tmp_path)
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and problem in last, last
    assert (tmp_path / "reference" / "taken.py").read_text() == "# an instructor's oracles\n"
    assert not (tmp_path / "assignments").exists()


def test_new_writes_a_source_with_every_marker(tmp_path):
    assert grader("new", "demo", cwd=tmp_path).returncode == 0
    nb = nbformat.read(tmp_path / "assignments" / "demo" / "source.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
    assert "# BEGIN SOLUTION" in text and "# END SOLUTION" in text and "# SOLUTION" in text
    assert tags == {
        "question:1",
        "question:2",
        "question:3",
        "manual",
        "student-only",
        "solution-only",
    }


MANUAL_SPEC = SPEC + '\n[[questions]]\nid = "2"\npoints = 2\nmanual = true\n'


def test_a_manual_answer_cell_is_a_placeholder_for_students(tmp_path):
    answer = new_markdown_cell(
        "Because 0.", id="answer", metadata={"tags": ["question:2", "manual"]}
    )
    folder = _tiny(tmp_path, new_markdown_cell("## Question 2: why?", id="q2"), answer)
    (folder / "spec.toml").write_text(MANUAL_SPEC)
    assert grader("assign", folder).returncode == 0
    assert _sources(folder / "student.ipynb")[1] == (
        "answer",
        "markdown",
        "_Type your answer here, replacing this text._",
    )
    assert _sources(folder / "solution.ipynb")[1] == ("answer", "markdown", "Because 0.")


@pytest.mark.parametrize(
    "cell, problem",
    [
        (
            new_code_cell("x = 1", id="c", metadata={"tags": ["question:2", "manual"]}),
            "only markdown cells can be tagged manual",
        ),
        (
            new_markdown_cell("Because.", id="c", metadata={"tags": ["question:1", "manual"]}),
            "naming a question with manual = true in the spec (those: 2)",
        ),
    ],
    ids=["code-cell", "question-not-manual"],
)
def test_a_misplaced_manual_tag_is_refused(tmp_path, cell, problem):
    folder = _tiny(tmp_path, cell)
    (folder / "spec.toml").write_text(MANUAL_SPEC)
    run = grader("assign", folder)
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert "cell 1 (id 'c')" in last and problem in last, last


def test_a_manual_question_with_checks_is_a_spec_error(tmp_path):
    from grader import load_assignment
    from grader.errors import SpecError

    copy = tmp_path / "vi"
    shutil.copytree(ASSIGNMENT, copy)
    spec = copy / "spec.toml"
    text = spec.read_text().replace('"../../reference/', f'"{ROOT}/reference/')
    spec.write_text(text.replace("points = 4\n", "points = 4\nmanual = true\n"))
    with pytest.raises(SpecError, match=r"question 1b is graded by hand .* but has checks"):
        load_assignment(copy)


def test_a_source_without_cell_ids_gets_stable_ones(tmp_path):
    folder = _tiny(tmp_path)
    old = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": ["def f():\n", "    return 1  # SOLUTION"],
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    (folder / "source.ipynb").write_text(json.dumps(old))
    assert grader("assign", folder).returncode == 0
    first = (folder / "student.ipynb").read_bytes()
    assert _sources(folder / "student.ipynb") == [
        ("cell-1", "code", "def f():\n    raise NotImplementedError()")
    ]
    assert grader("assign", folder).returncode == 0
    assert (folder / "student.ipynb").read_bytes() == first


def test_new_leaves_an_assignment_that_grades_as_it_stands(tmp_path):
    """`grader new X && grader validate X`: no assign or freeze in between (validate grades the
    solution and the student copy in real kernels)."""
    made = grader("new", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "assignments" / "demo"
    for name in ("student.ipynb", "solution.ipynb", "frozen.json"):
        assert f"Wrote assignments/demo/{name}" in made.stdout, made.stdout
        assert (folder / name).is_file()
    run = grader("validate", "demo", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "demo: valid." in run.stdout
    # What the authoring guide does next still works: the notebooks come out the same.
    student = (folder / "student.ipynb").read_bytes()
    assert grader("assign", "demo", cwd=tmp_path).returncode == 0
    assert (folder / "student.ipynb").read_bytes() == student
    # Hypothesis draws in a scratch home: nothing of its own storage in the course folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assignments", "reference"]
