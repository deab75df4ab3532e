"""grader: grade Jupyter-notebook exercise sheets against reference oracles.

The public API is what this module exports; everything in ``grader._*`` is private. Names load
on first use, so a worker process that only grades notebooks does not pay for pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "BatchReport": "grader._batch",
    "grade_batch": "grader._batch",
    "freeze": "grader._frozen",
    "grade_notebook": "grader._grade",
    "Limits": "grader._limits",
    "GradingPlan": "grader._plan",
    "STATUSES": "grader._results",
    "CheckResult": "grader._results",
    "QuestionResult": "grader._results",
    "SubmissionResult": "grader._results",
    "Assignment": "grader._spec",
    "Check": "grader._spec",
    "Inputs": "grader._spec",
    "Property": "grader._spec",
    "Question": "grader._spec",
    "load_assignment": "grader._spec",
    "GraderError": "grader.errors",
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
    "Property",
    "Question",
    "QuestionResult",
    "SubmissionResult",
    "__version__",
    "freeze",
    "grade_batch",
    "grade_notebook",
    "load_assignment",
]

if TYPE_CHECKING:
    from grader._batch import BatchReport, grade_batch
    from grader._frozen import freeze
    from grader._grade import grade_notebook
    from grader._limits import Limits
    from grader._plan import GradingPlan
    from grader._results import STATUSES, CheckResult, QuestionResult, SubmissionResult
    from grader._spec import Assignment, Check, Inputs, Property, Question, load_assignment
    from grader.errors import GraderError


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
