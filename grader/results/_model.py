"""Results of grading: plain, frozen data, ready for the store and every rendering of it.

The model holds what happened, never sentences about it: statuses, reason and event codes are
typed (``Literal``), a wrong answer's :class:`Mismatch` has its fields, and each output (the CSV
feedback column, the terminal, Markdown and HTML letters) is rendered from these in one place
per format (``_render_text``, ``_render_markdown``, ``_render_html``), with the grader's words
in ``_wording``. Everything here is JSON-able through ``dataclasses.asdict``; inputs and
returned values are tagged JSON (``grader.results._values``).

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
- ``pending``: a question graded by hand that the instructor has not marked yet;
- ``not_submitted``: a student of the roster handed nothing in (a row of zeros, so that every
  student of the class has one; ``missing`` is a function a notebook lacks).
"""

from __future__ import annotations

from dataclasses import InitVar, asdict, dataclass, field
from typing import Any, Final, Literal, get_args

#: A question's or a check's status: the one definition; compare with the constants below.
#: A new status (late or not-submitted work, say) is added here, to ``STATUSES``' order, and
#: to the renderers' words for it.
Status = Literal[
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
    "not_submitted",
]
STATUSES: tuple[Status, ...] = get_args(Status)
OK: Final = "ok"
PARTIAL: Final = "partial"
WRONG: Final = "wrong"
ERROR: Final = "error"
MISSING: Final = "missing"
TIMEOUT: Final = "timeout"
KERNEL_DIED: Final = "kernel_died"
RESOURCE_LIMIT: Final = "resource_limit"
INVALID_NOTEBOOK: Final = "invalid_notebook"
PENDING: Final = "pending"
NOT_SUBMITTED: Final = "not_submitted"

#: Why a check (or the notebook) failed. The first five say what was wrong with an answer that
#: came back (each with a :class:`Mismatch`); ``comparator`` is kept for an author's comparator
#: that says in its own words why an answer is not equal.
ReasonCode = Literal[
    "wrong_value",
    "not_finite",
    "wrong_shape",
    "wrong_type",
    "returned_none",
    "comparator",
    "raised",
    "not_implemented",
    "missing",
    "timeout",
    "kernel_died",
    "resource_limit",
    "too_large",
    "unreadable",
    "syntax_error",
    "imported",
    "unpublished",
    "invalid_notebook",
    "grader_failed",
]
REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)

#: How an answer that came back differs from the reference's, most specific first.
MismatchCode = Literal[
    "wrong_value",  # a number, string, ... that is not the reference's (within tolerance)
    "wrong_element",  # ``index``: the first element of an array that is not
    "not_finite",  # nan where a number is expected
    "returned_none",  # None: at the top (a missing ``return``) or inside a structure
    "wrong_kind",  # ``expected_kind`` was asked for, ``got_kind`` came back
    "not_a_number",  # one number asked for, ``got_kind`` came back
    "list_for_number",  # one number asked for, a list of ``got_count`` came back
    "number_for_vector",  # a vector asked for, a single number came back
    "nested_vector",  # a flat vector asked for, a nested list came back
    "wrong_length",  # a vector of ``expected_count`` numbers, not ``got_count``
    "wrong_count",  # a list or tuple of ``expected_count`` items, not ``got_count``
    "wrong_array_shape",  # an array of ``expected_shape``, not ``got_shape``
    "field_missing",  # a record without its ``field``
    "extra_field",  # a record with a ``field`` the sheet does not ask for
    "mixed_samples",  # a stochastic check's samples are not numbers of one shape
    "not_comparable",  # the comparison itself failed on this answer
    "comparator",  # an author's comparator said no, in its own ``message``
]
#: What the sheet asks for (``expected_kind``).
AnswerKind = Literal["number", "vector", "list", "tuple", "record", "int", "bool", "str", "array"]
#: What came back (``got_kind``): the types an answer arrives as.
ValueKind = Literal["bool", "str", "dict", "list", "int", "float", "other"]

_REASON_OF_MISMATCH: dict[str, ReasonCode] = {
    "not_finite": "not_finite",
    "returned_none": "returned_none",
    "wrong_kind": "wrong_type",
    "not_a_number": "wrong_type",
    "number_for_vector": "wrong_type",
    "list_for_number": "wrong_shape",
    "nested_vector": "wrong_shape",
    "wrong_length": "wrong_shape",
    "wrong_count": "wrong_shape",
    "wrong_array_shape": "wrong_shape",
    "field_missing": "wrong_shape",
    "extra_field": "wrong_shape",
    "mixed_samples": "wrong_shape",
    "comparator": "comparator",
}


@dataclass(frozen=True)
class Mismatch:
    """Why an answer that came back is not the reference's, as data: a code and its fields.

    ``path`` says where inside a structure (a field name, or an item's index), empty at the top.
    With ``statistic`` the mismatch is of a stochastic answer's mean or standard deviation over
    its seeded samples. ``strict``: compared as the reference gives it although the sheet has a
    comparator of its own (a student's bundle, which holds no checks.py). Never the expected
    value itself: only kinds, sizes, shapes and positions.
    """

    code: MismatchCode
    path: tuple[str | int, ...] = ()
    expected_kind: AnswerKind | None = None
    got_kind: ValueKind | None = None
    expected_count: int | None = None
    got_count: int | None = None
    expected_shape: tuple[int, ...] | None = None
    got_shape: tuple[int, ...] | None = None
    #: The record's fields that were asked for (``wrong_kind`` of a record).
    fields: tuple[str, ...] = ()
    #: The field missing, or the one not asked for.
    field: str | None = None
    #: The position of the first wrong element of an array.
    index: tuple[int, ...] | None = None
    statistic: Literal["mean", "std"] | None = None
    rtol: float | None = None
    atol: float | None = None
    strict: bool = False
    message: str | None = None

    def __post_init__(self) -> None:
        """Lists from the store's JSON back to tuples: a loaded mismatch equals the original."""
        for name in ("path", "expected_shape", "got_shape", "fields", "index"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))

    @property
    def reason_code(self) -> ReasonCode:
        """The :class:`Reason` code of a check that failed this way."""
        return _REASON_OF_MISMATCH.get(self.code, "wrong_value")


