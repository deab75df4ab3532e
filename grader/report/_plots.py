"""The class report's plots, as SVG bytes written directly from the numbers.

Not matplotlib: importing it, laying a figure out and saving it cost about 1 CPU s per command,
the report's largest fixed cost, and the grader process now never imports it (student kernels
still do). An SVG is a few hundred lines of text: crisp at any zoom, and the same bytes on every
rebuild without pinning a style or stripping a PNG's metadata. Each plot has a ``<title>``; every
text in it is neutralised and XML-escaped; nothing is loaded (no script, link or font: a generic
font-family list). Names are placed by an estimate of their width, as no font is measured.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from grader.report._class_stats import CheckStats, QuestionStats
from grader.results._model import Status
from grader.results._neutralise import neutralise

#: One colour per status, the same in every plot (colour-blind-safe Okabe-Ito palette).
STATUS_COLOURS: dict[Status, str] = {
    "ok": "#009E73",
    "partial": "#56B4E9",
    "wrong": "#D55E00",
    "error": "#CC79A7",
    "missing": "#999999",
    "timeout": "#E69F00",
    "kernel_died": "#000000",
    "resource_limit": "#0072B2",
    "invalid_notebook": "#F0E442",
    "pending": "#FFFFFF",
    "not_submitted": "#DDDDDD",
}
WIDTH = 600
_FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
_CHAR = 7.5  # px: a wide character at 12 px (DejaVu Sans), to leave room for the names
_DARK = "#222222"  # axes and text, as the page's own text
_LONGEST = 36  # characters of a name shown on an axis; a longer one ends in an ellipsis


def totals_histogram(totals: Sequence[float], max_total: float) -> bytes:
    """How many submissions reached each total, from 0 to the maximum."""
    top = max(max_total, max(totals, default=0.0), 1.0)
    step = max(0.5, top / 20)  # bins centred on the totals (half points on a small sheet)
    counts = [0] * math.ceil(top / step + 0.5)
    for total in totals:
        counts[min(max(int((total + step / 2) // step), 0), len(counts) - 1)] += 1
    left, right, y0, y1 = 50.0, WIDTH - 10.0, 10.0, 232.0
    x_scale = (right - left) / (len(counts) * step)
    highest = max(max(counts), 1)
    y_scale = (y1 - y0) / (highest * 1.05)
    width = step * x_scale
    bars = [
        _rect(left + i * width, y1 - n * y_scale, width, n * y_scale, "#0072B2", "#FFFFFF")
        for i, n in enumerate(counts)
        if n
    ]
    axes = [_line(left, y0, left, y1), _line(left, y1, right, y1)]
    for tick in _ticks(top):
        axes += _x_tick(left + (tick + step / 2) * x_scale, y1, _num(tick))
    for tick in _ticks(highest):
        y = y1 - tick * y_scale
        axes += [_line(left - 4, y, left, y), _text(left - 7, y, _num(tick), anchor="end")]
    axes.append(_text((left + right) / 2, y1 + 32, f"total points (out of {max_total:g})"))
    axes.append(_text(14, (y0 + y1) / 2, "submissions", rotate=True))
    title = "Histogram of the submissions' total points"
    return _svg(280, title, bars=bars, axes=axes, legend=[])


def question_statuses(questions: Sequence[QuestionStats]) -> bytes:
    """Each question's submissions by status, stacked: how much is right, wrong, missing."""
    used = [s for s in STATUS_COLOURS if any(q.statuses.get(s) for q in questions)]
    legend, legend_height = _legend(used)
    row, top = 45.0, legend_height + 6
    left, right = _names_margin([q.question for q in questions]), WIDTH - 15.0
    y1 = top + row * max(len(questions), 1)
    most = max((sum(q.statuses.values()) for q in questions), default=0)
    scale = (right - left) / max(most, 1)
    bars: list[str] = []
    for i, question in enumerate(questions):
        x, y = left, top + i * row + 0.1 * row
        for status in used:
            n = question.statuses.get(status, 0)
            if n:
                colour = STATUS_COLOURS[status]
                bars.append(_rect(x, y, n * scale, 0.8 * row, colour, edge="#444444"))
                bars.append(_text(x + n * scale / 2, y + 0.4 * row, str(n), fill=_ink(colour)))
                x += n * scale
    axes = [*_names(left, top, row, [q.question for q in questions]), _line(left, y1, right, y1)]
    for tick in _ticks(max(most, 1)):
        axes += _x_tick(left + tick * scale, y1, _num(tick))
    axes.append(_text((left + right) / 2, y1 + 34, "submissions"))
    title = "Each question's submissions by status"
    return _svg(y1 + 45, title, bars=bars, axes=axes, legend=legend)


