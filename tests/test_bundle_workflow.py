"""The bundle's GitHub Actions workflow, run for real: its steps' commands in a fresh venv.

Steps that ``uses:`` an action (checkout, setup-python, upload-artifact) are GitHub's; every
``run:`` command runs here in order, as the runner would run it, from a copy of the bundle as a
student's repository. Slow (a venv, the grader's dependencies, real kernels): one test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from grader.assignment._bundle_ci import JUNIT_FILE, WORKFLOW_PATH
from grader.assignment._release import release_bundle
from tests.conftest import ASSIGNMENT, EXAMPLES


def _steps(bundle):
    workflow = yaml.safe_load((bundle / WORKFLOW_PATH).read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers and "pull_request" in triggers
    (job,) = workflow["jobs"].values()
    return [step for step in job["steps"] if "run" in step]


def _run(command, repo, venv, **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GITHUB_STEP_SUMMARY")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv), **kwargs)
    return subprocess.run(
        ["bash", "-e", "-c", command],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_the_workflow_installs_the_bundled_wheel_and_checks_the_notebook(assignment, tmp_path):
    bundle = release_bundle(assignment, tmp_path / "dist")
    steps = _steps(bundle)
    commands = [step["run"] for step in steps]
    assert not [c for c in commands if re.search(r"pip install\s+['\"]?grader\b", c)]
    assert any("./grader-0.1.0-py3-none-any.whl" in c for c in commands)
    assert any("grader check" in c and f"--junit {JUNIT_FILE}" in c for c in commands)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    repo = tmp_path / "repo"
    shutil.copytree(bundle, repo)
    (repo / "student.ipynb").write_bytes((ASSIGNMENT / "solution.ipynb").read_bytes())
    summary = tmp_path / "summary.md"
    for command in commands:
        run = _run(command, repo, venv, GITHUB_STEP_SUMMARY=str(summary))
        assert run.returncode == 0, (command, run.stdout, run.stderr)
    assert "all public checks pass; hidden checks also count" in run.stdout
    cases = list(ET.parse(repo / JUNIT_FILE).getroot().iter("testcase"))
    assert len(cases) == 8 and not [c for c in cases if c.find("failure") is not None]
    assert "| 1b | kl_gaussian | pass |" in summary.read_text()
    # The grader that ran is the wheel's, installed in the venv, not this checkout.
    where = _run("python -c 'import grader; print(grader.__file__)'", repo, venv)
    assert str(venv) in where.stdout, where

    (repo / "student.ipynb").write_bytes((EXAMPLES / "erin_variance_bug.ipynb").read_bytes())
    run = _run(commands[-1], repo, venv)
    assert run.returncode == 1, run.stdout + run.stderr
    failing = [c for c in ET.parse(repo / JUNIT_FILE).getroot().iter("failure")]
    assert len(failing) == 3

    # The pytest plugin comes with the wheel, through its pytest11 entry point, and pytest with
    # the install line (the README's too): nothing more to install.
    assert (repo / "README.md").read_text().count(commands[0]) == 1
    # selfcheck() too, as a notebook's cell calls it (outside Jupyter it takes the file name).
    code = "from grader import selfcheck; print(repr(selfcheck(notebook='student.ipynb')))"
    run = _run(f'python -c "{code}"', repo, venv)
    assert run.returncode == 0 and "3 of 8 public checks fail" in run.stdout, run
    run = _run("python -m pytest --grade student.ipynb -q -p no:cacheprovider", repo, venv)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "3 failed, 5 passed" in run.stdout