@dataclass(frozen=True)
class Reason:
    """Why a check (or the notebook) failed, as data: a stable code and its parameters.

    ``params`` are JSON-able (exception name and message, cell number, the limit hit, the
    number of seeded samples, the property hint, ...). An answer that came back and is wrong
    carries its :class:`Mismatch`; a result stored before mismatches were data has none and
    may carry the comparison's sentence as ``params["detail"]``, which is shown as it is.
    """

    code: ReasonCode
    params: dict[str, Any] = field(default_factory=dict)
    mismatch: Mismatch | None = None

    def __post_init__(self) -> None:
        if isinstance(self.mismatch, dict):  # as the store's JSON holds it
            object.__setattr__(self, "mismatch", Mismatch(**self.mismatch))


@dataclass(frozen=True)
class CheckResult:
    """One check (one function or variable) of a question, and its first failing case."""

    function: str
    status: Status
    weight: float
    #: With ``credit = "proportional"``: the share of its cases it got right (of the hidden
    #: ones, unless the spec's ``public_credit`` counts the public ones too).
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
    #: The check's ``name`` in the spec, when a question checks one function more than once.
    name: str | None = None
    #: A value the notebook assigns (``variable = NAME``), read once rather than called.
    variable: bool = False
    #: Functions this one relies on (the spec's ``uses``) that fail their own checks: the
    #: cause a letter names first.
    failed_uses: tuple[str, ...] = ()
    #: How many public cases the ``share`` leaves out (their answers are in the bundle).
    uncounted: int = 0

    @property
    def passed(self) -> bool:
        return self.status == OK

    @property
    def label(self) -> str:
        """How letters and tables name the check: ``function``, or ``function#name``."""
        return self.function if self.name is None else f"{self.function}#{self.name}"

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
    status: Status
    checks: tuple[CheckResult, ...] = ()
    #: Graded by hand: the points come from the instructor's marks.
    manual: bool = False
    #: The instructor's comment on a manual question.
    comment: str = ""


#: What can happen to a notebook itself (or, ``mark_stale``, to its marks).
EventCode = Literal[
    "repaired",
    "cell_failed",
    "limit_hit",
    "timeout",
    "kernel_restarted",
    "output_dropped",
    "sockets_full",
    "imported",
    "processes_survived",
    "executed_not_kept",
    "invalid_notebook",
    "kernel_died",
    "grader_failed",
    "mark_stale",
    "not_submitted",
    "not_on_roster",
    "variant_missing",
    "variant_forged",
    "variant_other",
]


@dataclass(frozen=True)
class Event:
    """Something that happened to the notebook itself (a cell failed, a limit was hit)."""

    code: EventCode
    params: dict[str, Any] = field(default_factory=dict)


#: Prefix of the keys of ``SubmissionResult.extra`` holding an answer graded by hand (here,
#: with the model, so what reads answers need not import the hand marks' pandas).
ANSWER_KEY: Final = "answer:"


@dataclass(frozen=True)
class SubmissionResult:
    """Everything graded for one notebook. ``events`` say what happened to the notebook itself;
    ``grader.report._render_text.result_notes`` words them as one line (the CSV, the terminal),
    and is not stored. A result stored before events were data has none; the notes it was
    stored with are given as ``notes`` and read back as they were."""

    submission: str
    questions: tuple[QuestionResult, ...]
    notes: InitVar[str] = ""
    seconds: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)
    #: What grading it used, from its cgroup (``cpu_seconds``, ``memory_peak_mb``, ``cgroups``):
    #: measurements like ``seconds``, so they differ between two gradings of the same notebook.
    usage: dict[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()

    @property
    def total(self) -> float:
        return round(sum(q.points for q in self.questions), 6)

    def __post_init__(self, notes: str) -> None:
        kept = notes if isinstance(notes, str) and not self.events else ""
        object.__setattr__(self, "_stored_notes", kept)

    @property
    def max_total(self) -> float:
        return round(sum(q.max_points for q in self.questions), 6)

    @property
    def stored_notes(self) -> str:
        """The notes a result stored before events were data came with ("" for the others)."""
        return getattr(self, "_stored_notes", "")


#: CheckResult fields added after results were first stored, with their defaults: left out of
#: the stored data while they hold them, so a result that does not use them is stored (and
#: compared, and exported) exactly as before.
_LATER_CHECK_FIELDS: dict[str, Any] = {"name": None, "variable": False}


def check_data(check: CheckResult) -> dict[str, Any]:
    """A check as JSON-able data, without the later fields that hold their defaults."""
    data = asdict(check)
    for key, default in _LATER_CHECK_FIELDS.items():
        if data.get(key, default) == default:
            data.pop(key, None)
    return data


def result_data(result: SubmissionResult) -> dict[str, Any]:
    """A submission's result as JSON-able data (what the store keeps)."""
    data = asdict(result)
    for question, raw in zip(result.questions, data["questions"]):
        raw["checks"] = [check_data(c) for c in question.checks]
    return data
