"""Every file under OUT, written from the stored results alone: one writer per output.

``grader grade`` calls :func:`write_outputs` once the batch is stored, and ``grader report OUT``
calls it again from ``OUT/results.sqlite`` without grading: so a writer reads only its
arguments (never the clock, the environment or a random source), and the same store gives the
same bytes. A new output is a function ``write_X(out, results, context)`` in its own module,
added to :data:`WRITERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.assignment._spec import Assignment
from grader.results import _tables
from grader.results._checks import write_checks
from grader.results._feedback import write_feedback
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
        """The question ids of the gradebook's columns, in the spec's order."""
        return [q.id for q in self.assignment.questions]


def context_for(
    assignment: Assignment,
    versions: dict[str, str],
    hashes: dict[str, str],
    roster: dict[str, dict[str, str]] | None = None,
) -> OutputContext:
    """The context of a batch: the misconceptions' descriptions come from the assignment's
    ``MISCONCEPTIONS`` (key -> an object with ``describe``), where its checks module has one."""
    catalogue = getattr(assignment.hooks, "MISCONCEPTIONS", None) or {}
    descriptions = {str(k): str(getattr(m, "describe", "")) for k, m in catalogue.items()}
    return OutputContext(assignment, descriptions, versions, hashes, roster)


Writer = Callable[[Path, list[SubmissionResult], OutputContext], None]


def write_scores(out: Path, results: list[SubmissionResult], context: OutputContext) -> None:
    """``scores.csv``: one row per submission and question."""
    _tables.write_csv(_scores(results, context), out / "scores.csv")


def write_gradebook(out: Path, results: list[SubmissionResult], context: OutputContext) -> None:
    """``gradebook.csv``: one row per submission, a column per question, and the total."""
    gradebook = _tables.gradebook_frame(_scores(results, context), context.questions)
    _tables.write_csv(gradebook, out / "gradebook.csv")


def _scores(results: list[SubmissionResult], context: OutputContext):  # type: ignore[no-untyped-def]
    pairs = ((r, context.hashes.get(r.submission, "")) for r in results)
    show_expected = context.assignment.show_expected
    return _tables.scores_frame(pairs, context.versions, context.descriptions, show_expected)


#: The writers run by :func:`write_outputs`, in order.
WRITERS: list[Writer] = [write_scores, write_gradebook, write_checks, write_feedback]


def write_outputs(out: Path, results: list[SubmissionResult], context: OutputContext) -> None:
    """Write every output of the batch under ``out`` (each file atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    for writer in WRITERS:
        writer(out, results, context)
