"""Questions graded by hand in the outputs: pending until marked, then the instructor's points.

The graded results hold only what the grader checked, plus the text of each answer cell graded
by hand (``extra["answer:ID"]``, as the student wrote it). Every output sees them through
:func:`with_marks`, which adds one question per manual question of the spec: ``pending`` (no
points, never a zero) until a mark is merged, then the mark's points and comment; a mark given
against another version of the notebook is not counted but flagged for review, in the notes
(the instructor's, not the student's letter). The template the instructor fills in is written
from the same view (``grader.report._manual_template``).
"""

from __future__ import annotations

from dataclasses import replace

from grader.assignment._spec import Assignment, ManualQuestion
from grader.results._folder import OutputFolder
from grader.results._marks_store import Mark, load_marks
from grader.results._model import (
    NOT_SUBMITTED,
    OK,
    PARTIAL,
    PENDING,
    WRONG,
    Event,
    QuestionResult,
    SubmissionResult,
)
from grader.results._overrides import load_overrides, with_overrides


def automatic_totals(result: SubmissionResult) -> tuple[float, float]:
    """Points earned and possible on the questions graded automatically: what "full marks"
    means to ``grader check``, ``grader validate`` and a batch's count below full marks, since
    marks given by hand come later (or never, for a student checking their own notebook)."""
    automatic = [q for q in result.questions if not q.manual]
    earned = round(sum(q.points for q in automatic), 6)
    return earned, round(sum(q.max_points for q in automatic), 6)


def marked_results(
    folder: OutputFolder,
    results: list[SubmissionResult],
    assignment: Assignment,
    hashes: dict[str, str],
) -> list[SubmissionResult]:
    """``results`` with the manual questions of the spec, as marked in ``folder``'s store, and
    the overrides of automatic questions stored there."""
    marked = with_marks(results, load_marks(folder), assignment, hashes)
    return with_overrides(marked, load_overrides(folder))


def with_marks(
    results: list[SubmissionResult],
    marks: dict[tuple[str, str], Mark],
    assignment: Assignment,
    hashes: dict[str, str],
) -> list[SubmissionResult]:
    if not assignment.manual_questions:
        return results
    return [_marked(r, marks, assignment, hashes.get(r.submission, "")) for r in results]


def _marked(
    result: SubmissionResult,
    marks: dict[tuple[str, str], Mark],
    assignment: Assignment,
    sha: str,
) -> SubmissionResult:
    by_hand = {q.id for q in assignment.manual_questions}
    questions = [q for q in result.questions if q.question not in by_hand]
    if any(e.code == NOT_SUBMITTED for e in result.events):  # nothing to mark: zero, not pending
        questions += [
            QuestionResult(q.id, 0.0, q.points, NOT_SUBMITTED, manual=True)
            for q in assignment.manual_questions
        ]
        return replace(result, questions=tuple(questions))
    stale = []
    for question in assignment.manual_questions:
        mark = marks.get((result.submission, question.id))
        if mark is not None and mark.notebook_sha256 != sha:
            params = {"question": question.id, "points": mark.points, "max": question.points}
            stale.append(Event("mark_stale", params))
            mark = None
        questions.append(_question(question, mark))
    events = (*result.events, *stale)
    return replace(result, questions=tuple(questions), events=events)


def _question(question: ManualQuestion, mark: Mark | None) -> QuestionResult:
    if mark is None:
        return QuestionResult(question.id, 0.0, question.points, PENDING, manual=True)
    if mark.points >= question.points:
        status = OK
    elif mark.points > 0:
        status = PARTIAL
    else:
        status = WRONG
    return QuestionResult(
        question.id, mark.points, question.points, status, manual=True, comment=mark.comment
    )
