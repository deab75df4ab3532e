"""``selfcheck()`` inside Jupyter: the public checks of the saved notebook, as a table in the cell.

It grades the saved file exactly as ``grader check`` does (the same plan, kernel, comparisons and
feedback), because that file is what the official grade reruns from the top: never the live
kernel's state. What the live kernel knows is used only to warn that the two differ: cells run
since the last save, cells edited after they ran, cells run out of order.
"""

from __future__ import annotations

import html
import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from grader.errors import NotInBundleError
from grader.grading._selfcheck import Checked, run_check
from grader.kernel._limits import Limits
from grader.report._ci import check_feedback, summary_line
from grader.report._render_text import result_notes
from grader.results._model import OK
from grader.results._neutralise import neutralise

#: Where a kernel learns its notebook: ipykernel sets ``__session__`` from the server's
#: ``JPY_SESSION_NAME``; VS Code sets ``__vsc_ipynb_file__``.
_SESSION_NAMES = ("__session__", "__vsc_ipynb_file__")
ASK_FOR_PATH = (
    "Cannot tell which notebook this kernel runs: save it, then call "
    'selfcheck(notebook="your_notebook.ipynb") with its file name.'
)
NOT_IN_BUNDLE = (
    "{name} is not in a student bundle (no spec.toml in its folder or the folders above it): "
    "selfcheck() checks a notebook inside the folder your course gave you; move it there."
)


@dataclass(frozen=True)
class SelfCheck:
    """What a cell shows: a table of the public checks and warnings, or one sentence."""

    rows: tuple[tuple[str, str, str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    summary: str = ""
    message: str = ""
    checked: Checked | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(r[2] == "pass" for r in self.rows)

    def __repr__(self) -> str:
        if self.message:
            return self.message
        lines = [f"{q}  {fn}  {res}" + (f"  {fb}" if fb else "") for q, fn, res, fb in self.rows]
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join([*lines, self.summary])

    def _repr_html_(self) -> str:
        if self.message:
            return f"<p>{html.escape(self.message)}</p>"
        head = "".join(f"<th>{h}</th>" for h in ("question", "check", "result", "feedback"))
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in row) + "</tr>"
            for row in self.rows
        )
        warnings = "".join(f"<p><b>Warning:</b> {html.escape(w)}</p>" for w in self.warnings)
        summary = f"<p><b>{html.escape(self.summary)}</b></p>"
        return f"<table><tr>{head}</tr>{body}</table>{warnings}{summary}"


def selfcheck(question: str | None = None, notebook: str | Path | None = None) -> SelfCheck:
    """Check the saved notebook (or one ``question`` of it) against the public checks."""
    shell = _shell()
    path = Path(notebook) if notebook is not None else _session_notebook(shell)
    if path is None:
        return SelfCheck(message=ASK_FOR_PATH)
    if not path.is_file():
        return SelfCheck(message=f"No notebook {path}: save it, or pass its file name.")
    try:
        checked = run_check(path, None, Limits())
    except NotInBundleError:
        return SelfCheck(message=NOT_IN_BUNDLE.format(name=path.name))
    questions = [q.question for q in checked.result.questions]
    if question is not None and question not in questions:
        known = ", ".join(questions)
        return SelfCheck(message=f"No question {question!r} in this sheet; it has {known}.")
    rows = tuple(
        (
            q.question,
            c.function,
            "pass" if c.status == OK else c.status,
            check_feedback(c, checked.feedback),
        )
        for q in checked.result.questions
        if question in (None, q.question)
        for c in q.checks or ()
    )
    if checked.invalid:  # nothing to compare the kernel's history with
        return SelfCheck(
            message=neutralise(f"{path.name} cannot be graded: {result_notes(checked.result)}")
        )
    warnings = tuple(differences(path, shell)) if shell is not None else ()
    return SelfCheck(rows, warnings, summary_line(checked.result, checked.public), "", checked)


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _session_notebook(shell: Any) -> Path | None:
    """The notebook the Jupyter session says this kernel runs, where it says so."""
    names = getattr(shell, "user_ns", {}) if shell is not None else {}
    candidates = [names.get(n) for n in _SESSION_NAMES] + [os.environ.get("JPY_SESSION_NAME")]
    for value in candidates:
        if not value:
            continue
        path = Path(str(value))
        for option in (path, Path.cwd() / path.name):  # a path from the server's root
            if option.suffix == ".ipynb" and option.is_file():
                return option
    return None


def differences(path: Path, shell: Any) -> Iterable[str]:
    """Why the saved file may not be what this kernel ran: the official grade sees the file."""
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    history = list(shell.user_ns.get("In", []))
    current = len(history) - 1  # this call's own cell
    saved = {c.get("execution_count"): c.source for c in cells if c.get("execution_count")}
    edited = [
        n
        for n, source in saved.items()
        if 0 < n < current and _transformed(shell, source) != history[n].strip()
    ]
    later = [n for n in range(max(saved, default=0) + 1, current) if history[n].strip()]
    if edited or later:
        yield (
            "this notebook has changes that are not saved (cells ran or changed since the last "
            "save): save it (Ctrl-S), then check again; the grade uses the saved file"
        )
    order = [c.get("execution_count") for c in cells if c.get("execution_count")]
    if any(a > b for a, b in itertools.pairwise(order)):
        yield (
            "cells ran out of order (execution counts "
            f"{', '.join(map(str, order))} top to bottom): the grade reruns the saved file from "
            "the top, so restart the kernel and run all cells to see what it sees"
        )


def _transformed(shell: Any, source: str) -> str:
    """A cell's source as IPython keeps it in ``In`` (magics rewritten)."""
    try:
        return str(shell.transform_cell(source)).strip()
    except Exception:
        return source.strip()
