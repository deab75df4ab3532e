"""Results of grading: plain, frozen data, ready for the store and every rendering of it.

The model holds what happened, never sentences about it: each output (the CSV feedback column,
the terminal, Markdown and HTML letters) is rendered from these fields in one place per format
(``_render_text``, ``_render_markdown``, ``_render_html``). Everything here is JSON-able through
``dataclasses.asdict``; inputs and returned values are tagged JSON (``grader.results._values``).

Statuses (a question's or a check's ``status``):

- ``ok``: every check of the question agrees with the reference;
- ``partial``: the question earned some but not all of its points;
- ``wrong``: an answer disagrees (or is not a number, or has the wrong shape);
- ``error``: the function raised an exception;
- ``missing``: the notebook defines no function of that name;
- ``timeout``: a call or cell ran out of time;
- ``kernel_died``: the kernel died and could not be brought back for this question;
- ``resource_limit``: the code hit the memory or another resource cap;
- ``invalid_notebook``: the file is not a notebook that can be run;
- ``pending``: a question graded by hand that the instructor has not marked yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = (
    "ok",
    "partial",
    "wrong",
    "error",
    "missing",
    "timeout",
    "kernel_died",
    "resource_limit",
    "invalid_notebook",
    "pending",
)


@dataclass(frozen=True)
class Reason:
    """Why a check (or the notebook) failed, as data: a stable code and its parameters.

    Codes: ``wrong_value``, ``not_finite``, ``wrong_shape``, ``wrong_type``, ``returned_none``,
    ``raised``, ``not_implemented``, ``missing``, ``timeout``, ``kernel_died``,
    ``resource_limit``, ``too_large``, ``unreadable``, ``syntax_error``, ``imported``,
    ``invalid_notebook``, ``grader_failed``. ``params`` are JSON-able (exception name and
    message, cell number, the limit hit, tolerances, ...).
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """One check (one function or variable) of a question, and its first failing case."""

    function: str
    status: str
    weight: float
    #: With ``credit = "proportional"``: the share of its cases it got right.
    share: float | None = None
    cases_run: int = 0
    cases_passed: int = 0
    #: The first failing case's arguments by parameter name, as the function received them.
    failing_input: dict[str, Any] | None = None
    #: What came back for that case (tagged JSON); None if nothing did.
    returned: Any = None
    reason: Reason | None = None
    #: Key in the assignment's misconception catalogue, when the wrong answers match one.
    misconception: str | None = None
    #: Whether the failing case is one of the public cases (a student may see those answers).
    public: bool = True
    #: Properties of the sheet the answers break: an explanation, never marks.
    properties_broken: tuple[str, ...] = ()
    #: The reference's answer on the failing case: only filled when the spec shows it.
    expected: Any = None

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
    checks: tuple[CheckResult, ...] = ()
    #: Graded by hand: the points come from the instructor's marks.
    manual: bool = False
    #: The instructor's comment on a manual question.
    comment: str = ""


@dataclass(frozen=True)
class Event:
    """Something that happened to the notebook itself (a cell failed, a limit was hit)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubmissionResult:
    """Everything graded for one notebook. ``events`` say what happened to the notebook itself;
    ``notes`` is their rendering as one line of text, kept for the CSV and the terminal."""

    submission: str
    questions: tuple[QuestionResult, ...]
    notes: str = ""
    seconds: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)
    #: What grading it used, from its cgroup (``cpu_seconds``, ``memory_peak_mb``, ``cgroups``):
    #: measurements like ``seconds``, so they differ between two gradings of the same notebook.
    usage: dict[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()

    @property
    def total(self) -> float:
        return round(sum(q.points for q in self.questions), 6)

    @property
    def max_total(self) -> float:
        return round(sum(q.max_points for q in self.questions), 6)
