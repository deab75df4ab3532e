"""The student bundle holds no oracle, and a correct notebook passes its public checks in it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from grader.assignment._bundle_ci import build_wheel
from grader.assignment._release import release_bundle
from tests.conftest import ASSIGNMENT, EXAMPLES, ROOT


@pytest.fixture(scope="module")
def bundle(assignment, tmp_path_factory):
    return release_bundle(assignment, tmp_path_factory.mktemp("bundle"))


def test_bundle_holds_the_notebook_spec_and_public_cases_only(bundle):
    files = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file())
    assert files == [
        ".github/workflows/grade.yml",
        "grader-0.1.0-py3-none-any.whl",  # its contents: test_the_wheel_ships_no_oracle...
        "public.json",
        "spec.toml",
        "student.ipynb",
    ]
    oracle_source = (ROOT / "reference" / "variational_inference.py").read_text()
    bodies = [line.strip() for line in oracle_source.splitlines() if "return" in line]
    for name in files:
        if name.endswith(".whl"):
            continue
        text = (bundle / name).read_text()
        for line in bodies:
            if len(line) > 20:
                assert line not in text, (name, line)
    spec = (bundle / "spec.toml").read_text()
    for private in ("reference", "checks.py", "solution"):
        assert private not in spec


def _check(notebook, cwd):
    return subprocess.run(
        [sys.executable, "-c", "from grader._cli import main; main()", "check", str(notebook)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's grader, from any folder
        timeout=300,
    )


def test_correct_notebook_passes_the_public_checks_inside_the_bundle(bundle):
    notebook = bundle / "mine.ipynb"
    notebook.write_bytes((ASSIGNMENT / "solution.ipynb").read_bytes())
    run = _check(notebook, bundle)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "public checks" in run.stdout and "hidden checks" in run.stdout


def test_buggy_notebook_fails_the_public_checks_and_sees_expected_values(bundle):
    notebook = bundle / "erin.ipynb"
    notebook.write_bytes((EXAMPLES / "erin_variance_bug.ipynb").read_bytes())
    run = _check(notebook, bundle)
    assert run.returncode == 1
    assert "Expected" in run.stdout


def test_the_wheel_ships_no_oracle_and_no_assignment(tmp_path):
    wheel = build_wheel(tmp_path)  # built from a scratch copy: nothing left in the checkout
    names = zipfile.ZipFile(wheel).namelist()
    entry_points = zipfile.ZipFile(wheel).read("grader-0.1.0.dist-info/entry_points.txt").decode()
    assert "[pytest11]\ngrader = grader.integrations._pytest_plugin" in entry_points
    assert any(n.startswith("grader/grading/_notebook.py") for n in names)
    assert not [n for n in names if n.startswith(("reference/", "assignments/", "tests/"))]
