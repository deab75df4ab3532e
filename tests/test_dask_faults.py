"""Grading on a Dask cluster when the cluster itself fails: tasks that fail for its own reasons,
workers that refuse, Ctrl-C on a cluster started elsewhere. Real LocalClusters throughout.

Cluster-side task failures (seen: "Event ... is bound to a different event loop" on a worker
being restarted) cannot be caused on demand, so ``FailsFirstTries`` injects them: a worker
plugin, installed only by these tests, that makes the task of a named notebook raise before
grading, as Dask's own machinery does on a worker in trouble.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from distributed import Client, WorkerPlugin

from grader import grade_batch
from grader.integrations import _dask_task
from grader.integrations._dask import CLUSTER_RETRIES, ClusterError, DaskRunner
from grader.kernel._sandbox import sandbox_description
from tests import test_dask
from tests.test_dask import NOTEBOOKS, _copy, _grade, _same_rows, _when_stored
from tests.test_resume import _stored

cluster, reference = test_dask.cluster, test_dask.reference  # the same fixtures
CLUSTER_ERROR = "<asyncio.locks.Event object at 0x7f3a> is bound to a different event loop"


class FailsFirstTries(WorkerPlugin):
    """On each worker: the task of notebook ``name`` raises a cluster-side error on its first
    ``fails`` tries (all of them if None); every try leaves a file in ``marks``, so tries are
    counted across workers."""

    name = "test-fails-first-tries"

    def __init__(self, marks: Path, fails: dict[str, int | None]) -> None:
        self.marks, self.fails = str(marks), fails

    def setup(self, worker: Any) -> None:
        real = self.real = _dask_task.grade_installed

        def flaky(plan_name: str, name: str, notebook: bytes, isolation: str) -> Any:
            if name in self.fails:
                Path(self.marks, f"{name}.{uuid.uuid4().hex}").touch()
                tries = len(list(Path(self.marks).glob(f"{name}.*")))
                limit = self.fails[name]
                if limit is None or tries <= limit:
                    raise RuntimeError(CLUSTER_ERROR)
            return real(plan_name, name, notebook, isolation)

        # Tasks name their function by reference: the worker looks it up here.
        _dask_task.grade_installed = flaky

    def teardown(self, worker: Any) -> None:
        _dask_task.grade_installed = self.real


def _without_sandbox() -> None:
    """Run on a worker: from now on it offers only the 'process' level."""
    os.environ["GRADER_SANDBOX"] = "none"


def _tries(marks: Path, name: str) -> int:
    return len(list(marks.glob(f"{name}.*")))


def test_a_task_failing_once_for_the_clusters_reasons_goes_again_to_the_same_rows(
    assignment, cluster, reference, tmp_path
):
    marks = tmp_path / "marks"
    marks.mkdir()
    cluster.register_plugin(FailsFirstTries(marks, {name: 1 for name in NOTEBOOKS}))
    folder = _copy(tmp_path, NOTEBOOKS)
    with DaskRunner(Client(cluster.scheduler.address)) as runner:
        report = grade_batch(assignment, [folder], tmp_path / "out", runner=runner)

    assert {name: _tries(marks, name) for name in NOTEBOOKS} == dict.fromkeys(NOTEBOOKS, 2)
    _same_rows(report.scores, reference)


def test_a_task_failing_every_time_stops_the_batch_keeping_what_was_graded(
    assignment, cluster, reference, tmp_path
):
    """The failing notebook is submitted only once a first result is back (it comes after
    the four that fill the cluster), so something is graded before the batch stops."""
    marks = tmp_path / "marks"
    marks.mkdir()
    plugin = FailsFirstTries(marks, {"zzz_fails": None})
    cluster.register_plugin(plugin)
    folder = _copy(tmp_path, NOTEBOOKS)
    (folder / "zzz_fails.ipynb").write_bytes((folder / "alice_numpy.ipynb").read_bytes())
    out = tmp_path / "out"
    with DaskRunner(Client(cluster.scheduler.address)) as runner:
        with pytest.raises(ClusterError) as failed:
            grade_batch(assignment, [folder], out, runner=runner)
        kept = _stored(out)
        cluster.unregister_worker_plugin(plugin.name)
        resumed = grade_batch(assignment, [folder], out, runner=runner, resume=True)

    assert _tries(marks, "zzz_fails") == CLUSTER_RETRIES + 1
    message = str(failed.value)
    assert message.startswith("the task grading zzz_fails.ipynb failed 3 times, for reasons")
    assert f"(RuntimeError: {CLUSTER_ERROR})" in message
    assert message.endswith("results graded so far are kept: run again with --resume")
    assert 1 <= kept <= len(NOTEBOOKS)
    assert (resumed.graded_now, resumed.resumed) == (len(NOTEBOOKS) + 1 - kept, kept)
    scores = resumed.scores
    _same_rows(scores[scores["submission"] != "zzz_fails"].reset_index(drop=True), reference)


def test_a_weaker_worker_is_left_out_and_the_others_grade_its_notebooks(
    assignment, cluster, reference, tmp_path, capsys
):
    weak, _strong = sorted(cluster.nthreads())
    cluster.run(_without_sandbox, workers=[weak])
    folder = _copy(tmp_path, NOTEBOOKS)
    with DaskRunner(Client(cluster.scheduler.address)) as runner:
        report = grade_batch(assignment, [folder], tmp_path / "out", runner=runner)

    _same_rows(report.scores, reference)
    assert set(report.scores["sandbox"]) == {sandbox_description()}
    warnings = [line for line in capsys.readouterr().err.splitlines() if weak in line]
    assert warnings == [
        f"Warning: worker {weak} provides only the 'process' isolation level, weaker than the "
        "coordinator's 'bwrap'; it graded nothing. Give it a working bubblewrap (and unset "
        "GRADER_SANDBOX=none there); its notebooks go to the other workers."
    ]


def test_with_every_worker_weaker_the_error_names_each(assignment, cluster, tmp_path):
    cluster.run(_without_sandbox)
    folder = _copy(tmp_path, NOTEBOOKS)
    runner = DaskRunner(Client(cluster.scheduler.address))
    with runner, pytest.raises(ClusterError) as refused:
        grade_batch(assignment, [folder], tmp_path / "out", runner=runner)

    message = str(refused.value)
    assert message.startswith(f"{len(NOTEBOOKS)} submission(s) not graded (alice_numpy, ")
    for address in cluster.nthreads():
        assert f"worker {address} provides only the 'process' isolation level" in message
    assert _stored(tmp_path / "out") == 0


def test_ctrl_c_on_a_cluster_started_elsewhere_keeps_results_and_resume_finishes(cluster, tmp_path):
    """The workers are not in the coordinator's session: Ctrl-C reaches only the coordinator."""
    (tmp_path / "scratch").mkdir()
    out, address = tmp_path / "out", cluster.scheduler.address
    process = _grade(out, tmp_path, scheduler=address)
    _when_stored(process, out, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "Interrupted: results graded so far are kept; use --resume."
    kept = _stored(out)
    assert 1 <= kept < len(NOTEBOOKS) + 2

    process = _grade(out, tmp_path, "--resume", scheduler=address)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert f" now, {kept} resumed)" in stdout, stdout
    graded = set(pd.read_csv(out / "scores.csv")["submission"])
    assert graded == {*NOTEBOOKS, "aaa_sleeps", "zzz_sleeps"}


def test_resume_with_nothing_left_starts_no_cluster(tmp_path):
    _copy(tmp_path, ("alice_numpy",))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    _, stderr = _grade(tmp_path / "out", tmp_path).communicate(timeout=300)
    started = list(scratch.glob("dask-*"))
    assert started, f"the first run started no cluster to compare with: {stderr}"
    for folder in started:
        shutil.rmtree(folder)
    process = _grade(tmp_path / "out", tmp_path, "--resume")
    stdout, stderr = process.communicate(timeout=300)

    assert process.returncode == 0, stderr
    assert re.search(r"\(0 now, 1 resumed\)", stdout), stdout
    assert not list(scratch.glob("dask-*")), "a local cluster was started"
