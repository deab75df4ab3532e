"""What the store keeps for similarity: each notebook's code and markdown cells as graded, and
the assignment's student notebook they answered (the template, which is never evidence).

Read in the coordinating process from the executed notebook the worker kept (its outputs are
capped, so 30 MB of stale output in a submission costs nothing here), or, where none was written
in this batch, from the submission with the bounded reader grading uses. A notebook that cannot
be read keeps no cells.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from grader.grading._intake import MAX_NOTEBOOK_BYTES, NotGradable, open_regular
from grader.grading._reading import read_submission

Cells = list[dict[str, str]]


def notebook_cells(path: Path) -> Cells:
    """``{"type": "code" | "markdown", "source": ...}`` for each such cell, in notebook order."""
    nb = read_submission(path).nb
    if nb is None:
        return []
    return [
        {"type": cell.cell_type, "source": str(cell.source)}
        for cell in nb.cells
        if cell.cell_type in ("code", "markdown")
    ]


def graded_cells(submission: Path, executed: Path, since: float) -> Cells:
    """The cells as graded: from ``executed`` when the worker wrote it after ``since``."""
    try:
        fresh = executed.stat().st_mtime >= since
    except OSError:
        fresh = False
    if fresh:
        found = _written_cells(executed)
        if found is not None:
            return found
    return notebook_cells(executed if fresh else submission)


def _written_cells(path: Path) -> Cells | None:
    """The cells of an executed notebook the grader wrote in this batch, straight from its JSON:
    nbformat's validation (10 ms a notebook, in the one process that records every result)
    would check what nbformat wrote moments ago. None where the file is not shaped as written,
    and it is read with care (``notebook_cells``)."""
    try:
        with open_regular(path, MAX_NOTEBOOK_BYTES) as (handle, _):
            raw = json.loads(handle.read(MAX_NOTEBOOK_BYTES + 1))
    except (NotGradable, OSError, ValueError, RecursionError):
        return None
    cells = raw.get("cells") if isinstance(raw, dict) and raw.get("nbformat") == 4 else None
    if not isinstance(cells, list):
        return None
    found = []
    for cell in cells:
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in ("code", "markdown"):
            continue
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            return None
        found.append({"type": kind, "source": source})
    return found


def template_cells(student_notebook: Path) -> tuple[str, Cells]:
    """The student notebook's hash and cells, the base every submission's cells start from."""
    try:
        digest = hashlib.sha256(student_notebook.read_bytes()).hexdigest()
    except OSError:
        return "", []
    return digest, notebook_cells(student_notebook)
