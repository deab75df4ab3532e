"""``OUT/feedback/<submission>.md`` and ``.html``: each student's letter, from the results.

A name too long for the file system is shortened and given a hash (``_files.output_name``); the
class report links each letter through the same function."""

from __future__ import annotations

from grader.report._render_html import render_html
from grader.report._render_markdown import render_markdown
from grader.results._context import OutputContext
from grader.results._folder import OutputFolder
from grader.results._model import SubmissionResult


def write_feedback(
    folder: OutputFolder, results: list[SubmissionResult], context: OutputContext
) -> None:
    folder.feedback_dir.mkdir(parents=True, exist_ok=True)
    show_expected = context.assignment.show_expected
    for result in results:
        markdown = render_markdown(result, context.descriptions, show_expected)
        folder.write(folder.feedback(result.submission, ".md"), markdown)
        page = render_html(result, context.descriptions, show_expected)
        folder.write(folder.feedback(result.submission, ".html"), page)
