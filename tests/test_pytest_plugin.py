"""``pytest --grade NOTEBOOK``: one pytest item per check, graded like ``grader check``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from grader.assignment._release import release_bundle
from tests.conftest import ASSIGNMENT, EXAMPLES, ROOT

PLUGIN = "grader.integrations._pytest_plugin"


@pytest.fixture(scope="module")
def bundle(assignment, tmp_path_factory):
    folder = release_bundle(assignment, tmp_path_factory.mktemp("bundle"))
    (folder / "erin.ipynb").write_bytes((EXAMPLES / "erin_variance_bug.ipynb").read_bytes())
    return folder


def pytest_run(*args, cwd):
    """A pytest of its own, with this checkout's plugin (``no:grader`` blocks an entry point an
    installed grader may have registered)."""
    plugins = ["-p", "no:grader", "-p", PLUGIN, "-p", "no:cacheprovider"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def test_each_check_is_an_item_failing_with_the_feedback_of_grader_check(bundle, tmp_path):
    run = pytest_run("--grade", "erin.ipynb", "-v", "--junitxml", tmp_path / "j.xml", cwd=bundle)
    assert run.returncode == 1, run.stdout + run.stderr
    cases = list(ET.parse(tmp_path / "j.xml").getroot().iter("testcase"))
    assert len(cases) == 8
    failing = sorted(c.get("name") for c in cases if c.find("failure") is not None)
    assert failing == ["kl_gaussian", "kl_gaussian_same_mean", "kl_gaussian_same_variance"]
    assert "erin.ipynb::1a::entropy PASSED" in run.stdout
    check = subprocess.run(
        [sys.executable, "-m", "grader", "check", "erin.ipynb", "--json", tmp_path / "c.json"],
        capture_output=True,
        text=True,
        cwd=bundle,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    document = json.loads((tmp_path / "c.json").read_text())
    feedback = {c["function"]: c["feedback"] for q in document["questions"] for c in q["checks"]}
    assert check.returncode == 1
    for case in cases:
        if case.find("failure") is not None:
            assert feedback[case.get("name")] in case.find("failure").text
    assert (
        run.stdout.strip()
        .splitlines()[-2]
        .endswith("erin.ipynb: 3 of 8 public checks fail; hidden checks also count")
        or "erin.ipynb: 3 of 8 public checks fail; hidden checks also count" in run.stdout
    )


def test_k_selects_checks_and_passing_checks_exit_0(bundle):
    run = pytest_run("--grade", "erin.ipynb", "-k", "1a or 1c", "-q", cwd=bundle)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 passed, 3 deselected" in run.stdout


def test_without_grade_the_plugin_does_nothing(tmp_path):
    (tmp_path / "mine.ipynb").write_bytes((ASSIGNMENT / "solution.ipynb").read_bytes())
    (tmp_path / "spec.toml").write_bytes((ASSIGNMENT / "spec.toml").read_bytes())
    (tmp_path / "test_plain.py").write_text(
        "import sys\n\n\ndef test_plain():\n"
        "    assert 'grader.grading._notebook' not in sys.modules\n"
    )
    run = pytest_run("-v", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_plain.py::test_plain PASSED" in run.stdout
    assert "1 passed" in run.stdout and "ipynb" not in run.stdout


def test_a_missing_notebook_is_a_usage_error(bundle):
    run = pytest_run("--grade", "nope.ipynb", cwd=bundle)
    assert run.returncode == 4
    assert "--grade: no such notebook: nope.ipynb" in run.stderr
