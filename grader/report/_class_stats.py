"""How the class did, as numbers: what the class report shows, computed once from the results.

Kept apart from the page (``_class_report``) so the figures can be tested without HTML and read
by other outputs. Pass rates count a question or check as passed only with status ``ok``;
discrimination is the point-biserial correlation of passing a check with the rest of the total
(the total without that check's own points), so a check does not correlate with itself.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from grader.results._model import (
    OK,
    PENDING,
    STATUSES,
    CheckResult,
    QuestionResult,
    SubmissionResult,
)
from grader.results._scores import ClassTotals, class_totals

#: How many of the slowest submissions the report lists.
SLOWEST = 10


@dataclass(frozen=True)
class QuestionStats:
    question: str
    max_points: float
    #: Over the marked answers; None while every answer waits to be marked by hand.
    mean: float | None
    pass_rate: float | None
    statuses: dict[str, int]
    #: How many answers the mean and pass rate are over, of how many.
    marked: int = 0
    answers: int = 0


@dataclass(frozen=True)
class CheckStats:
    """One check across the class: its difficulty and discrimination (item analysis)."""

    question: str
    function: str
    graded: int
    passed: int
    difficulty: float
    #: None when it cannot be computed: everyone passed, nobody did, or the rest never varies.
    discrimination: float | None


@dataclass(frozen=True)
class FailureGroup:
    """The students whose answers to one question failed the same way: by a misconception of
    the sheet's catalogue, however many of the question's functions it shows in, else by reason
    code. A misconception is one mistake by its words: the catalogue names it once per function
    (``entropy_log2``, ``kl_log2``) with the same description."""

    question: str
    #: The catalogue's description of the mistake; None for a group by reason.
    misconception: str | None
    #: The reason code ("" for a misconception).
    reason: str
    #: The checked functions it was found in, in the order of the question's checks.
    functions: tuple[str, ...]
    submissions: tuple[str, ...]
    #: The catalogue's keys matched (one per function).
    keys: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """How many students: each once, however many of the functions show it."""
        return len(self.submissions)


@dataclass(frozen=True)
class ClassStats:
    count: int
    max_total: float
    totals: tuple[float, ...]
    mean: float
    median: float
    full_marks: int
    pending: int
    questions: tuple[QuestionStats, ...]
    checks: tuple[CheckStats, ...]
    statuses: dict[str, int]
    failures: tuple[FailureGroup, ...]
    slowest: tuple[tuple[str, float], ...]


def class_stats(
    results: Sequence[SubmissionResult],
    misconceptions: Mapping[str, str] | None = None,
    scored: ClassTotals | None = None,
) -> ClassStats:
    """Every figure of the class report, from the submissions' results (any order);
    ``misconceptions``: the catalogue's key -> description, which groups mistakes; ``scored``:
    the batch's totals (late penalties taken off), else the results' own."""
    results = sorted(results, key=lambda r: r.submission)
    scored = scored if scored is not None else class_totals(results)
    totals = tuple(t.points for t in scored.totals)
    statuses = Counter(q.status for r in results for q in r.questions)
    slowest = sorted(results, key=lambda r: (-r.seconds, r.submission))[:SLOWEST]
    return ClassStats(
        count=len(results),
        max_total=scored.max_points,
        totals=totals,
        mean=scored.mean,
        median=scored.median,
        full_marks=scored.full_marks,
        pending=scored.pending,
        questions=_question_stats(results),
        checks=_check_stats(results),
        statuses={s: statuses[s] for s in _status_order(statuses)},
        failures=failure_groups(results, misconceptions or {}),
        slowest=tuple((r.submission, r.seconds) for r in slowest),
    )


def check_points(question: QuestionResult, check: CheckResult) -> float:
    """The points one check earned: its weight's part of the question, times what it earned."""
    weight = sum(c.weight for c in question.checks)
    if weight <= 0:
        return 0.0
    return question.max_points * check.weight / weight * check.earned


