"""The frozen file's hash covers only what decides the drawn inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.assignment._frozen import inputs_hash, load_frozen
from grader.assignment._spec import load_assignment
from grader.errors import FrozenInputsError
from tests.conftest import ASSIGNMENT, ROOT


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    shutil.copytree(ASSIGNMENT, tmp_path / "assignments" / "variational_inference")
    return tmp_path / "assignments" / "variational_inference"


GRADING_ONLY = [
    ('returns = "scalar"\n', 'returns = "scalar"\n  rtol = 1e-3\n  atol = 1e-6\n'),
    ('returns = "scalar"\n', 'returns = "scalar"\n  credit = "proportional"\n'),
    ('returns = "scalar"\n', 'returns = "scalar"\n  stochastic = true\n  samples = 3\n'),
    ("weight = 2", "weight = 3"),
    ("points = 3", "points = 5"),
    ("show_expected = false", "show_expected = true"),
    ('"kl_self_zero", ', ""),
]


@pytest.mark.parametrize(("old", "new"), GRADING_ONLY)
def test_grading_keys_keep_the_frozen_inputs(copy, old, new):
    before = load_frozen(load_assignment(copy)).cases
    spec = copy / "spec.toml"
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))
    text = spec.read_text() + '\n[[questions]]\nid = "2"\npoints = 1\nmanual = true\n'
    spec.write_text(text)
    assert load_frozen(load_assignment(copy)).cases == before


@pytest.mark.parametrize(
    ("old", "new"),
    [("seed = 20190125", "seed = 1"), ('inputs = "pmf"', 'inputs = "pmf"\n  examples = 7')],
)
def test_what_draws_the_inputs_makes_them_stale(copy, old, new):
    spec = copy / "spec.toml"
    spec.write_text(spec.read_text().replace(old, new))
    with pytest.raises(FrozenInputsError, match="changed since these inputs were frozen"):
        load_frozen(load_assignment(copy, oracles=False))


def test_the_committed_frozen_file_records_the_inputs_hash():
    assignment = load_assignment(ASSIGNMENT)
    assert f'"inputs_sha256": "{inputs_hash(assignment)}"' in assignment.frozen_path.read_text()
