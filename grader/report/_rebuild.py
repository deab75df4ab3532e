"""``grader report OUT``: every output written again from ``OUT/results.sqlite``, no grading.

The store keeps what the writers need besides the results (the assignment's folder, the
versions that graded the batch, the submissions in order: the class), so the files come out
byte-identical to those ``grader grade`` wrote.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from grader.assignment._spec import load_assignment
from grader.errors import OutputError
from grader.report._class_report import write_report
from grader.report._outputs import write_outputs
from grader.report._tables import GradedBatch, batch_of
from grader.results._context import OutputContext, context_for
from grader.results._extensions import extensions_info, kept_extensions
from grader.results._folder import OutputFolder
from grader.results._late import Extension
from grader.results._manual_questions import marked_results
from grader.results._marks_store import merge_marks, unanswered
from grader.results._model import ANSWER_KEY, SubmissionResult
from grader.results._roster import kept_roster


def stored_batch(folder: OutputFolder) -> tuple[list[SubmissionResult], OutputContext]:
    """The results stored in ``folder`` and the context to write them with."""
    store = folder.existing_store()
    try:
        info = store.info()
        if "assignment_folder" not in info:
            raise OutputError(
                f"{store.path} was written by an earlier grader that did not keep what the "
                "report needs; grade into this folder again"
            )
        stored = list(store.results(json.loads(info["submissions"])))
    finally:
        store.close()
    assignment = load_assignment(Path(info["assignment_folder"]))
    hashes = {result.submission: sha for result, sha in stored}
    versions = json.loads(info["versions"])
    context = context_for(assignment, versions, hashes, extensions=kept_extensions(info))
    return [result for result, _ in stored], context


def rebuild(
    out: Path,
    manual: Path | None = None,
    roster: dict[str, dict[str, str]] | None = None,
    extensions: dict[str, Extension] | None = None,
    pending: str = "warn",
) -> GradedBatch:
    """Write every output of ``out`` again from its store, with the marks given by hand (those
    of the file ``manual`` merged first); the batch written. The exports join ``roster``,
    else the one they kept (``grader.results._roster.kept_roster``); ``extensions`` replace the
    ones the store kept (and are kept in their place); ``pending`` says what the Canvas and
    Moodle exports do with a total still waiting for hand marks."""
    folder = OutputFolder(out)
    if extensions is not None:
        keep_extensions(folder, extensions)
    results, context = _marked_batch(folder, manual)
    roster = roster if roster is not None else kept_roster(folder)
    return write_outputs(folder, results, replace(context, roster=roster, pending=pending))


def merge_file(out: Path, manual: Path) -> int:
    """Merge the marks of the file ``manual`` into the store of ``out`` (checked whole first);
    how many it brought, new or changed (:func:`grader.results._marks_store.merge_marks`)."""
    folder = OutputFolder(out)
    _, context = stored_batch(folder)
    return merge_marks(folder, manual, context.assignment)


def keep_extensions(folder: OutputFolder, extensions: dict[str, Extension]) -> None:
    """Keep ``extensions`` in the store in place of those it held (``report`` reapplies them)."""
    store = folder.existing_store()
    try:
        store.set_info(extensions_info(extensions))
    finally:
        store.close()


def unanswered_rows(out: Path, manual: Path) -> list[tuple[str, str]]:
    """(submission, question) of the rows of ``manual`` whose answer, in the graded notebook,
    is empty or still the placeholder: said after a merge, so a mark given to nothing written
    (or an answer left unmarked for that reason) is seen."""
    results, context = stored_batch(OutputFolder(out))
    written = {
        (result.submission, question.id): result.extra.get(ANSWER_KEY + question.id)
        for result in results
        for question in context.assignment.manual_questions
    }
    return unanswered(manual, context.assignment, written)


def rebuild_report(out: Path) -> None:
    """Write ``OUT/report.html`` alone again, as ``rebuild`` would (``grader similarity`` calls
    it so the page shows what it flagged, without touching the other outputs)."""
    folder = OutputFolder(out)
    results, context = _marked_batch(folder, None)
    write_report(folder, batch_of(results, context))


def _marked_batch(
    folder: OutputFolder, manual: Path | None
) -> tuple[list[SubmissionResult], OutputContext]:
    results, context = stored_batch(folder)
    if manual is not None:
        merge_marks(folder, manual, context.assignment)
    return marked_results(folder, results, context.assignment, context.hashes), context