def failure_groups(
    results: Sequence[SubmissionResult], misconceptions: Mapping[str, str]
) -> tuple[FailureGroup, ...]:
    """Failed checks grouped by question (in the sheet's order), then by misconception (its
    description; the key where the catalogue has none), else by reason; within a question the
    misconceptions first, each kind largest first."""
    groups: dict[_Key, _Found] = {}
    for result in results:
        for question in result.questions:
            for check in question.checks:
                if check.passed:
                    continue
                key = _failure_key(question.question, check, misconceptions)
                found = groups.setdefault(key, _Found())
                found.functions.setdefault(check.label)
                found.submissions.add(result.submission)
                if check.misconception:
                    found.keys.setdefault(check.misconception)
    order = {q.question: i for r in reversed(results) for i, q in enumerate(r.questions)}
    ranked = sorted(groups.items(), key=lambda item: _rank(item, order))
    return tuple(
        FailureGroup(
            question,
            misconception,
            reason,
            tuple(found.functions),
            tuple(sorted(found.submissions)),
            tuple(found.keys),
        )
        for (question, misconception, reason), found in ranked
    )


#: A group's key: question, the misconception's description (or None), the reason code ("").
_Key = tuple[str, "str | None", str]


@dataclass
class _Found:
    functions: dict[str, None] = field(default_factory=dict)
    submissions: set[str] = field(default_factory=set)
    keys: dict[str, None] = field(default_factory=dict)


def _failure_key(question: str, check: CheckResult, misconceptions: Mapping[str, str]) -> _Key:
    if check.misconception:
        return question, misconceptions.get(check.misconception) or check.misconception, ""
    return question, None, check.reason.code if check.reason is not None else check.status


def _rank(item: tuple[_Key, _Found], order: Mapping[str, int]) -> tuple[int, bool, int, str, str]:
    (question, misconception, reason), found = item
    size = -len(found.submissions)
    return order.get(question, len(order)), misconception is None, size, misconception or "", reason


def _question_stats(results: Sequence[SubmissionResult]) -> tuple[QuestionStats, ...]:
    by_question: dict[str, list[QuestionResult]] = defaultdict(list)
    for result in results:
        for question in result.questions:
            by_question[question.question].append(question)
    stats = []
    for name, answers in by_question.items():
        marked = [q for q in answers if q.status != PENDING]
        counts = Counter(q.status for q in answers)
        stats.append(
            QuestionStats(
                question=name,
                max_points=max(q.max_points for q in answers),
                mean=_mean([q.points for q in marked]) if marked else None,
                pass_rate=_rate(sum(q.status == OK for q in marked), len(marked))
                if marked
                else None,
                statuses={s: counts[s] for s in _status_order(counts)},
                marked=len(marked),
                answers=len(answers),
            )
        )
    return tuple(stats)


def _check_stats(results: Sequence[SubmissionResult]) -> tuple[CheckStats, ...]:
    """Difficulty and discrimination of each (question, function) across the class."""
    rows: dict[tuple[str, str], list[tuple[bool, float]]] = defaultdict(list)
    for result in results:
        for question in result.questions:
            for check in question.checks:
                rest = result.total - check_points(question, check)
                rows[(question.question, check.label)].append((check.passed, rest))
    stats = []
    for (question, function), pairs in rows.items():
        passed = sum(p for p, _ in pairs)
        stats.append(
            CheckStats(
                question=question,
                function=function,
                graded=len(pairs),
                passed=passed,
                difficulty=_rate(passed, len(pairs)),
                discrimination=_correlation([float(p) for p, _ in pairs], [r for _, r in pairs]),
            )
        )
    return tuple(stats)


def _correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r, or None where either side never varies (it is undefined there)."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return round(sxy / math.sqrt(sxx * syy), 6)


def _status_order(counts: Mapping[str, int]) -> list[str]:
    """Statuses in the model's order, then any unknown ones (an older store) by name."""
    known = [s for s in STATUSES if counts.get(s)]
    return known + sorted(s for s in counts if s not in STATUSES and counts[s])


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 6) if values else 0.0


def _median(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return round((ordered[mid - 1] + ordered[mid]) / 2, 6)


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0
