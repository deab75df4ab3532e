"""``OUT/report.html``: how the class did, on one page that needs nothing but a browser.

The page loads nothing from anywhere: plots are SVG data URIs, style and script are inline, and a
Content-Security-Policy forbids every other load, so it opens from a USB stick and a student's
text cannot make it fetch anything. It is rendered by a Jinja2 template with autoescaping on:
submission names, function names and every reason's text are escaped, never pasted in as HTML.
Built only from stored results, so ``grader report`` rebuilds it byte-identically.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from grader._files import output_name
from grader.report import _plots
from grader.report._class_stats import ClassStats, FailureGroup, class_stats
from grader.report._late_text import class_late_text, late_text
from grader.report._render_text import class_total_text, number
from grader.report._similar import HTML as SIMILARITY_HTML
from grader.report._similar import Similar, read_similar
from grader.report._tables import GradedBatch
from grader.report._wording import reason_phrase
from grader.results._folder import OutputFolder
from grader.results._model import SubmissionResult
from grader.results._neutralise import neutralise
from grader.results._scores import ClassTotals, class_totals


@dataclass(frozen=True)
class _Group:
    question: str
    #: A misconception of the sheet's catalogue (its words), rather than a reason's phrase.
    misconception: bool
    text: str
    functions: tuple[str, ...]
    count: int
    submissions: tuple[str, ...]


@dataclass(frozen=True)
class _Row:
    name: str
    total: float
    max_total: float
    pending: bool
    #: What its lateness was and cost ("" where there is nothing to say).
    late: str = ""


def write_report(folder: OutputFolder, batch: GradedBatch) -> None:
    """Write ``OUT/report.html`` for these results (a writer of ``_outputs.WRITERS``), with what
    ``grader similarity`` last flagged in ``folder``."""
    results, context = batch.results, batch.context
    title = context.assignment.title or context.assignment.name
    similar = read_similar(folder)
    html = render_report(
        results, title, context.descriptions, context.versions, similar, batch.totals
    )
    folder.write(folder.report_html, html)


def render_report(
    results: Sequence[SubmissionResult],
    title: str,
    misconceptions: Mapping[str, str],
    versions: Mapping[str, str],
    similar: Similar | None = None,
    totals: ClassTotals | None = None,
) -> str:
    """The page as text: the same results give the same bytes. Its totals are ``totals`` (the
    batch's, which every other output reads too), else those of ``results``."""
    totals = totals if totals is not None else class_totals(results)
    stats = class_stats(results, misconceptions, totals)
    late = class_late_text(totals)
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=neutralise(title),
        stats=stats,
        summary=class_total_text(totals) + (f" {late}" if late else ""),
        late_column=totals.any_late,
        plots=_plots_base64(stats),
        groups=[_group(g) for g in stats.failures],
        submissions=_rows(totals),
        similar=similar,
        similarity_href=SIMILARITY_HTML,
        colours=_plots.STATUS_COLOURS,
        version=versions.get("grader_version", ""),
        num=number,
        pct=lambda rate: f"{100 * rate:.0f}%",
        feedback_href=lambda name: "feedback/" + quote(output_name(name, ".html")),
    )


def failure_text(group: FailureGroup) -> str:
    """What the group's students did, after the functions' names: the misconception in the
    catalogue's words (what to reteach: the catalogue has no advice field of its own), else the
    reason code's phrase."""
    if group.misconception in group.keys:  # a key the catalogue has no words for
        return neutralise(group.misconception.replace("_", " "))
    if group.misconception is not None:
        return neutralise(group.misconception)
    return reason_phrase(group.reason)


def _group(group: FailureGroup) -> _Group:
    return _Group(
        question=neutralise(group.question),
        misconception=group.misconception is not None,
        text=failure_text(group),
        functions=tuple(neutralise(f) for f in group.functions),
        count=group.count,
        submissions=tuple(neutralise(n) for n in group.submissions),
    )


def _rows(totals: ClassTotals) -> list[_Row]:
    return [
        _Row(
            neutralise(t.submission), t.points, t.max_points, not t.final, neutralise(late_text(t))
        )
        for t in sorted(totals.totals, key=lambda t: t.submission)
    ]


def _plots_base64(stats: ClassStats) -> dict[str, str]:
    """The three SVG plots for ``<img src="data:image/svg+xml;base64,...">``: an image, not
    inline markup, so nothing drawn from the data becomes part of the page (and no script in
    it could run)."""
    images = {
        "totals": _plots.totals_histogram(stats.totals, stats.max_total),
        "questions": _plots.question_statuses(stats.questions),
        "checks": _plots.check_pass_rates(stats.checks),
    }
    return {name: base64.b64encode(svg).decode("ascii") for name, svg in images.items()}


def _environment() -> Any:
    """Jinja2 with autoescaping on for every template: text reaches the page escaped."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
