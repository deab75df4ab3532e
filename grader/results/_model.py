"""Results of grading: plain, frozen data, ready for the store and the report.

Statuses (a row's ``status``):

- ``ok``: every check of the question agrees with the reference;
- ``wrong``: an answer disagrees (or is not a number, or has the wrong shape);
- ``error``: the function raised an exception;
- ``missing``: the notebook defines no function of that name;
- ``timeout``: a call or cell ran out of time;
- ``kernel_died``: the kernel died and could not be brought back for this question;
- ``resource_limit``: the code hit the memory or another resource cap;
- ``invalid_notebook``: the file is not a notebook that can be run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUSES = (
    "ok",
    "wrong",
    "error",
    "missing",
    "timeout",
    "kernel_died",
    "resource_limit",
    "invalid_notebook",
)


@dataclass(frozen=True)
class CheckResult:
    """One function of a question: passed on every input, or the first input that failed."""

    function: str
    status: str
    weight: float
    feedback: str = ""
    #: With ``credit = "proportional"``: the share of its inputs it got right.
    share: float | None = None

    @property
    def passed(self) -> bool:
        return self.status == "ok"

    @property
    def earned(self) -> float:
        """The part of its weight it earns: all or nothing, or its share of the inputs."""
        if self.share is not None:
            return self.share
        return 1.0 if self.passed else 0.0


@dataclass(frozen=True)
class QuestionResult:
    question: str
    points: float
    max_points: float
    status: str
    feedback: str
    checks: tuple[CheckResult, ...] = ()


@dataclass(frozen=True)
class SubmissionResult:
    """Everything graded for one notebook. ``notes`` say what happened to the notebook itself."""

    submission: str
    questions: tuple[QuestionResult, ...]
    notes: str = ""
    seconds: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)
    #: What grading it used, from its cgroup (``cpu_seconds``, ``memory_peak_mb``, ``cgroups``):
    #: measurements like ``seconds``, so they differ between two gradings of the same notebook.
    usage: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(q.points for q in self.questions), 6)

    @property
    def max_total(self) -> float:
        return round(sum(q.max_points for q in self.questions), 6)
