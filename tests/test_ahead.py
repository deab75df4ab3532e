"""The next kernel launched while one is graded (``grading._ahead``, ``_worker.grade_in_turn``).

Real kernels (warm where bubblewrap is, as the grader runs them): the next submission's kernel
is up before the current one is recorded, it is that submission's own (never reused), the marks
are those of a notebook graded alone, and a kernel launched ahead that is not needed (Ctrl-C)
leaves no process and no folder behind.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_core.utils import run_sync

from grader.assignment._plan import GradingPlan
from grader.assignment._spec import load_assignment
from grader.grading._ahead import launch_ahead
from grader.grading._notebook import grade_notebook
from grader.grading._worker import grade_in_turn
from grader.kernel import _client, _runtime
from grader.kernel._limits import Limits
from grader.kernel._session import KernelSession, OpenSessions
from grader.results._folder import OutputFolder
from grader.results._model import SubmissionResult
from tests.conftest import ASSIGNMENT, EXAMPLES

NAMES = ("alice_numpy", "erin_variance_bug", "dave_log2")
NOTEBOOKS = [EXAMPLES / f"{name}.ipynb" for name in NAMES]


@pytest.fixture(scope="module")
def plan() -> GradingPlan:
    return GradingPlan.build(load_assignment(ASSIGNMENT))


def _open() -> list[KernelSession]:
    return list(_runtime.part(OpenSessions).open)


def _marks(result: SubmissionResult) -> list[tuple[str, float, str]]:
    return [(q.question, q.points, q.status) for q in result.questions]


def _gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_each_next_kernel_is_up_before_the_one_before_is_recorded(
    plan: GradingPlan, tmp_path: Path
) -> None:
    seen: list[tuple[str, list[Path]]] = []
    results: list[SubmissionResult] = []

    def record(result: SubmissionResult) -> None:
        ahead = _open()
        seen.append((result.submission, [s.notebook_path for s in ahead]))
        results.append(result)

    grade_in_turn(plan, NOTEBOOKS, tmp_path, record)
    # While one is recorded, exactly the next one's session is open, its kernel launched.
    assert seen == [
        ("alice_numpy", [NOTEBOOKS[1]]),
        ("erin_variance_bug", [NOTEBOOKS[2]]),
        ("dave_log2", []),
    ]
    alone = [grade_notebook(plan, path) for path in NOTEBOOKS]
    assert [_marks(r) for r in results] == [_marks(r) for r in alone]
    assert [r.submission for r in results] == [r.submission for r in alone]
    assert _open() == []


def test_a_kernel_launched_ahead_and_not_needed_leaves_nothing(
    plan: GradingPlan, tmp_path: Path
) -> None:
    folders: list[Path] = []
    pids: list[int] = []

    def record(result: SubmissionResult) -> None:
        for session in _open():  # the next one's, launched ahead
            assert session._scratch is not None and session._client is not None
            folders.append(session._scratch.root)
            pids.append(_client.pid_of(session._client.km) or 0)
        raise KeyboardInterrupt  # Ctrl-C while the first result is stored

    with pytest.raises(KeyboardInterrupt):
        grade_in_turn(plan, NOTEBOOKS[:2], tmp_path, record)
    assert len(folders) == 1 and len(pids) == 1 and pids[0]
    assert not folders[0].exists()
    assert _gone(pids[0])
    assert _open() == []


def test_an_unreadable_next_notebook_launches_no_kernel(plan: GradingPlan, tmp_path: Path) -> None:
    bad = tmp_path / "not_a_notebook.ipynb"
    bad.write_text("{ this is not json", encoding="utf-8")
    ahead = launch_ahead(plan, bad)
    assert ahead is not None and ahead.session is None
    assert ahead.submission.nb is None
    assert _open() == []


def test_a_kernel_launched_ahead_runs_the_code_before_the_cells(
    plan: GradingPlan, tmp_path: Path
) -> None:
    """Its global generators seeded (the same draws as a kernel started at its turn) and its
    printing capped, as the before-cells code does: sent at launch, run before any cell."""
    draws = nbformat.v4.new_notebook()
    draws.cells = [
        nbformat.v4.new_code_cell("import random\nimport numpy as np"),
        nbformat.v4.new_code_cell("print(np.random.rand(), random.random())"),
        nbformat.v4.new_code_cell("print('x' * 10**7)"),
    ]
    path = tmp_path / "draws.ipynb"
    nbformat.write(draws, path)
    grade_in_turn(plan, [NOTEBOOKS[0], path], tmp_path / "out", lambda result: None)
    ahead = nbformat.read(OutputFolder(tmp_path / "out").executed("draws"), as_version=4)
    grade_notebook(plan, path, keep_executed=tmp_path / "alone.ipynb")
    alone = nbformat.read(tmp_path / "alone.ipynb", as_version=4)
    printed = [_text(cell) for cell in ahead.cells]
    by_itself = [_text(cell) for cell in alone.cells]
    # The same draws; the flood capped in both (where the cap cuts depends on how the stream
    # was chunked, which a loaded machine changes: not compared byte for byte). Only what the
    # cells print counts: a fresh installation's first kernels may add a warning on stderr.
    assert printed[:2] == by_itself[:2], (ahead.cells[:2], alone.cells[:2])
    assert len(printed[1].split()) == 2
    for flood in (printed[2], by_itself[2]):
        assert "the grader dropped the rest" in flood
        assert len(flood) < 10**7


def _text(cell: nbformat.NotebookNode) -> str:
    """What a cell printed on stdout."""
    outputs = cell.get("outputs", [])
    return "".join(out.get("text", "") for out in outputs if out.get("name") == "stdout")


def test_connecting_to_a_kernel_draws_nothing_from_its_generators(tmp_path: Path) -> None:
    """A kernel launched ahead is seeded before the worker connects to it, so connecting must
    leave its generators alone. IPython 9 draws a tip from the global ``random`` for the banner
    of every kernel_info reply (a probe by kernel_info moved a notebook's first draws in a fresh
    installation): the kernel's banner here draws as IPython 9's does."""
    path = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    with KernelSession(path, Limits()) as session:
        session.start_kernel()
        session._request(  # as a banner with tips does, in any IPython
            "import random\n"
            "_kind = type(get_ipython().kernel)\n"
            "_banner = _kind.banner\n"
            "_kind.banner = property(lambda self: (random.random(), _banner.fget(self))[1])\n"
            "random.seed(1)\n"
            "_state = random.getstate()\n",
            30,
            want_result=False,
        )
        assert session._client is not None
        run_sync(_client.connect)(session._client, 30.0)
        same = session._request("__grader_out__ = str(random.getstate() == _state)", 30)
    assert same == "True"
