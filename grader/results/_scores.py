"""Totals: what a submission and a class scored, defined once for every output.

The terminal, the class report, the CSVs, the letters, the exports and JUnit all read these, so
they cannot disagree. A total counts every question of the sheet, those marked by hand
included: an answer not marked yet is *pending* (it has no points, and is never a zero), and a
total with pending answers is a total *so far*. "Full marks" in a class's totals needs every
answer marked (and nothing lost); "every automatic point" is what ``grader check``, ``grader
validate`` and ``grader grade``'s count below full marks look at (the automatic questions
only), and the class sentence says both while hand marks are pending.

Lateness (``_late``) is applied here too, once: a total's ``points`` are the final score (the
points earned less the late penalty, a percentage of them), ``raw_points`` what was earned, and
``late`` the lateness with its penalty as data. Without a due time or a word from the LMS,
``late`` is None and the total is what it always was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean, median

from grader.results._late import NO_RULES, Lateness, LateRules
from grader.results._model import PENDING, SubmissionResult


@dataclass(frozen=True)
class Total:
    """One submission's total."""

    submission: str
    #: Points given so far (the automatic questions, and those marked by hand), less any late
    #: penalty: the final score.
    points: float
    #: Every question's points, those marked by hand included.
    max_points: float
    #: The questions still to be marked by hand, in the sheet's order.
    pending: tuple[str, ...] = ()
    #: What those are worth.
    pending_points: float = 0.0
    #: Whether it was late, and the penalty (None: nothing to say).
    late: Lateness | None = None
    #: The points before the late penalty (None: no penalty, the same as ``points``).
    raw_points: float | None = None
    #: Points lost on the questions graded automatically (before any late penalty).
    automatic_lost: float = 0.0

    @property
    def raw(self) -> float:
        """The points earned, before any late penalty."""
        return self.points if self.raw_points is None else self.raw_points

    @property
    def penalty_points(self) -> float:
        return round(self.raw - self.points, 6)

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

    @property
    def every_automatic_point(self) -> bool:
        """Every point of the automatic questions: full marks to ``grader check``."""
        return self.automatic_lost <= 1e-9


def total_of(result: SubmissionResult, rules: LateRules = NO_RULES) -> Total:
    """The result's total, its late penalty (by ``rules``) taken off."""
    waiting = [q for q in result.questions if q.status == PENDING]
    raw = round(sum(q.points for q in result.questions if q.status != PENDING), 6)
    late = rules.of(result)
    percent = late.percent if late is not None else 0.0
    automatic = [q for q in result.questions if not q.manual]
    return Total(
        submission=result.submission,
        points=round(raw * (100.0 - percent) / 100.0, 6) if percent else raw,
        max_points=round(sum(q.max_points for q in result.questions), 6),
        pending=tuple(q.question for q in waiting),
        pending_points=round(sum(q.max_points for q in waiting), 6),
        late=late,
        raw_points=raw if percent else None,
        automatic_lost=round(sum(q.max_points - q.points for q in automatic), 6),
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
    def every_automatic_point(self) -> int:
        """Submissions with every automatic point, whether or not hand marks are pending."""
        return sum(t.every_automatic_point for t in self.totals)

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

    @property
    def any_late(self) -> bool:
        """Whether any total has something to say about lateness (else no output says it)."""
        return any(t.late is not None for t in self.totals)


def class_totals(results: Sequence[SubmissionResult], rules: LateRules = NO_RULES) -> ClassTotals:
    return ClassTotals(tuple(total_of(r, rules) for r in results))
