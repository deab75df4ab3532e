"""Nothing lost: a batch killed half way resumes to the same report, and leaves no kernel."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from grader import grade_batch
from grader.kernel import _bounded
from grader.report._tables import MEASURED_COLUMNS
from tests.conftest import EXAMPLES, FILES, ROOT, sweep_killed_run

TIMING = MEASURED_COLUMNS


def _start(
    out: Path,
    tmp: Path,
    *extra: str,
    workers: str = "1",
    first: Path | None = None,
    session: bool = False,
) -> subprocess.Popen:
    """``grader grade`` on the examples (after ``first``), with its scratch folders in ``tmp``;
    with ``session``, in a process group of its own, as a terminal's shell would start it."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from grader._cli import main; main()",
            "grade",
            "variational_inference",
            *([str(first)] if first else []),
            str(EXAMPLES),
            "--out",
            str(out),
            "--workers",
            workers,
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=session,
    )


def _stored(out: Path) -> int:
    try:
        with sqlite3.connect(out / "results.sqlite") as db:
            return db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.Error:
        return 0


def _processes_mentioning(text: str) -> list[int]:
    """Processes whose command line or environment names ``text`` (workers inherit TMPDIR)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                seen = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
            except OSError:
                continue
            if text.encode() in seen:
                found.append(int(entry.name))
    return found


def _wait_stored(process: subprocess.Popen, out: Path, stored: int) -> None:
    deadline = time.monotonic() + 120
    while _stored(out) < stored and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the batch ended before it could be interrupted"


def _kill_once_stored(out: Path, scratch: Path, stored: int, workers: str = "1") -> None:
    """Start a batch and SIGKILL it as soon as ``stored`` results are in its store."""
    process = _start(out, scratch, workers=workers)
    _wait_stored(process, out, stored)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def _survivors(scratch: Path, wait: float) -> dict[int, bytes]:
    """Processes of the killed batch still alive after ``wait`` seconds, with their command."""
    deadline = time.monotonic() + wait
    while _processes_mentioning(str(scratch)) and time.monotonic() < deadline:
        time.sleep(0.2)
    found = {}
    for pid in _processes_mentioning(str(scratch)):
        try:
            found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes()[:300]
        except OSError:
            pass
    return found


def test_sigkilled_batch_resumes_to_the_same_report_and_leaves_no_kernel(assignment, tmp_path):
    reference = grade_batch(assignment, [EXAMPLES], tmp_path / "whole", workers=1)

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    out = tmp_path / "interrupted"
    _kill_once_stored(out, scratch, stored=3)
    partial = _stored(out)
    assert 3 <= partial < 9
    assert _survivors(scratch, wait=10) == {}, "a kernel outlived its grader"

    resumed = _start(out, scratch, "--resume")
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert f"{partial} resumed" in stdout

    assert len(reference.scores) == 45  # 9 submissions, 3 questions and 2 graded by hand
    again = pd.read_csv(out / "scores.csv", keep_default_na=False).drop(columns=TIMING)
    whole = pd.read_csv(tmp_path / "whole" / "scores.csv", keep_default_na=False).drop(
        columns=TIMING
    )
    pd.testing.assert_frame_equal(again, whole)


def test_resume_refuses_a_changed_submission(assignment, tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    notebook = folder / "alice.ipynb"
    notebook.write_bytes((EXAMPLES / "alice_numpy.ipynb").read_bytes())
    grade_batch(assignment, [folder], tmp_path / "out", workers=1)
    notebook.write_bytes((EXAMPLES / "dave_log2.ipynb").read_bytes())
    from grader.errors import OutputError

    try:
        grade_batch(assignment, [folder], tmp_path / "out", workers=1, resume=True)
    except OutputError as exc:
        assert "alice" in str(exc) and "changed" in str(exc)
    else:
        raise AssertionError("resume accepted a changed submission")


def test_resume_refuses_a_run_with_other_settings(assignment, tmp_path):
    from grader import Limits
    from grader.errors import OutputError

    one = [EXAMPLES / "alice_numpy.ipynb"]
    grade_batch(assignment, one, tmp_path, workers=1)
    try:
        grade_batch(
            assignment, one, tmp_path, workers=1, resume=True, limits=Limits(call_cpu_seconds=1.0)
        )
    except OutputError as exc:
        assert "limits" in str(exc)
    else:
        raise AssertionError("resume accepted a run with other limits")


def test_no_kernel_or_worker_outlives_a_sigkilled_parallel_batch(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    _kill_once_stored(tmp_path / "out", scratch, stored=1, workers="2")
    assert _survivors(scratch, wait=10) == {}, "a worker or kernel outlived its grader"
    # The next run's sweep takes what the killed one left: its folders and their mounts.
    swept = sweep_killed_run(scratch)
    assert swept.returncode == 0, swept.stderr
    assert not list(scratch.glob("grader-*")), list(scratch.iterdir())
    assert not [m for m in _bounded.mounts_under(scratch)], _bounded.mounts_under(scratch)


def _finish(process: subprocess.Popen, seconds: float) -> tuple[str, str]:
    """Its output once it exits; a run still going after ``seconds`` is killed and fails."""
    try:
        return process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"the grader was still running {seconds:g} s after Ctrl-C") from None


def _stored_names(out: Path) -> set[str]:
    with sqlite3.connect(out / "results.sqlite") as db:
        return {row[0] for row in db.execute("SELECT submission FROM results")}


def test_ctrl_c_stops_a_batch_at_once_keeps_what_was_graded_and_resumes(tmp_path):
    """Ctrl-C while one worker sits in a cell that loops until --cell-timeout (60 s) and the
    other grades the examples: the batch stops within seconds, not after that cell."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    endless = tmp_path / "first" / "aaa_endless_cell.ipynb"  # first in the queue
    endless.parent.mkdir()
    shutil.copyfile(FILES / "hostile_infinite_loop_cell.ipynb", endless)
    out = tmp_path / "out"
    process = _start(out, scratch, workers="2", first=endless, session=True)
    _wait_stored(process, out, 1)

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    start = time.monotonic()
    stdout, stderr = _finish(process, 120)
    took = time.monotonic() - start

    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "Task exception" not in stderr, stderr
    # Besides the sandbox warning and the progress lines printed off a terminal:
    said = [line for line in stderr.splitlines() if not line.startswith(("Warning: ", "grading: "))]
    assert said == ["Interrupted: results graded so far are kept; use --resume."]
    assert took < 30, f"Ctrl-C took {took:.1f} s"  # about 2 s when measured
    graded = {p.stem for p in (out / "executed").glob("*.ipynb")}
    stored = _stored_names(out)
    assert graded == stored, "a notebook graded before Ctrl-C is missing from the store"
    assert endless.stem not in stored
    assert _survivors(scratch, wait=10) == {}, "a kernel or worker outlived Ctrl-C"
    assert list(scratch.iterdir()) == [], "Ctrl-C left scratch folders behind"

    # The examples alone: the endless notebook would hold the rerun up for a minute.
    resumed = _start(out, scratch, "--resume", workers="2")
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert f"({9 - len(stored)} now, {len(stored)} resumed)" in stdout
    book = pd.read_csv(out / "gradebook.csv")
    assert sorted(book.submission) == sorted(p.stem for p in EXAMPLES.glob("*.ipynb"))


