"""Grading on a Dask cluster: a real LocalCluster of 2 worker processes, as --scheduler uses.

Its workers work in another folder than the grader and are given relative paths nowhere: a
worker that tried to read a submission or write OUT would find nothing there, and its rows
would differ from the local pool's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import dask
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from grader import BatchReport, grade_batch
from grader.grading._notebook import grade_notebook
from grader.integrations._dask import CLUSTER_CONFIG, ClusterError, DaskRunner
from grader.integrations._dask_task import ShippedPlan, WorkerRefused, grade_task
from grader.kernel._sandbox import isolation_level, sandbox_description
from grader.report._tables import MEASURED_COLUMNS, scores_frame
from grader.results._model import QuestionResult, SubmissionResult
from tests.conftest import EXAMPLES, FILES, ROOT
from tests.test_resume import _stored, _survivors

NOTEBOOKS = ("alice_numpy", "erin_variance_bug", "frank_wrong_axis", "grace_zero_terms")


@pytest.fixture
def cluster():
    with dask.config.set(CLUSTER_CONFIG):
        local = LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=":0", memory_limit=0
        )
    with local, Client(local) as client:
        yield client


@pytest.fixture
def runner(cluster, tmp_path):
    """A runner on the cluster, reached by its address, whose workers work in ``elsewhere``."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cluster.run(os.chdir, str(elsewhere))
    with DaskRunner(Client(cluster.scheduler.address)) as dask_runner:
        yield dask_runner


@pytest.fixture(scope="module")
def reference(assignment, tmp_path_factory):
    """The local pool's report on NOTEBOOKS."""
    folder = _copy(tmp_path_factory.mktemp("reference"), NOTEBOOKS)
    return grade_batch(assignment, [folder], folder.parent / "out", workers=2).scores


def _copy(root: Path, names: tuple[str, ...], source: Path = EXAMPLES) -> Path:
    folder = root / "subs"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(source / f"{name}.ipynb", folder / f"{name}.ipynb")
    return folder


def _same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        got.drop(columns=MEASURED_COLUMNS), want.drop(columns=MEASURED_COLUMNS)
    )


def _rows_of(report: BatchReport, submission: str) -> pd.DataFrame:
    scores = report.scores
    return scores[scores["submission"] == submission].reset_index(drop=True)


def test_a_cluster_grades_from_bytes_to_the_same_rows_as_the_pool(
    assignment, runner, reference, tmp_path, monkeypatch
):
    coordinator = tmp_path / "coordinator"
    _copy(coordinator, NOTEBOOKS)
    monkeypatch.chdir(coordinator)
    report = grade_batch(assignment, [Path("subs")], Path("out"), runner=runner)

    _same_rows(report.scores, reference)
    assert set(report.scores["sandbox"]) == {sandbox_description()}
    kept = sorted(p.stem for p in (coordinator / "out" / "executed").glob("*.ipynb"))
    assert kept == sorted(NOTEBOOKS)
    left = [p for p in (tmp_path / "elsewhere").rglob("*") if p.suffix in (".ipynb", ".csv")]
    assert left == [], "a worker wrote where it works instead of sending its results back"


def test_a_worker_killed_mid_batch_is_replaced_and_the_report_is_the_same(
    assignment, cluster, runner, reference, tmp_path
):
    killed: list[str] = []

    def kill_a_busy_worker(result: SubmissionResult) -> None:
        busy = [address for address, keys in cluster.processing().items() if keys]
        if not killed and busy:
            os.kill(cluster.run(os.getpid)[busy[0]], signal.SIGKILL)
            killed.append(busy[0])

    folder = _copy(tmp_path, NOTEBOOKS)
    report = grade_batch(
        assignment, [folder], tmp_path / "out", runner=runner, progress=kill_a_busy_worker
    )

    assert killed, "no worker was caught grading"
    _same_rows(report.scores, reference)


