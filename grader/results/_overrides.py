"""Overrides of automatically graded questions (a regrade request upheld), in every output.

An override is what a person decided, with the reason they gave: it is stored apart from the
graded results (``grader.results._hand_store``), survives a regrade, and is never silent: the
question's comment says it was overridden, from what, and why.
"""

from __future__ import annotations

from dataclasses import replace

from grader.results._folder import OutputFolder
from grader.results._model import OK, PARTIAL, WRONG, QuestionResult, SubmissionResult


def load_overrides(folder: OutputFolder) -> dict[tuple[str, str], tuple[float, str]]:
    """(submission, question) -> (points, reason); none where no store exists."""
    if not folder.store_path.is_file():
        return {}
    store = folder.existing_store()
    try:
        return store.overrides()
    finally:
        store.close()


def with_overrides(
    results: list[SubmissionResult], overrides: dict[tuple[str, str], tuple[float, str]]
) -> list[SubmissionResult]:
    if not overrides:
        return results
    return [_overridden(r, overrides) for r in results]


def _overridden(
    result: SubmissionResult, overrides: dict[tuple[str, str], tuple[float, str]]
) -> SubmissionResult:
    questions = []
    for question in result.questions:
        found = overrides.get((result.submission, question.question))
        if found is None or question.manual:
            questions.append(question)
        else:
            questions.append(_question(question, *found))
    return replace(result, questions=tuple(questions))


def _question(question: QuestionResult, points: float, reason: str) -> QuestionResult:
    points = min(max(points, 0.0), question.max_points)
    if points >= question.max_points:
        status = OK
    elif points > 0:
        status = PARTIAL
    else:
        status = WRONG
    comment = f"Overridden from {question.points:g} to {points:g}: {reason}"
    return replace(question, points=points, status=status, comment=comment)
