"""The class report's plots, as PNG bytes that are the same on every rebuild.

Drawn with matplotlib's object API on an Agg canvas (no pyplot: no global figure state, no GUI
backend, safe beside other threads). PNG metadata would otherwise carry matplotlib's version
string; it is dropped, and the style is pinned here rather than read from a user's matplotlibrc,
so ``grader report`` rebuilds byte-identical pages on the machine that wrote them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from grader.report._class_stats import CheckStats, QuestionStats
from grader.results._model import Status

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
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": 100,
    "svg.hashsalt": "grader",
}


def totals_histogram(totals: Sequence[float], max_total: float) -> bytes:
    """How many submissions reached each total, from 0 to the maximum."""
    import numpy as np

    with _style():
        fig, ax = _figure(6.0, 2.8)
        top = max(max_total, max(totals, default=0.0), 1.0)
        step = max(0.5, top / 20)  # bins centred on the totals (half points on a small sheet)
        edges = np.arange(-step / 2, top + step, step)
        ax.hist(list(totals), bins=edges, color="#0072B2", edgecolor="white")
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xlabel(f"total points (out of {max_total:g})")
        ax.set_ylabel("submissions")
        ax.yaxis.get_major_locator().set_params(integer=True)
        return _png(fig)


def question_statuses(questions: Sequence[QuestionStats]) -> bytes:
    """Each question's submissions by status, stacked: how much is right, wrong, missing."""
    with _style():
        fig, ax = _figure(6.0, 0.5 + 0.45 * max(len(questions), 1))
        names = [q.question for q in questions]
        left = [0] * len(questions)
        used = [s for s in STATUS_COLOURS if any(q.statuses.get(s) for q in questions)]
        for status in used:
            counts = [q.statuses.get(status, 0) for q in questions]
            ax.barh(names, counts, left=left, color=STATUS_COLOURS[status], label=status)
            ax.bar_label(
                ax.containers[-1], labels=[str(c) if c else "" for c in counts], label_type="center"
            )
            left = [a + b for a, b in zip(left, counts)]
        for container in ax.containers:
            for patch in container:
                patch.set_edgecolor("#444444")
                patch.set_linewidth(0.5)
        ax.invert_yaxis()
        ax.set_xlabel("submissions")
        if used:
            ax.legend(ncols=min(len(used), 5), loc="lower center", bbox_to_anchor=(0.5, 1.0))
        return _png(fig)


def check_pass_rates(checks: Sequence[CheckStats]) -> bytes:
    """Each check's pass rate (its difficulty in item analysis), as a share of the class."""
    with _style():
        fig, ax = _figure(6.0, 0.5 + 0.35 * max(len(checks), 1))
        names = [f"{c.question}: {c.function}" for c in checks]
        rates = [100.0 * c.difficulty for c in checks]
        ax.barh(names, rates, color="#009E73")
        ax.bar_label(ax.containers[-1], labels=[f"{r:.0f}%" for r in rates], padding=2)
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xlabel("passed (% of submissions)")
        return _png(fig)


def _style():  # type: ignore[no-untyped-def]
    import matplotlib

    return matplotlib.rc_context(_STYLE)


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
