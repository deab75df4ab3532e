"""A spec is validated when it loads: every mistake is one clear SpecError, before any grading."""

from __future__ import annotations

import shutil

import pytest

from grader import load_assignment
from grader.errors import AssignmentNotFoundError, SpecError
from tests.conftest import ASSIGNMENT, ROOT


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "vi"
    shutil.copytree(ASSIGNMENT, folder)
    spec = folder / "spec.toml"
    spec.write_text(spec.read_text().replace('"../../reference/', f'"{ROOT}/reference/'))
    return folder


def _edit(folder, old, new):
    spec = folder / "spec.toml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new, 1))


def test_the_real_assignment_loads(assignment):
    assert [q.id for q in assignment.questions] == ["1a", "1b", "1c"]
    assert assignment.total_points == 10
    assert [c.weight for c in assignment.questions[1].checks] == [2.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("points = 3", "pionts = 3", "unknown key"),
        ("points = 3", "points = -3", "points must be a positive number"),
        ('returns = "scalar"', 'returns = "number"', "returns is 'number'"),
        ('params = { p = "vector" }', 'params = { p = "vektor" }', "has kind 'vektor'"),
        ('inputs = "pmf"', 'inputs = "pfm"', "no Inputs named 'pfm'"),
        ('function = "entropy"', 'function = "entropy"\n  oracle = "entropie"', "no function"),
        ('"entropy_nonnegative", ', '"entropy_nonnegativ", ', "no Property"),
        ('id = "1b"', 'id = "1a"', "duplicate question id"),
        ("seed = 20190125", 'seed = "x"', "seed must be a whole number"),
        ('student_notebook = "student.ipynb"', 'student_notebook = "nope.ipynb"', "nope.ipynb"),
        ('params = { p = "vector" }', 'params = { x = "vector" }', "edge case"),
    ],
)
def test_mistakes_in_the_spec_are_caught_at_load(copy, old, new, message):
    _edit(copy, old, new)
    with pytest.raises(SpecError, match=message):
        load_assignment(copy)


def test_a_broken_checks_module_is_a_spec_error(copy):
    (copy / "checks.py").write_text("raise RuntimeError('oops')\n")
    with pytest.raises(SpecError, match="failed to import"):
        load_assignment(copy)


def test_an_unknown_assignment_names_where_it_looked():
    with pytest.raises(AssignmentNotFoundError, match="no_such_sheet"):
        load_assignment("no_such_sheet")


def test_a_name_is_found_beside_the_package_from_any_folder(tmp_path, monkeypatch):
    """With an editable install, `grader grade variational_inference` works outside the
    repository too: names are looked up in the repository's assignments/ as well."""
    monkeypatch.chdir(tmp_path)
    assert load_assignment("variational_inference").name == "variational_inference"
