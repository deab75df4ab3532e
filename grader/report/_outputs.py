"""Every file under OUT, written from the stored results alone: one writer per output.

``grader grade`` calls :func:`write_outputs` once the batch is stored, and ``grader report OUT``
calls it again from ``OUT/results.sqlite`` without grading: so a writer reads only its
arguments (never the clock, the environment or a random source), and the same store gives the
same bytes. A new output is a function ``write_X(folder, batch)`` in its own module,
added to :data:`WRITERS`, and its path a property of ``grader.results._folder.OutputFolder``.
"""

from __future__ import annotations

from collections.abc import Callable

from grader.report import _tables
from grader.report._checks import write_checks
from grader.report._class_report import write_report
from grader.report._exports import write_gradebooks, write_gradescope
from grader.report._feedback import write_feedback
from grader.report._manual_template import write_manual_template
from grader.report._tables import GradedBatch
from grader.results._context import OutputContext
from grader.results._folder import OutputFolder
from grader.results._model import SubmissionResult

Writer = Callable[[OutputFolder, GradedBatch], None]


def write_scores(folder: OutputFolder, batch: GradedBatch) -> None:
    """``scores.csv``: one row per submission and question."""
    _tables.write_csv(batch.scores, folder.scores_csv)


def write_gradebook(folder: OutputFolder, batch: GradedBatch) -> None:
    """``gradebook.csv``: one row per submission, a column per question, and the total."""
    _tables.write_csv(batch.gradebook, folder.gradebook_csv)


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
) -> GradedBatch:
    """Write every output of the batch under ``folder`` (each file atomically), from its scores
    built once, then remove the grader's files of any submission not among ``results``: every
    output lists the class. The batch as the outputs saw it is returned (for the terminal)."""
    batch = _tables.batch_of(results, context)
    folder.root.mkdir(parents=True, exist_ok=True)
    for writer in WRITERS:
        writer(folder, batch)
    folder.prune([r.submission for r in results], roster=context.roster is not None)
    return batch
