"""What every output of a batch needs besides its results: a leaf that the results and every
renderer may import (it imports only the assignment), so no writer needs another's module."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from grader.assignment._misconceptions import descriptions
from grader.assignment._spec import Assignment
from grader.results._late import Extension, LateRules

#: What the Canvas and Moodle exports do with a total still waiting for hand marks: leave the
#: cell blank and say so loudly (``warn``), send the points so far (``zero``: the pending
#: answers count 0), or leave the student's row out (``omit``: the LMS keeps what it has).
PENDING_CHOICES = ("warn", "zero", "omit")


@dataclass(frozen=True)
class FeedbackOptions:
    """What feedback may say, for every renderer at once: the misconceptions' plain
    descriptions (key -> text), and whether a hidden expected value is shown (the sheet's
    ``show_expected``, or always for public cases and ``validate``)."""

    descriptions: Mapping[str, str] = field(default_factory=dict)
    show_expected: bool = False


#: Feedback that names no misconception and shows no expected value.
NO_OPTIONS = FeedbackOptions()


@dataclass(frozen=True)
class OutputContext:
    """What the outputs need besides the results: the assignment, the misconceptions' plain
    descriptions (key -> text), the versions that graded the batch, each graded notebook's
    hash, the roster (submission -> student fields) where one was given, the extensions
    granted (by student_id) and what the exports do with pending totals."""

    assignment: Assignment
    descriptions: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    roster: dict[str, dict[str, str]] | None = None
    extensions: Mapping[str, Extension] = field(default_factory=dict)
    pending: str = "warn"

    @property
    def late_rules(self) -> LateRules:
        """The spec's late policy with the extensions: every total is judged by these."""
        return LateRules(self.assignment.late, self.extensions)

    @property
    def questions(self) -> list[str]:
        """The question ids of the gradebook's columns: those graded automatically in the spec's
        order, then those graded by hand."""
        return [q.id for q in self.assignment.questions] + self.manual_questions

    @property
    def feedback(self) -> FeedbackOptions:
        return FeedbackOptions(self.descriptions, self.assignment.show_expected)

    @property
    def manual_questions(self) -> list[str]:
        return [q.id for q in self.assignment.manual_questions]


def context_for(
    assignment: Assignment,
    versions: dict[str, str],
    hashes: dict[str, str],
    roster: dict[str, dict[str, str]] | None = None,
    extensions: Mapping[str, Extension] | None = None,
) -> OutputContext:
    """The context of a batch: the misconceptions' descriptions come from the assignment's
    catalogue (checks.py's ``MISCONCEPTIONS``, checked when the spec loaded)."""
    words = descriptions(assignment.misconceptions)
    return OutputContext(assignment, words, versions, hashes, roster, extensions or {})