def check_pass_rates(checks: Sequence[CheckStats]) -> bytes:
    """Each check's pass rate (its difficulty in item analysis), as a share of the class."""
    names = [f"{c.question}: {c.function}" for c in checks]
    row, top = 35.0, 10.0
    left, right = _names_margin(names), WIDTH - 15.0
    y1 = top + row * max(len(checks), 1)
    scale = (right - left) / 110
    bars: list[str] = []
    for i, check in enumerate(checks):
        rate, y = 100.0 * check.difficulty, top + i * row + 0.1 * row
        bars.append(_rect(left, y, rate * scale, 0.8 * row, "#009E73"))
        bars.append(_text(left + rate * scale + 3, y + 0.4 * row, f"{rate:.0f}%", anchor="start"))
    axes = [*_names(left, top, row, names), _line(left, y1, right, y1)]
    for tick in _ticks(100):
        axes += _x_tick(left + tick * scale, y1, _num(tick))
    axes.append(_text((left + right) / 2, y1 + 34, "passed (% of submissions)"))
    return _svg(y1 + 45, "Each check's pass rate", bars=bars, axes=axes, legend=[])


def _svg(height: float, title: str, bars: list[str], axes: list[str], legend: list[str]) -> bytes:
    """The document: its title first (what a screen reader says), then bars, axes and legend,
    each a group a test can find by its class."""
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{_num(height)}" '
        f'viewBox="0 0 {WIDTH} {_num(height)}" font-family="{_FONT}" font-size="12" '
        'role="img">',
        f"<title>{_escaped(title)}</title>",
        '<g class="bars">',
        *bars,
        f'</g>\n<g class="axes" stroke="{_DARK}">',
        *axes,
        '</g>\n<g class="legend">',
        *legend,
        "</g>\n</svg>\n",
    ]
    return "\n".join(lines).encode("utf-8")


def _ticks(top: float, most: int = 8) -> list[int]:
    """Whole numbers from 0 to ``top``, 1, 2 or 5 times a power of ten apart: at most ``most``
    steps (matplotlib's integer locator, as the PNGs had)."""
    steps = (m * 10**e for e in itertools.count() for m in (1, 2, 5))
    step = next(s for s in steps if top / s <= most)
    return list(range(0, int(top) + 1, step))


def _legend(used: Sequence[Status]) -> tuple[list[str], float]:
    """A swatch and the name of each status used, centred above the plot, five to a line."""
    parts: list[str] = []
    lines = [list(used[i : i + 5]) for i in range(0, len(used), 5)]
    for number, line in enumerate(lines):
        widths = [26 + _CHAR * len(status) for status in line]
        x, y = (WIDTH - sum(widths)) / 2, 8 + 20 * number
        for status, width in zip(line, widths):
            parts.append(_rect(x, y, 14, 10, STATUS_COLOURS[status], edge="#444444"))
            parts.append(_text(x + 18, y + 5, status, anchor="start"))
            x += width
    return parts, 8 + 20 * len(lines)


def _names_margin(names: Sequence[str]) -> float:
    """Room at the left for the longest name, as shown."""
    return 16 + _CHAR * max((len(_shown(n)) for n in names), default=1)


def _names(left: float, top: float, row: float, names: Sequence[str]) -> list[str]:
    """Each row's name at the left of the axis, and the axis line."""
    parts = [_line(left, top, left, top + row * max(len(names), 1))]
    for i, name in enumerate(names):
        y = top + (i + 0.5) * row
        parts += [_line(left - 4, y, left, y), _text(left - 7, y, _shown(name), anchor="end")]
    return parts


def _shown(name: str) -> str:
    return name if len(name) <= _LONGEST else name[: _LONGEST - 1] + "\u2026"


def _x_tick(x: float, y: float, label: str) -> list[str]:
    return [_line(x, y, x, y + 4), _text(x, y + 15, label)]


def _line(x0: float, y0: float, x1: float, y1: float) -> str:
    return f'<line x1="{_num(x0)}" y1="{_num(y0)}" x2="{_num(x1)}" y2="{_num(y1)}"/>'


def _rect(x: float, y: float, w: float, h: float, fill: str, edge: str = "none") -> str:
    """A bar or a swatch: a thin dark edge keeps a white (pending) bar visible."""
    return (
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" fill="{fill}" '
        f'stroke="{edge}" stroke-width="{1 if edge == "#FFFFFF" else 0.5}"/>'
    )


def _text(
    x: float, y: float, text: str, anchor: str = "middle", fill: str = _DARK, rotate: bool = False
) -> str:
    """``text`` centred vertically on ``y`` (rotated a quarter turn about its point if
    ``rotate``); neutralised and XML-escaped, whatever it came from."""
    turn = f' transform="rotate(-90 {_num(x)} {_num(y)})"' if rotate else ""
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" dy="0.35em" text-anchor="{anchor}" fill="{fill}" '
        f'stroke="none"{turn}>{_escaped(text)}</text>'
    )


def _escaped(text: str) -> str:
    return escape(neutralise(text), {'"': "&quot;"})


def _ink(fill: str) -> str:
    """Dark text on a light bar, white on a dark one (the black of ``kernel_died``)."""
    red, green, blue = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return _DARK if 0.299 * red + 0.587 * green + 0.114 * blue > 60 else "#FFFFFF"


def _num(value: float) -> str:
    """A coordinate to two decimals, without trailing zeros: the same text on every machine."""
    return f"{round(value, 2) + 0.0:.2f}".rstrip("0").rstrip(".")
