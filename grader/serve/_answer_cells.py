"""The code that goes with a written answer, and its outputs, from the notebook as graded.

A question marked by hand is answered in a markdown cell (its text is in the store); a student
often adds code beside it (a plot, a table, a computation). The answer view shows, besides the
text, the cells that go with it in ``OUT/executed/<submission>.ipynb`` (the notebook as the
grader ran it, outputs capped): the code cells the source tags ``question:ID`` for the
question, and every cell the student added right after the answer cell or one of those (a cell
whose id the source does not have), up to the next cell of the sheet. Each comes with its
outputs as the grader's run left them, for ``grader.serve._output_view`` to render inert.

The files are read as JSON with a size cap and checked field by field: an executed notebook
holds whatever the student's code printed or displayed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: An executed notebook larger than this is not read (the grader caps outputs far below it).
MAX_NOTEBOOK_BYTES = 64 * 2**20
QUESTION_TAG = "question:"
SOURCE_NOTEBOOK = "source.ipynb"


@dataclass(frozen=True)
class ExtraCell:
    """A cell shown with an answer: its kind, its source, its outputs (raw, unchecked)."""

    kind: str
    source: str
    outputs: tuple[Any, ...]


@dataclass(frozen=True)
class SheetCells:
    """What the source says of its cells: every id, and per manual question the ids of its
    answer cells and of its code cells."""

    ids: frozenset[str]
    anchors: dict[str, frozenset[str]]
    code: dict[str, frozenset[str]]


def sheet_cells(assignment: Path, manual: set[str]) -> SheetCells:
    """The source notebook's cells (none known where the assignment has no source: a bundle)."""
    try:
        cells = json.loads((assignment / SOURCE_NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return SheetCells(frozenset(), {}, {})
    ids: set[str] = set()
    anchors: dict[str, set[str]] = {}
    code: dict[str, set[str]] = {}
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or not isinstance(cell.get("id"), str):
            continue
        ids.add(cell["id"])
        tags = (cell.get("metadata") or {}).get("tags") or []
        for tag in (t for t in tags if isinstance(t, str) and t.startswith(QUESTION_TAG)):
            qid = tag[len(QUESTION_TAG) :]
            if qid not in manual:
                continue
            if "manual" in tags:
                anchors.setdefault(qid, set()).add(cell["id"])
            elif cell.get("cell_type") == "code":
                code.setdefault(qid, set()).add(cell["id"])
    return SheetCells(
        frozenset(ids),
        {q: frozenset(v) for q, v in anchors.items()},
        {q: frozenset(v) for q, v in code.items()},
    )


def extra_cells(sheet: SheetCells, executed: Path, qid: str) -> list[ExtraCell] | None:
    """The cells that go with ``qid``'s answer in ``executed``, in notebook order; None where
    no executed notebook was kept (or it cannot be read)."""
    cells = _read_cells(executed)
    if cells is None:
        return None
    anchors = sheet.anchors.get(qid, frozenset())
    code = sheet.code.get(qid, frozenset())
    shown: list[ExtraCell] = []
    following = False
    for cell in cells:
        cell_id = cell.get("id")
        ours = isinstance(cell_id, str) and cell_id in code
        if ours or (following and isinstance(cell_id, str) and cell_id not in sheet.ids):
            shown.append(_extra(cell))
        if isinstance(cell_id, str) and cell_id in sheet.ids:
            following = cell_id in anchors or ours
    return [c for c in shown if c.kind in ("code", "markdown")]


def _read_cells(path: Path) -> list[dict[str, Any]] | None:
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        cells = json.loads(path.read_text(encoding="utf-8", errors="replace"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(cells, list):
        return None
    return [c for c in cells if isinstance(c, dict)]


def _extra(cell: dict[str, Any]) -> ExtraCell:
    kind = cell.get("cell_type")
    outputs = cell.get("outputs") if kind == "code" else None
    return ExtraCell(
        kind if isinstance(kind, str) else "",
        text_of(cell.get("source")),
        tuple(outputs) if isinstance(outputs, list) else (),
    )


def text_of(value: Any) -> str:
    """A notebook's multi-line string (a string, or a list of strings); anything else: ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""
