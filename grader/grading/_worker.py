"""What a batch's worker process runs: light to import (no pandas), and never raises."""

from __future__ import annotations

from pathlib import Path

from grader.assignment._plan import GradingPlan
from grader.grading._notebook import grade_notebook, zero_result
from grader.results._model import SubmissionResult


def init() -> None:
    """A worker dies with the coordinator (even after kill -9), and so its kernels with it."""
    from grader.kernel._process import die_with_parent

    die_with_parent()


def ready() -> bool:
    """A no-op task: submitting one per worker starts them while the batch is being planned."""
    return True


def grade_safely(plan: GradingPlan, path: Path, out: Path) -> SubmissionResult:
    """Whatever happens, one submission's result; never an exception out of the worker."""
    try:
        return grade_notebook(plan, path, path.stem, keep_executed=out / "executed")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        why = f"The grader failed on this notebook ({type(exc).__name__}: {exc})."
        return zero_result(plan, path.stem, "error", why)
