"""Totals: what a submission and a class scored, defined once for every output.

The terminal, the class report, the CSVs, the letters, the exports and JUnit all read these, so
they cannot disagree. A total counts every question of the sheet, those marked by hand
included: an answer not marked yet is *pending* (it has no points, and is never a zero), and a
total with pending answers is a total *so far*. "Full marks" needs every answer marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean, median

from grader.results._model import PENDING, SubmissionResult


@dataclass(frozen=True)
class Total:
    """One submission's total."""

    submission: str
    #: Points given so far (the automatic questions, and those marked by hand).
    points: float
    #: Every question's points, those marked by hand included.
    max_points: float
    #: The questions still to be marked by hand, in the sheet's order.
    pending: tuple[str, ...] = ()
    #: What those are worth.
    pending_points: float = 0.0

    @property
    def final(self) -> bool:
        return not self.pending

    @property
    def lost(self) -> float:
        """Points already lost: on what is marked, below full marks."""
        return round(self.max_points - self.pending_points - self.points, 6)

    @property
    def full_marks(self) -> bool:
        return self.final and self.lost <= 1e-9


def total_of(result: SubmissionResult) -> Total:
    waiting = [q for q in result.questions if q.status == PENDING]
    return Total(
        submission=result.submission,
        points=round(sum(q.points for q in result.questions if q.status != PENDING), 6),
        max_points=round(sum(q.max_points for q in result.questions), 6),
        pending=tuple(q.question for q in waiting),
        pending_points=round(sum(q.max_points for q in waiting), 6),
    )


@dataclass(frozen=True)
class ClassTotals:
    """A class's totals, in the order of its results."""

    totals: tuple[Total, ...]

    @property
    def count(self) -> int:
        return len(self.totals)

    @property
    def max_points(self) -> float:
        return max((t.max_points for t in self.totals), default=0.0)

    @property
    def mean(self) -> float:
        return round(fmean(t.points for t in self.totals), 6) if self.totals else 0.0

    @property
    def median(self) -> float:
        return round(median(t.points for t in self.totals), 6) if self.totals else 0.0

    @property
    def full_marks(self) -> int:
        return sum(t.full_marks for t in self.totals)

    @property
    def lost_points(self) -> int:
        """Submissions below full marks on what is marked already."""
        return sum(t.lost > 1e-9 for t in self.totals)

    @property
    def pending(self) -> int:
        """Submissions with answers still to be marked by hand."""
        return sum(not t.final for t in self.totals)

    @property
    def pending_answers(self) -> int:
        return sum(len(t.pending) for t in self.totals)

    def of(self, submission: str) -> Total:
        return next(t for t in self.totals if t.submission == submission)


def class_totals(results: Sequence[SubmissionResult]) -> ClassTotals:
    return ClassTotals(tuple(total_of(r) for r in results))