def test_a_notebook_that_kills_its_worker_each_time_is_kernel_died_as_with_the_pool(
    assignment, tmp_path, monkeypatch
):
    monkeypatch.setenv("GRADER_SANDBOX", "none")  # where the kernel can see its worker
    folder = _copy(tmp_path, ("hostile_kills_its_worker",), FILES)
    _copy(tmp_path, ("alice_numpy",))
    with DaskRunner.start("local:2") as runner:
        report = grade_batch(assignment, [folder], tmp_path / "out", runner=runner)

    rows = report.scores.set_index("submission")
    graded = rows[rows["status"] != "pending"]  # questions marked by hand wait for their marks
    killer = graded.loc["hostile_kills_its_worker"]
    assert set(killer["status"]) == {"kernel_died"}
    assert set(killer["feedback"]) == {
        "Grading this notebook crashed the grader's worker process twice."
    }
    assert rows.loc["alice_numpy", "points"].sum() == report.gradebook["total"].max() == 10
    pool = grade_batch(assignment, [folder], tmp_path / "pool", workers=2)
    # The killer's rows only: the pool retries every notebook in flight when a worker dies, so
    # alice, graded beside the killer, loses her tries there.
    _same_rows(*(_rows_of(r, "hostile_kills_its_worker") for r in (report, pool)))


def test_the_plan_outlives_every_worker_that_held_it(assignment, tmp_path, monkeypatch):
    """One worker: the killer's first try kills the only worker holding the plan, so its retry
    and anything after it need the plan on a worker that never had it."""
    monkeypatch.setenv("GRADER_SANDBOX", "none")  # where the kernel can see its worker
    folder = _copy(tmp_path, ("hostile_kills_its_worker",), FILES)
    _copy(tmp_path, ("alice_numpy",))
    with DaskRunner.start("local:1") as runner:
        report = grade_batch(assignment, [folder], tmp_path / "out", runner=runner)
        _copy(tmp_path / "after", ("alice_numpy",))
        after = grade_batch(
            assignment, [tmp_path / "after" / "subs"], tmp_path / "o2", runner=runner
        )

    rows = report.scores.set_index("submission")
    graded = rows[rows["status"] != "pending"]  # questions marked by hand wait for their marks
    assert set(graded.loc["hostile_kills_its_worker", "status"]) == {"kernel_died"}
    assert rows.loc["alice_numpy", "points"].sum() == 10
    assert after.gradebook["total"].tolist() == [10]


def test_a_worker_weaker_than_the_coordinator_refuses_naming_itself(
    assignment, tmp_path, monkeypatch
):
    monkeypatch.setenv("GRADER_SANDBOX", "none")  # the workers' level: their env is this one
    with dask.config.set(CLUSTER_CONFIG):
        weak = LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0")
    monkeypatch.delenv("GRADER_SANDBOX")  # the coordinator's: bubblewrap
    folder = _copy(tmp_path, ("alice_numpy",))
    with weak, DaskRunner(Client(weak)) as runner:
        address = next(iter(runner.client.nthreads()))
        with pytest.raises(ClusterError) as refused:
            grade_batch(assignment, [folder], tmp_path / "out", runner=runner)

    message = str(refused.value)
    assert f"worker {address} provides only the 'process' isolation level" in message
    assert "weaker than the coordinator's 'bwrap'" in message
    assert "1 submission(s) not graded (alice_numpy)" in message
    assert _stored(tmp_path / "out") == 0


def test_a_task_grades_the_bytes_it_is_given_without_the_assignment_folder(plan, tmp_path):
    """As on a machine with no checkout: the plan's folder is shipped, the notebook is bytes."""
    shipped = ShippedPlan.of(plan)
    assert plan.assignment.folder.name == shipped.folder_name
    assert shipped.files["solution.ipynb"] == shipped.files["source.ipynb"] == b""
    assert shipped.files["checks.py"] == (plan.assignment.folder / "checks.py").read_bytes()
    shipped = replace(shipped, key=f"test-{tmp_path.name}")  # written afresh under tmp
    data = (EXAMPLES / "erin_variance_bug.ipynb").read_bytes()

    try:
        result, executed = grade_task(shipped, "erin", data, isolation_level())
    finally:
        shutil.rmtree(Path(tempfile.gettempdir()) / "grader-plans" / shipped.key)

    want = grade_notebook(plan, EXAMPLES / "erin_variance_bug.ipynb", "erin")
    assert [(q.points, q.status, q.checks) for q in result.questions] == [
        (q.points, q.status, q.checks) for q in want.questions
    ]
    assert result.extra["sandbox"] == sandbox_description()
    assert json.loads(executed)["cells"], "the executed notebook came back as text"


def test_a_worker_with_another_grader_version_refuses(plan):
    shipped = replace(ShippedPlan.of(plan), version="0.0.1")
    with pytest.raises(WorkerRefused, match=r"runs grader .*, the coordinator 0\.0\.1"):
        grade_task(shipped, "erin", b"{}", isolation_level())


