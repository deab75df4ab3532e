"""``pytest --grade NOTEBOOK``: one pytest item per check, graded like ``grader check``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

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


def _plant_conftests(folders: list[Path], marker: Path) -> None:
    """A conftest.py in each folder that, if pytest ever imports it, leaves its mark."""
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "conftest.py").write_text(
            f"from pathlib import Path\n\nPath({str(marker)!r}).mkdir(exist_ok=True)\n"
            f"(Path({str(marker)!r}) / {folder.name!r}).write_text('ran')\n"
        )


def _graded_all_eight(run: subprocess.CompletedProcess) -> None:
    assert run.returncode == 1, run.stdout + run.stderr  # erin fails 3 checks
    assert "5 passed" in run.stdout and "3 failed" in run.stdout, run.stdout
    assert "no conftest.py is loaded" in run.stdout, run.stdout


def test_grading_from_inside_a_submissions_folder_imports_none_of_its_conftests(bundle, tmp_path):
    """Each place pytest looks for a conftest.py from where it runs: the folder, a folder
    above it, and its ``test*`` folders."""
    handins = tmp_path / "handins"
    folder = shutil.copytree(bundle, handins / "erin")
    marker = tmp_path / "ran"
    _plant_conftests([handins, folder, folder / "tests"], marker)
    run = pytest_run("--grade", "erin.ipynb", "--rootdir", handins, cwd=folder)
    assert not marker.exists(), f"conftest.py ran in {sorted(p.name for p in marker.iterdir())}"
    _graded_all_eight(run)


def test_grading_a_notebook_in_another_folder_imports_none_of_its_conftests(bundle, tmp_path):
    """The conftests pytest finds as it collects the notebook: its folder's and those above."""
    handins = tmp_path / "handins"
    folder = shutil.copytree(bundle, handins / "erin")
    marker = tmp_path / "ran"
    _plant_conftests([handins, folder], marker)
    (tmp_path / "grading").mkdir()
    run = pytest_run(
        "--grade", folder / "erin.ipynb", "--rootdir", tmp_path, cwd=tmp_path / "grading"
    )
    assert not marker.exists(), f"conftest.py ran in {sorted(p.name for p in marker.iterdir())}"
    _graded_all_eight(run)


def test_a_spec_beside_the_notebook_naming_python_files_is_refused_unrun(bundle, tmp_path):
    """A folder that passes for a bundle but whose spec names a checks module: loading the
    assignment would import it, as the user running pytest."""
    folder = shutil.copytree(bundle, tmp_path / "erin")
    marker = tmp_path / "ran"
    (folder / "checks.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    spec = folder / "spec.toml"
    spec.write_text('checks = "checks.py"\n' + spec.read_text())
    run = pytest_run("--grade", "erin.ipynb", cwd=folder)
    assert not marker.exists(), "the checks module beside the notebook ran"
    assert run.returncode == 4, run.stdout + run.stderr
    assert f"--grade: {spec} names Python files (checks) that would run as you" in run.stderr
    assert "pass --grade-assignment with an assignment you trust" in run.stderr
