"""``OUT/feedback/<submission>.md`` and ``.html``: each student's letter, from the results.

A name too long for the file system is shortened and given a hash (``_files.output_name``); the
class report links each letter through the same function."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grader._files import output_name, write_atomic
from grader.results._model import SubmissionResult
from grader.results._render_html import render_html
from grader.results._render_markdown import render_markdown

if TYPE_CHECKING:
    from grader.results._outputs import OutputContext

FEEDBACK_FOLDER = "feedback"


def write_feedback(out: Path, results: list[SubmissionResult], context: OutputContext) -> None:
    folder = out / FEEDBACK_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    show_expected = context.assignment.show_expected
    for result in results:
        markdown = render_markdown(result, context.descriptions, show_expected)
        write_atomic(folder / output_name(result.submission, ".md"), markdown)
        page = render_html(result, context.descriptions, show_expected)
        write_atomic(folder / output_name(result.submission, ".html"), page)
