"""`grader validate`: passes on the bundled assignment, names each problem of a broken copy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ASSIGNMENT, ROOT
from tests.test_authoring import grader


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The bundled assignment and its oracles, laid out as in the repository."""
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    shutil.copytree(ASSIGNMENT, tmp_path / "assignments" / "variational_inference")
    return tmp_path / "assignments" / "variational_inference"


def _validate(folder: Path) -> tuple[int, list[str]]:
    run = grader("validate", folder)
    assert "Traceback" not in run.stderr, run.stderr
    return run.returncode, run.stdout.splitlines()


def _edit_cell(path: Path, cell_id: str, edit) -> None:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.id == cell_id)
    cell.source = edit(cell.source)
    nbformat.write(nb, path)


def test_the_bundled_assignment_is_valid():
    code, lines = _validate(ASSIGNMENT)
    assert code == 0, lines
    assert "valid" in lines[0] and "all 10 points" in lines[0]


def test_a_solution_with_a_bug(copy):
    _edit_cell(copy / "source.ipynb", "entropy", lambda s: s.replace("np.log(p", "np.log2(p"))
    assert grader("assign", copy).returncode == 0
    code, lines = _validate(copy)
    assert code == 1
    assert lines[1:] == [lines[-1]], lines  # one problem, and it is this one
    assert "solution.ipynb: question 1a earns only 2/3" in lines[1] and "entropy(" in lines[1]


def test_a_stub_left_in_the_solution(copy):
    _edit_cell(
        copy / "solution.ipynb",
        "optimal-factor",
        lambda s: s.split("    p_joint = np.asarray")[0] + "    raise NotImplementedError()",
    )
    code, lines = _validate(copy)
    assert code == 1
    text = "\n".join(lines)
    assert "optimal_factor (question 1c) is still a stub" in text
    assert (
        "solution.ipynb is not what source.ipynb gives (first at cell 15, id 'optimal-factor')"
        in text
    )
    assert "question 1c earns only 1.5/3" in text


def test_an_answer_left_in_the_student_copy(copy):
    shutil.copyfile(copy / "solution.ipynb", copy / "student.ipynb")
    code, lines = _validate(copy)
    assert code == 1
    text = "\n".join(lines)
    assert "student.ipynb: entropy (question 1a) is not stubbed" in text
    assert "student.ipynb: question 1b already earns 4/4" in text
    assert "student.ipynb is not what source.ipynb gives (first at cell 5, id 'entropy')" in text


def test_an_unbalanced_marker(copy):
    _edit_cell(copy / "source.ipynb", "kl-gaussian", lambda s: s.replace("# END SOLUTION", ""))
    code, lines = _validate(copy)
    assert code == 1
    assert len(lines) == 2, lines
    assert "cell 11 (id 'kl-gaussian'): line 13: BEGIN SOLUTION is never closed" in lines[1]


def test_a_stale_frozen_file(copy):
    spec = copy / "spec.toml"
    spec.write_text(spec.read_text().replace("seed = 20190125", "seed = 20190126"))
    code, lines = _validate(copy)
    assert code == 1
    assert "frozen.json: the spec or checks.py changed since these inputs were frozen" in lines[1]


def test_frozen_cases_that_lack_an_edge_case(copy):
    frozen = copy / "frozen.json"
    document = json.loads(frozen.read_text())
    cases = document["checks"]["1a/entropy"]["cases"]
    cases.remove({"p": [0.25, 0.0, 0.75]})
    frozen.write_text(json.dumps(document, indent=1))
    code, lines = _validate(copy)
    assert code == 1
    assert "1a/entropy lacks the edge case {'p': [0.25, 0.0, 0.75]}" in lines[1], lines


def test_an_oracle_that_breaks_the_sheet(copy):
    oracles = copy.parents[1] / "reference" / "variational_inference.py"
    text = oracles.read_text()
    text = text.replace("return float(np.sum(entr(", "return -float(np.sum(entr(").replace(
        "return float(-np.sum(xlogy(p_arr, q_arr)))", 'return float("nan")'
    )
    oracles.write_text(text)
    code, lines = _validate(copy)
    assert code == 1
    text = "\n".join(lines)
    assert "the oracle cross_entropy gives nan on" in text
    assert "the property 'entropy_nonnegative' (H(p) >= 0) of 1a/entropy does not hold" in text


def test_a_manual_question_without_an_answer_cell(tmp_path):
    assert grader("new", "demo", cwd=tmp_path).returncode == 0
    folder = tmp_path / "assignments" / "demo"
    nb = nbformat.read(folder / "source.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if c.id != "answer-3"]
    nbformat.write(nb, folder / "source.ipynb")
    for command in ("assign", "freeze"):
        assert grader(command, "demo", cwd=tmp_path).returncode == 0
    code, lines = _validate(folder)
    assert code == 1
    assert lines[1:] == [
        "  - question 3 is graded by hand, but no markdown cell of source.ipynb is tagged manual "
        "and question:3: students would have nowhere to answer"
    ]


def _demo_with_a_variable(tmp_path: Path, solution: str) -> Path:
    """`grader new demo` plus question 4: a top-level value `spread` the notebook computes."""
    assert grader("new", "demo", cwd=tmp_path).returncode == 0
    folder = tmp_path / "assignments" / "demo"
    spec = folder / "spec.toml"
    spec.write_text(
        spec.read_text()
        + '\n[[questions]]\nid = "4"\npoints = 1\n\n  [[questions.checks]]\n'
        + '  variable = "spread"\n  returns = { low = "scalar", high = "scalar" }\n'
    )
    oracles = tmp_path / "reference" / "demo.py"
    oracles.write_text(
        oracles.read_text() + '\n\ndef spread():\n    return {"low": 1, "high": 3}\n'
    )
    nb = nbformat.read(folder / "source.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell(solution, id="spread", metadata={"tags": ["question:4"]})
    nb.cells.append(cell)
    nbformat.write(nb, folder / "source.ipynb")
    for command in ("assign", "freeze"):
        run = grader(command, "demo", cwd=tmp_path)
        assert run.returncode == 0, run.stderr
    return folder


def test_a_variable_question_validates(tmp_path):
    solution = "# BEGIN SOLUTION\nspread = {'low': 1.0, 'high': 3.0}\n# END SOLUTION"
    code, lines = _validate(_demo_with_a_variable(tmp_path, solution))
    assert code == 0, lines


def test_a_variable_the_solution_never_assigns(tmp_path):
    solution = "# BEGIN SOLUTION\nspreads = {'low': 1.0, 'high': 3.0}\n# END SOLUTION"
    code, lines = _validate(_demo_with_a_variable(tmp_path, solution))
    assert code == 1
    assert (
        "  - solution.ipynb: spread (question 4) is not assigned at the top level of any cell"
        in lines
    )
