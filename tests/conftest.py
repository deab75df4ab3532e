"""Shared fixtures: the real assignment, graded in real kernels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader import GradingPlan, load_assignment
from grader.assignment._answer_cache import CACHE_ENV

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "assignments" / "variational_inference"
EXAMPLES = ROOT / "examples" / "submissions"
MEAN_FIELD = ROOT / "assignments" / "mean_field_vi"
MEAN_FIELD_EXAMPLES = ROOT / "examples" / "mean_field_vi"
FILES = Path(__file__).resolve().parent / "files"


def run_grader(*args: object, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``python -m grader ARGS`` from the repository, as a user runs it: output captured."""
    command = [sys.executable, "-m", "grader", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=timeout)


@pytest.fixture(scope="session", autouse=True)
def _answer_cache(tmp_path_factory):
    """The oracles' answers are cached in a folder of this run's (every command it starts
    inherits it), never the user's: a test starts from no cache, and leaves none behind."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("answer-cache")))
        yield


@pytest.fixture(scope="session")
def assignment():
    return load_assignment(ASSIGNMENT)


@pytest.fixture(scope="session")
def plan(assignment):
    return GradingPlan.build(assignment)


#: A small class graded once for the report and export tests: five example notebooks and a copy
#: of dave_log2 whose file name is markup (it must reach every page as inert text).
CLASS = ["alice_numpy", "dave_log2", "erin_variance_bug", "frank_wrong_axis", "ivan_unfinished"]
HOSTILE = '<img src=x onerror=alert(1)>"mallory'
#: The class's roster: ivan_unfinished has no row, zoe_absent handed nothing in.
ROSTER = (
    "submission,student_id,name,email\n"
    "alice_numpy,s001,Alice Numpy,alice@example.org\n"
    "dave_log2.ipynb,s004,Dave Log,dave@example.org\n"
    "erin_variance_bug,s005,Erin Variance,erin@example.org\n"
    "frank_wrong_axis,s006,Frank Axis,frank@example.org\n"
    '"<img src=x onerror=alert(1)>""mallory",s013,Mallory,mallory@example.org\n'
    "zoe_absent,s026,Zoe Absent,zoe@example.org\n"
)


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """``grader grade`` (the CLI, real kernels) of the class with its roster: (OUT, the run)."""
    import shutil
    import subprocess
    import sys

    handins = tmp_path_factory.mktemp("handins")
    for name in CLASS:
        shutil.copy(EXAMPLES / f"{name}.ipynb", handins / f"{name}.ipynb")
    shutil.copy(EXAMPLES / "dave_log2.ipynb", handins / f"{HOSTILE}.ipynb")
    roster = handins.parent / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    args = ["grade", "variational_inference", handins, "--out", out, "--workers", 2]
    run = subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args), "--roster", str(roster)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return out, run


def sweep_killed_run(scratch: Path, seconds: float = 30.0) -> subprocess.CompletedProcess[str]:
    """What the next run does first, in the temporary folder ``scratch`` of a run killed with
    -9: its scratch folders removed, their sockets' tmpfs unmounted (``sweep_leftovers``). Only
    folders whose owner is gone are swept: a pool worker may take a moment to follow its parent,
    so this tries again for up to ``seconds``."""
    import os
    import sys
    import time

    code = "from grader.kernel._sandbox import sweep_leftovers; sweep_leftovers()"
    env = {**os.environ, "TMPDIR": str(scratch)}
    deadline = time.monotonic() + seconds
    while True:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
        if done.returncode or not list(scratch.glob("grader-*")) or time.monotonic() > deadline:
            return done
        time.sleep(0.5)