def _state_and_parent(pid: int) -> tuple[str, int] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return stat[0], int(stat[1])


def _alive(pid: int) -> bool:
    found = _state_and_parent(pid)
    return found is not None and found[0] != "Z"


def _children(pid: int) -> list[int]:
    """Running processes whose parent is ``pid`` (a worker's kernels, or bwrap around one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _alive(int(entry.name)):
            state = _state_and_parent(int(entry.name))
            if state is not None and state[1] == pid:
                found.append(int(entry.name))
    return found


def _kernels_of(pid: int) -> list[int]:
    """A worker's running kernels: pid 1 of each kernel's namespace, named by a pidfd the worker
    holds (warm kernels are forked by the coordinator's zygote, not the worker), else the
    processes it started (a cold kernel, or bwrap around one)."""
    found = []
    for info in Path(f"/proc/{pid}/fdinfo").iterdir():
        with contextlib.suppress(OSError, ValueError):
            named = [
                line.split()[1] for line in info.read_text().splitlines() if line[:4] == "Pid:"
            ]
            for target in map(int, named):
                status = Path(f"/proc/{target}/status").read_text()
                nspid = next(
                    line.split()[1:] for line in status.splitlines() if line[:6] == "NSpid:"
                )
                if len(nspid) > 1 and nspid[-1] == "1" and _alive(target):
                    found.append(target)
    return found or _children(pid)


def _kill_a_grading_worker(out: Path, signum: int, killed: dict[str, list[int]]) -> None:
    """Once a result is stored, signal a worker of this process's batch while its kernel runs."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not killed:
        if _stored(out) >= 1:
            for worker in multiprocessing.active_children():
                kernels = _kernels_of(worker.pid) if worker.pid else []
                if kernels:
                    os.kill(worker.pid, signum)
                    killed.update(worker=[worker.pid], kernels=kernels)
                    return
        time.sleep(0.02)


def test_ctrl_c_while_the_workers_start_exits_at_once(tmp_path):
    """Ctrl-C just after the notebooks went to the pool, usually before the workers (slower to
    start than the batch to plan) listen for the stop: they die of it, and the pool's own thread
    must not break on the futures cancelled meanwhile (it did, and the grader hung at exit)."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    endless = tmp_path / "first" / "aaa_endless_cell.ipynb"
    endless.parent.mkdir()
    shutil.copyfile(FILES / "hostile_infinite_loop_cell.ipynb", endless)
    out = tmp_path / "out"
    process = _start(out, scratch, workers="2", first=endless, session=True)
    deadline = time.monotonic() + 120
    while not (out / "results.sqlite").exists() and time.monotonic() < deadline:
        time.sleep(0.005)  # the store is opened once the batch is planned, right before grading
    time.sleep(0.2)  # the notebooks are handed to the pool
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = _finish(process, 120)
    assert process.returncode == 130, stderr
    said = [line for line in stderr.splitlines() if not line.startswith("Warning: ")]
    assert said == ["Interrupted: results graded so far are kept; use --resume."], stderr
    assert _survivors(scratch, wait=10) == {}, "a kernel or worker outlived Ctrl-C"


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_worker_killed_mid_batch_is_replaced_and_the_report_is_the_same(
    assignment, tmp_path, signum
):
    """SIGKILL: the worker dies and the pool is rebuilt. SIGTERM: the worker gives its notebook
    up and takes no other; either way the notebooks it lost are graded again, once."""
    whole = grade_batch(assignment, [EXAMPLES], tmp_path / "whole", workers=2)

    out = tmp_path / "out"
    killed: dict[str, list[int]] = {}
    killer = threading.Thread(
        target=_kill_a_grading_worker, args=(out, signum, killed), daemon=True
    )
    killer.start()
    report = grade_batch(assignment, [EXAMPLES], out, workers=2)
    killer.join(timeout=10)

    assert killed, "no worker was caught grading"
    pd.testing.assert_frame_equal(
        report.scores.drop(columns=TIMING), whole.scores.drop(columns=TIMING)
    )
    deadline = time.monotonic() + 10
    while any(map(_alive, killed["kernels"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, killed["kernels"])), "the killed worker's kernel outlived it"
