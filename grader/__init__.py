"""grader: grade Jupyter-notebook exercise sheets against reference oracles.

The public API is what this module exports; everything in ``grader._*`` is private. Names load
on first use, so a worker process that only grades notebooks does not pay for pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "BatchReport": "grader.grading._batch",
    "grade_batch": "grader.grading._batch",
    "freeze": "grader.assignment._frozen",
    "grade_notebook": "grader.grading._notebook",
    "Limits": "grader.kernel._limits",
    "GradingPlan": "grader.assignment._plan",
    "STATUSES": "grader.results._model",
    "CheckResult": "grader.results._model",
    "QuestionResult": "grader.results._model",
    "SubmissionResult": "grader.results._model",
    "Assignment": "grader.assignment._spec",
    "Check": "grader.assignment._spec",
    "Inputs": "grader.assignment._spec",
    "Misconception": "grader.assignment._misconceptions",
    "Property": "grader.assignment._spec",
    "Question": "grader.assignment._spec",
    "load_assignment": "grader.assignment._spec",
    "GraderError": "grader.errors",
    "selfcheck": "grader.grading._inkernel",
}

__all__ = [
    "STATUSES",
    "Assignment",
    "BatchReport",
    "Check",
    "CheckResult",
    "GraderError",
    "GradingPlan",
    "Inputs",
    "Limits",
    "Misconception",
    "Property",
    "Question",
    "QuestionResult",
    "SubmissionResult",
    "__version__",
    "freeze",
    "grade_batch",
    "grade_notebook",
    "load_assignment",
    "selfcheck",
]

if TYPE_CHECKING:
    from grader.assignment._frozen import freeze
    from grader.assignment._misconceptions import Misconception
    from grader.assignment._plan import GradingPlan
    from grader.assignment._spec import (
        Assignment,
        Check,
        Inputs,
        Property,
        Question,
        load_assignment,
    )
    from grader.errors import GraderError
    from grader.grading._batch import BatchReport, grade_batch
    from grader.grading._inkernel import selfcheck
    from grader.grading._notebook import grade_notebook
    from grader.kernel._limits import Limits
    from grader.results._model import STATUSES, CheckResult, QuestionResult, SubmissionResult


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
