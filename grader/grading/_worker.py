"""What a batch's worker process runs: light to import (no pandas); no notebook makes it raise.

Ctrl-C is the coordinator's to handle: workers start with SIGINT ignored (a terminal sends it to
the whole process group), and the coordinator then sends each a SIGTERM. A worker grading a
notebook kills that notebook's kernel and removes its scratch folder at once, then gives the
notebook up; a worker whose kernel is already gone finishes sending its result. Nothing more is
started, and only results the coordinator has received count as graded.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.assignment._plan import GradingPlan
from grader.grading._ahead import Ahead, launch_ahead
from grader.grading._intake import submission_name
from grader.grading._notebook import grade_notebook
from grader.grading._ungraded import zero_result
from grader.grading._worker_start import WorkerStopped
from grader.kernel import _phases, _runtime, _session, _warm
from grader.results._folder import OutputFolder
from grader.results._model import ERROR, SubmissionResult

#: Seconds a stopping worker lives on: to send a result it has, and to exit on the pool's word.
#: Then it exits anyway, since it may wait for work on a queue whose lock a killed worker held.
EXIT_AFTER = 3.0


@dataclass
class WorkerStop:
    """This worker's part of the runtime state (``grader.kernel._runtime``): whether it was told
    to stop, and whether a kernel was then killed under the notebook being graded (``abandoned``:
    that notebook is no grade)."""

    stopping: bool = False
    abandoned: bool = False


def init() -> None:
    """A worker dies with the coordinator (even after kill -9), and so its kernels with it."""
    from grader.kernel._process import die_with_parent

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    _warm.prestart()  # warm kernels: the zygote imports while the coordinator plans


def _stop(signum: int, frame: Any) -> None:
    """SIGTERM from the coordinator: clean up the notebook at hand, give it up, start no other.

    The cleanup happens here, not by unwinding: the KeyboardInterrupt raised afterwards may
    land where Python only reports it ("Exception ignored in ..."), and the code it meant to
    stop would go on (until it next asks for a kernel). Whatever a stopping worker would print
    is noise, so stderr goes to /dev/null first.
    """
    stop = _runtime.part(WorkerStop)
    if stop.stopping:
        return
    stop.stopping = True
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (open until the worker exits)
    abandoned = _session.stop_sessions()
    timer = threading.Timer(EXIT_AFTER, os._exit, args=(0,))
    timer.daemon = True
    timer.start()
    if abandoned:
        stop.abandoned = True
        raise KeyboardInterrupt


def grade_in_turn(
    plan: GradingPlan,
    paths: list[Path],
    out: Path,
    record: Callable[[SubmissionResult], None],
) -> None:
    """Grade ``paths`` one after another in this process, each result recorded as it comes;
    each next notebook's kernel is launched (``_ahead``) before the current one is graded.
    Whatever stops the loop (Ctrl-C), no kernel launched ahead outlives it."""
    ahead: Ahead | None = None
    try:
        for index, path in enumerate(paths):
            current, ahead = ahead, None
            try:
                if index + 1 < len(paths):
                    ahead = launch_ahead(plan, paths[index + 1])
                result = grade_safely(plan, path, out, current)
            finally:
                if current is not None:
                    current.discard()  # launched, never taken: grading stopped before it
            record(result)
    finally:
        if ahead is not None:
            ahead.discard()


def grade_run(plan: GradingPlan, paths: list[Path], out: Path) -> list[SubmissionResult]:
    """A pool worker's task: a few notebooks graded in turn, each next one's kernel launched
    while the one before is graded (``grade_in_turn``); their results together. Raises
    WorkerStopped as ``grade_safely`` does: the notebooks of a run given up are all tried
    again (only results the coordinator has received count as graded)."""
    results: list[SubmissionResult] = []
    try:
        grade_in_turn(plan, paths, out, results.append)
    except BaseException:
        folder = OutputFolder(out)
        for result in results:  # graded again: its executed notebook is not a graded one's
            folder.executed(result.submission).unlink(missing_ok=True)
        raise
    return results


def grade_safely(
    plan: GradingPlan, path: Path, out: Path, ahead: Ahead | None = None
) -> SubmissionResult:
    """Whatever the notebook does, its result; its executed notebook kept in the output folder
    ``out``. ``ahead``: this notebook, read, with its kernel launched (``_ahead``). Raises
    WorkerStopped in a stopping worker, and KeyboardInterrupt on Ctrl-C where the coordinator
    grades by itself."""
    name = submission_name(path)
    stop = _runtime.part(WorkerStop)
    if stop.stopping:
        raise WorkerStopped(name)
    executed = OutputFolder(out).executed(name)
    try:
        result = grade_notebook(plan, path, name, keep_executed=executed, ahead=ahead)
    except KeyboardInterrupt:
        if stop.stopping:
            raise WorkerStopped(name) from None
        raise
    except BaseException as exc:
        why = f"The grader failed on this notebook ({type(exc).__name__}: {exc})."
        result = zero_result(plan, name, ERROR, why)
    if stop.abandoned:  # its kernel was killed under it: whatever came back is no grade
        executed.unlink(missing_ok=True)
        raise WorkerStopped(name)
    _phases.flush(name)
    return result
