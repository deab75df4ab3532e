"""Every file under OUT, written from the stored results alone: one writer per output.

``grader grade`` calls :func:`write_outputs` once the batch is stored, and ``grader report OUT``
calls it again from ``OUT/results.sqlite`` without grading: so a writer reads only its
arguments (never the clock, the environment or a random source), and the same store gives the
same bytes. A new output is a function ``write_X(folder, results, context)`` in its own module,
added to :data:`WRITERS`, and its path a property of ``grader.results._folder.OutputFolder``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from grader.assignment._misconceptions import descriptions
from grader.assignment._spec import Assignment
from grader.results import _tables
from grader.results._checks import write_checks
from grader.results._class_report import write_report
from grader.results._exports import write_gradebooks, write_gradescope
from grader.results._feedback import write_feedback
from grader.results._folder import OutputFolder
from grader.results._manual import write_manual_template
from grader.results._model import SubmissionResult


@dataclass(frozen=True)
class OutputContext:
    """What the outputs need besides the results: the assignment, the misconceptions' plain
    descriptions (key -> text), the versions that graded the batch, each graded notebook's
    hash, and the roster (submission -> student fields) where one was given."""

    assignment: Assignment
    descriptions: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    roster: dict[str, dict[str, str]] | None = None

    @property
    def questions(self) -> list[str]:
        """The question ids of the gradebook's columns: those graded automatically in the spec's
        order, then those graded by hand."""
        return [q.id for q in self.assignment.questions] + self.manual_questions

    @property
    def manual_questions(self) -> list[str]:
        return [q.id for q in self.assignment.manual_questions]


def context_for(
    assignment: Assignment,
    versions: dict[str, str],
    hashes: dict[str, str],
    roster: dict[str, dict[str, str]] | None = None,
) -> OutputContext:
    """The context of a batch: the misconceptions' descriptions come from the assignment's
    catalogue (checks.py's ``MISCONCEPTIONS``, checked when the spec loaded)."""
    words = descriptions(assignment.misconceptions)
    return OutputContext(assignment, words, versions, hashes, roster)


Writer = Callable[[OutputFolder, list[SubmissionResult], OutputContext], None]


def write_scores(
    folder: OutputFolder, results: list[SubmissionResult], context: OutputContext
) -> None:
    """``scores.csv``: one row per submission and question."""
    _tables.write_csv(_scores(results, context), folder.scores_csv)


def write_gradebook(
    folder: OutputFolder, results: list[SubmissionResult], context: OutputContext
) -> None:
    """``gradebook.csv``: one row per submission, a column per question, and the total."""
    gradebook = _tables.gradebook_frame(
        _scores(results, context), context.questions, context.manual_questions
    )
    _tables.write_csv(gradebook, folder.gradebook_csv)


def _scores(results: list[SubmissionResult], context: OutputContext):  # type: ignore[no-untyped-def]
    pairs = ((r, context.hashes.get(r.submission, "")) for r in results)
    show_expected = context.assignment.show_expected
    return _tables.scores_frame(pairs, context.versions, context.descriptions, show_expected)


#: The writers run by :func:`write_outputs`, in order.
WRITERS: list[Writer] = [
    write_scores,
    write_gradebook,
    write_checks,
    write_feedback,
    write_report,
    write_gradescope,
    write_gradebooks,
    write_manual_template,
]


def write_outputs(
    folder: OutputFolder, results: list[SubmissionResult], context: OutputContext
) -> None:
    """Write every output of the batch under ``folder`` (each file atomically), then remove
    the grader's files of any submission not among ``results``: every output lists the class."""
    folder.root.mkdir(parents=True, exist_ok=True)
    for writer in WRITERS:
        writer(folder, results, context)
    folder.prune([r.submission for r in results], roster=context.roster is not None)
