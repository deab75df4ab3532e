"""A submission's feedback letter as one self-contained HTML page (no script, no external URL).

The same letter as the Markdown one. Every piece of text is HTML-escaped, the notebook's own in
``<code>``: a ``<script>`` or an ``<img src=http://...>`` in a student's output is shown as text
and never loads or runs.
"""

from __future__ import annotations

import html

from grader.report._event_text import event_text, letter_events
from grader.report._late_text import late_text
from grader.report._render_text import check_line, points_text, question_text, total_text
from grader.report._style import Style
from grader.report._variant_text import variant_line
from grader.results._context import NO_OPTIONS, FeedbackOptions
from grader.results._model import OK, QuestionResult, SubmissionResult
from grader.results._neutralise import neutralise
from grader.results._scores import Total, total_of


def escape(text: str) -> str:
    return html.escape(neutralise(text), quote=True)


def code(text: str) -> str:
    return f"<code>{escape(text)}</code>" if text else ""


HTML = Style(value=code, words=escape)

_CSS = (
    "body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.45}"
    "code{background:#f3f3f3;padding:0 .2em;word-break:break-all}"
    ".ok{color:#176117}.bad{color:#9b1c1c}li{margin:.3em 0}"
)


def render_html(
    result: SubmissionResult, options: FeedbackOptions = NO_OPTIONS, total: Total | None = None
) -> str:
    """The letter; ``total`` is the batch's (with its late penalty), else the result's own."""
    total = total if total is not None else total_of(result)
    name = escape(result.submission)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Feedback for {name}</title><style>{_CSS}</style></head><body>",
        f"<h1>Feedback for {name}</h1>",
        f"<p><strong>{escape(total_text(total))}</strong></p>",
    ]
    late = late_text(total)
    if late:
        parts.append(f"<p>{escape(late)}</p>")
    numbers = variant_line(result)
    if numbers:
        parts.append(f"<p>{escape(numbers)}</p>")
    for question in result.questions:
        parts += _question(result, question, options)
    problems = letter_events(result)
    if problems:
        parts.append("<h2>Your notebook</h2><ul>")
        parts += [f"<li>{event_text(e, HTML)}</li>" for e in problems]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _question(
    result: SubmissionResult,
    question: QuestionResult,
    options: FeedbackOptions,
) -> list[str]:
    kind = "ok" if question.status == OK else "bad"
    points = points_text(question)
    head = (
        f'<h2>Question {escape(question.question)}: {points} <span class="{kind}">'
        f"({escape(question.status)})</span></h2>"
    )
    noted = [c for c in question.checks if not c.passed or c.reason is not None]
    if question.manual or not noted or question.comment:  # marked, or overridden, by hand
        text = question_text(result, question, options, HTML)
        return [head, f"<p>{text}</p>"]
    items = [f"<li>{check_line(c, options, HTML)}</li>" for c in question.checks]
    return [head, "<ul>", *items, "</ul>"]
