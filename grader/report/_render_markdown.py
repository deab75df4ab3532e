"""A submission's feedback letter in Markdown: what a teaching assistant would write back.

Each question's points, each failing check's input and what came back (the misconception, if
the answers match one), and what happened to the notebook. Everything from the notebook is in
a code span (no Markdown or HTML inside one acts) and other free text is backslash-escaped, so
a ``<script>`` or an image link in a student's output stays text. Never a hidden expected value
unless the spec shows it.
"""

from __future__ import annotations

import re

from grader.report._event_text import event_text, letter_events
from grader.report._late_text import late_text
from grader.report._render_text import check_line, points_text, question_text, total_text
from grader.report._style import Style
from grader.report._variant_text import variant_line
from grader.results._context import NO_OPTIONS, FeedbackOptions
from grader.results._model import QuestionResult, SubmissionResult
from grader.results._neutralise import neutralise
from grader.results._scores import Total, total_of

_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~#!])")


def code(text: str) -> str:
    """``text`` as a code span, fenced by more backticks than it holds in a row."""
    text = neutralise(text)
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape(text: str) -> str:
    """Free text with every character Markdown could act on escaped."""
    return _SPECIAL.sub(r"\\\1", neutralise(text))


MARKDOWN = Style(value=code, words=escape)


def render_markdown(
    result: SubmissionResult, options: FeedbackOptions = NO_OPTIONS, total: Total | None = None
) -> str:
    """The letter; ``total`` is the batch's (with its late penalty), else the result's own."""
    total = total if total is not None else total_of(result)
    lines = [f"# Feedback for {escape(result.submission)}", "", f"**{total_text(total)}**", ""]
    late = late_text(total)
    if late:
        lines += [escape(late), ""]
    numbers = variant_line(result)
    if numbers:
        lines += [escape(numbers), ""]
    for question in result.questions:
        lines += _question(result, question, options)
    problems = letter_events(result)
    if problems:
        lines += ["## Your notebook", ""]
        lines += [f"- {event_text(e, MARKDOWN)}" for e in problems]
        lines.append("")
    return "\n".join(lines)


def _question(
    result: SubmissionResult,
    question: QuestionResult,
    options: FeedbackOptions,
) -> list[str]:
    head = f"## Question {escape(question.question)}: {points_text(question)} ({question.status})"
    noted = [c for c in question.checks if not c.passed or c.reason is not None]
    if question.manual or not noted or question.comment:  # marked, or overridden, by hand
        return [
            head,
            "",
            question_text(result, question, options, MARKDOWN),
            "",
        ]
    lines = [head, ""]
    for check in question.checks:
        lines.append("- " + check_line(check, options, MARKDOWN))
    return [*lines, ""]
