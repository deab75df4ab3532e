"""The command line starts light: ``grader --help`` and the help of every command import none of
the heavy libraries (pandas, NumPy, SciPy, Hypothesis, nbclient, nbformat, jupyter_client,
matplotlib); each command imports what it needs when it runs (issue 31: a command's fixed cost)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = (
    "pandas", "numpy", "scipy", "hypothesis", "nbclient", "nbformat", "jupyter_client",
    "matplotlib", "zmq",
)  # fmt: skip
PROBE = """
import contextlib, io, json, sys
from grader._cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main(sys.argv[1:], prog_name="grader")
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


def _heavy_after(*args: str) -> list[str]:
    code = PROBE.format(heavy=repr(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["grade", "--help"],
        ["report", "--help"],
        ["check", "--help"],
        ["serve", "--help"],
        ["similarity", "--help"],
        ["validate", "--help"],
        ["freeze", "--help"],
    ],
)
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    assert _heavy_after(*args) == []


def test_a_command_that_grades_still_finds_what_it_needs() -> None:
    """The lazy imports are real: ``grader inputs`` loads an assignment and its frozen inputs."""
    heavy = _heavy_after("inputs", str(ROOT / "assignments" / "variational_inference"))
    assert "numpy" in heavy


def test_a_coordinator_whose_pool_grades_never_imports_the_kernels_client(tmp_path) -> None:
    """With a pool, the coordinator only hands notebooks out: nbclient, jupyter_client and zmq
    (about 0.45 CPU s) are the workers' (issue 31); it still grades the batch and reports."""
    notebooks = [str(ROOT / "examples" / "submissions" / f"{n}.ipynb") for n in ("alice_numpy",
                 "bob_loops", "erin_variance_bug")]  # fmt: skip
    out = tmp_path / "out"
    assignment = str(ROOT / "assignments" / "variational_inference")
    heavy = _heavy_after("grade", assignment, *notebooks, "--out", str(out), "--workers", "2")
    assert {"nbclient", "jupyter_client", "zmq"}.isdisjoint(heavy)
    assert "pandas" in heavy  # the report: the command did run
    assert (out / "gradebook.csv").read_text().count("\n") == 4


def test_a_pool_worker_grades_without_pandas_or_matplotlib() -> None:
    """A worker imports what grading needs, not what the report needs: pandas (a quarter of a
    CPU second per worker, reached through the hand marks' module for one constant) and
    matplotlib stay out."""
    code = (
        "import json, sys\nimport grader.grading._worker_start, grader.grading._worker\n"
        "print(json.dumps(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
