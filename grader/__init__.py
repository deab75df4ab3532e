"""grader: grade Jupyter-notebook exercise sheets against reference oracles.

The public API is what this module exports; everything in ``grader._*`` is private.
"""

__version__ = "0.1.0"

from grader._batch import BatchReport, grade_batch
from grader._frozen import freeze
from grader._grade import grade_notebook
from grader._limits import Limits
from grader._plan import GradingPlan
from grader._results import STATUSES, CheckResult, QuestionResult, SubmissionResult
from grader._spec import Assignment, Check, Inputs, Property, Question, load_assignment
from grader.errors import GraderError

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
