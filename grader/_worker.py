"""What a batch's worker process runs: light to import (no pandas), and never raises."""

from __future__ import annotations

from pathlib import Path

from grader._grade import grade_notebook, zero_result
from grader._plan import GradingPlan
from grader._results import SubmissionResult

#: The batch's plan, received once when the worker starts, not with every submission.
_PLAN: GradingPlan | None = None


def init(plan: GradingPlan) -> None:
    """A worker dies with the coordinator (even after kill -9), and so its kernels with it."""
    global _PLAN
    from grader._process import die_with_parent

    die_with_parent()
    _PLAN = plan


def grade_in_worker(path: Path, out: Path) -> SubmissionResult:
    assert _PLAN is not None, "the worker was started without a plan"
    return grade_safely(_PLAN, path, out)


def grade_safely(plan: GradingPlan, path: Path, out: Path) -> SubmissionResult:
    """Whatever happens, one submission's result; never an exception out of the worker."""
    try:
        return grade_notebook(plan, path, path.stem, keep_executed=out / "executed")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        why = f"The grader failed on this notebook ({type(exc).__name__}: {exc})."
        return zero_result(plan, path.stem, "error", why)
