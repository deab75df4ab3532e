"""``OUT/feedback/<submission>.md`` and ``.html``: each student's letter, from the results.

A name too long for the file system is shortened and given a hash (``_files.output_name``); the
class report links each letter through the same function."""

from __future__ import annotations

from grader.report._render_html import render_html
from grader.report._render_markdown import render_markdown
from grader.report._tables import GradedBatch
from grader.results._folder import OutputFolder


def write_feedback(folder: OutputFolder, batch: GradedBatch) -> None:
    results, context = batch.results, batch.context
    folder.feedback_dir.mkdir(parents=True, exist_ok=True)
    totals = {t.submission: t for t in batch.totals.totals}
    for result in results:
        total = totals[result.submission]  # the batch's: its late penalty said and taken off
        markdown = render_markdown(result, context.feedback, total)
        folder.write(folder.feedback(result.submission, ".md"), markdown)
        page = render_html(result, context.feedback, total)
        folder.write(folder.feedback(result.submission, ".html"), page)
