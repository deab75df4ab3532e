"""The default pool's workers: forks of a fork server that imported what they need once.

A worker forked from that server must behave as a spawned one did: it sees the environment and
working folder its coordinator has when the pool starts (not those of the server's own start),
ignores Ctrl-C, and the batch's marks are the same whichever way its workers started.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import pytest

from grader import grade_batch
from grader.grading import _pool
from grader.report._tables import MEASURED_COLUMNS
from tests.conftest import EXAMPLES


def _probe() -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "parent": os.getppid(),
        "setting": os.environ.get("GRADER_TEST_POOL_SETTING"),
        "cwd": os.getcwd(),
        "sigint": signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
        "preloaded": all(name in sys.modules for name in _pool.PRELOAD),
        "frozen": gc.get_freeze_count(),
    }


def _probe_pool(workers: int) -> list[dict[str, object]]:
    pool = _pool.start_pool(workers)
    try:
        return [pool.submit(_probe).result(timeout=120) for _ in range(workers)]
    finally:
        pool.shutdown()


def test_workers_are_forks_of_a_server_and_see_the_coordinators_settings_of_now(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("GRADER_TEST_POOL_SETTING", "first")
    first = _probe_pool(2)
    # The server outlives that pool and serves the next; what changed since must reach it.
    monkeypatch.setenv("GRADER_TEST_POOL_SETTING", "second")
    monkeypatch.chdir(tmp_path)
    second = _probe_pool(2)

    for seen in first + second:
        assert seen["parent"] != os.getpid(), "a worker was not forked from the fork server"
        assert seen["preloaded"], seen
        # What the server imported is frozen: the worker's collector never goes through it.
        assert seen["frozen"] > 10_000, seen
        assert seen["sigint"], "a worker would die of the terminal's Ctrl-C"
    assert {s["setting"] for s in first} == {"first"}
    assert {s["setting"] for s in second} == {"second"}
    assert {s["cwd"] for s in second} == {str(tmp_path)}
    assert len({s["parent"] for s in first + second}) == 1, "one server serves every pool"


def test_a_batch_of_forked_workers_marks_as_one_process_does(assignment, tmp_path):
    alone = grade_batch(assignment, [EXAMPLES], tmp_path / "one", workers=1)
    pooled = grade_batch(assignment, [EXAMPLES], tmp_path / "two", workers=2)
    pd.testing.assert_frame_equal(
        pooled.scores.drop(columns=MEASURED_COLUMNS), alone.scores.drop(columns=MEASURED_COLUMNS)
    )


def test_notebooks_go_to_the_workers_in_pairs_then_alone_and_a_retried_one_alone():
    paths = [Path(f"n{i}.ipynb") for i in range(9)]
    found = _pool.tasks(paths, 2, {})
    assert [len(task) for task in found] == [2, 2, 2, 1, 1, 1]
    assert [path for task in found for path in task] == paths  # each once, in order
    assert [len(task) for task in _pool.tasks(paths[:3], 2, {})] == [1, 1, 1]
    assert [len(task) for task in _pool.tasks(paths[:4], 1, {})] == [2, 1, 1]
    retried = _pool.tasks(paths[:6], 2, {paths[0]: 1, paths[1]: 1})
    assert [paths[0]] in retried and [paths[1]] in retried  # a crash next time is its own
    assert sorted(path for task in retried for path in task) == sorted(paths[:6])


def test_ctrl_c_while_a_pairs_results_are_stored_stores_them_both(plan, tmp_path):
    """A pair's two results come back together; Ctrl-C after the first was stored once lost
    the second (graded, its executed notebook kept, its result nowhere: CI's test_resume
    caught it). Now the pair is stored whole, then the batch stops."""
    names = ("alice_numpy", "bob_loops", "carol_scipy")  # one worker: a pair, then one alone
    recorded: list[str] = []

    def record(result) -> None:
        recorded.append(result.submission)
        if len(recorded) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C just after the first was stored

    paths = [EXAMPLES / f"{name}.ipynb" for name in names]
    with pytest.raises(KeyboardInterrupt):
        _pool.run_pool(plan, paths, tmp_path, _pool.start_pool(1), 1, record)
    assert recorded[:2] == list(names[:2])
    executed = {p.stem for p in (tmp_path / "executed").glob("*.ipynb")}
    assert executed <= set(recorded), "an executed notebook of a result never stored"


class _StopLandsBetweenNotebooks:
    """A pool whose first task ends as a real worker's did when SIGTERM reached it between two
    notebooks (launching the next one's kernel): with KeyboardInterrupt, outside the code that
    turns a stop into WorkerStopped. Its other tasks are never asked for: the coordinator
    starts a real pool for the notebooks it retries."""

    def __init__(self) -> None:
        self.tasks: list[list[Path]] = []

    def submit(self, function, plan, task, out) -> Future:
        self.tasks.append(list(task))
        future: Future = Future()
        future.set_exception(KeyboardInterrupt())
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


def test_a_workers_stop_between_notebooks_is_its_notebooks_given_up_not_ctrl_c(plan, tmp_path):
    """Such a task's KeyboardInterrupt once stopped the whole batch (and pytest, in CI's
    test_resume with SIGTERM): it is the worker's, whose notebooks are graded again."""
    paths = [EXAMPLES / f"{name}.ipynb" for name in ("alice_numpy", "bob_loops")]
    recorded: list[str] = []
    stub = _StopLandsBetweenNotebooks()
    try:
        _pool.run_pool(plan, paths, tmp_path, stub, 1, lambda r: recorded.append(r.submission))
    except KeyboardInterrupt:
        pytest.fail("a worker's stop was taken for Ctrl-C: the batch stopped")
    assert stub.tasks == [[paths[0]], [paths[1]]]
    assert sorted(recorded) == ["alice_numpy", "bob_loops"]  # graded again, by a real pool
