"""Nothing lost: a batch killed half way resumes to the same report, and leaves no kernel."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from grader import grade_batch
from grader.results._tables import MEASURED_COLUMNS
from tests.conftest import EXAMPLES, ROOT

TIMING = MEASURED_COLUMNS


def _start(out: Path, tmp: Path, *extra: str, workers: str = "1") -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from grader._cli import main; main()",
            "grade",
            "variational_inference",
            str(EXAMPLES),
            "--out",
            str(out),
            "--workers",
            "1",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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


def _kill_once_stored(out: Path, scratch: Path, stored: int, workers: str = "1") -> None:
    """Start a batch and SIGKILL it as soon as ``stored`` results are in its store."""
    process = _start(out, scratch, workers=workers)
    deadline = time.monotonic() + 120
    while _stored(out) < stored and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the batch ended before it could be interrupted"
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

    assert len(reference.scores) == 27
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