def test_the_report_shows_the_sandbox_each_submission_was_graded_in():
    question = QuestionResult("1a", 1.0, 1.0, "ok", "")
    results = [
        (SubmissionResult("a", (question,)), "sha-a"),
        (SubmissionResult("b", (question,), extra={"sandbox": "bwrap on node7"}), "sha-b"),
    ]
    frame = scores_frame(results, {"sandbox": "bwrap here"})
    assert list(frame["sandbox"]) == ["bwrap here", "bwrap on node7"]


def _grade(out: Path, tmp: Path, *extra: str, scheduler: str = "local:2") -> subprocess.Popen:
    """``grader grade --scheduler local:2`` on NOTEBOOKS between two that sit in a 3 s cell, in a
    session of its own (as a terminal's shell starts it), its scratch folders in ``tmp``."""
    folder = tmp / "subs"
    if not folder.exists():
        _copy(tmp, NOTEBOOKS)
        for name in ("aaa_sleeps", "zzz_sleeps"):
            shutil.copyfile(FILES / "hostile_sleep_cell.ipynb", folder / f"{name}.ipynb")
    return subprocess.Popen(
        [
            *(sys.executable, "-c", "from grader._cli import main; main()", "grade"),
            *("variational_inference", str(folder), "--out", str(out), "--cell-timeout", "3"),
            *("--scheduler", scheduler, *extra),
        ],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp / "scratch")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _when_stored(process: subprocess.Popen, out: Path, signum: int) -> None:
    """Send ``signum`` once the batch stored a result more than it had."""
    deadline = time.monotonic() + 120
    before = _stored(out)
    while _stored(out) <= before and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the batch ended before it could be interrupted"
    os.killpg(process.pid, signum)


def test_ctrl_c_keeps_what_was_graded_and_a_killed_coordinator_resumes(tmp_path):
    (tmp_path / "scratch").mkdir()
    out = tmp_path / "out"
    process = _grade(out, tmp_path)
    _when_stored(process, out, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "Interrupted: results graded so far are kept; use --resume."
    assert 1 <= _stored(out) < len(NOTEBOOKS) + 2
    assert _survivors(tmp_path / "scratch", wait=10) == {}, "a worker or kernel outlived Ctrl-C"

    process = _grade(out, tmp_path, "--resume")
    _when_stored(process, out, signal.SIGKILL)  # the coordinator, its workers and kernels
    process.wait(timeout=30)
    assert _survivors(tmp_path / "scratch", wait=10) == {}, "a worker or kernel outlived -9"

    process = _grade(out, tmp_path, "--resume")
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert re.search(r"\(\d+ now, [2-5] resumed\)", stdout), stdout
    whole = _grade(tmp_path / "whole", tmp_path)
    whole.communicate(timeout=300)
    _same_rows(pd.read_csv(out / "scores.csv"), pd.read_csv(tmp_path / "whole" / "scores.csv"))


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--scheduler", "local:0"], "Error: --scheduler 'local:0' is not a Dask scheduler"),
        (["--scheduler", "local:2", "--workers", "2"], "Error: --workers sizes the local pool"),
    ],
)
def test_a_bad_scheduler_option_is_one_error_line(tmp_path, options, said):
    run = subprocess.run(
        [
            *(sys.executable, "-m", "grader", "grade", "variational_inference", str(EXAMPLES)),
            *("--out", str(tmp_path / "out"), *options),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert said in run.stderr and "Traceback" not in run.stderr


def _memory_settings(dask_worker: Any) -> tuple[bool, int, bool]:
    return (
        dask.config.get("distributed.worker.profile.enabled"),
        dask_worker.profile_history.maxlen,
        "profile" in dask_worker.periodic_callbacks,
    )


def test_a_local_clusters_workers_keep_no_profile_and_short_logs():
    """Dask's defaults grow a grading worker by 85 MiB over its first 1,000 s (the profiler's
    stacks, one tree a second) and the coordinator by 77 MiB (recent messages, each with a
    notebook): bounded, but not flat over a long batch."""
    with DaskRunner.start("local:1") as runner:
        settings = set(runner.client.run(_memory_settings).values())
        scheduler_log = runner.client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler.transition_log.maxlen
        )
        client_log = runner.client.scheduler_comm.recent_message_log.maxlen

    assert settings == {(False, 100, False)}
    assert scheduler_log == client_log == 100
