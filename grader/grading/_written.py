"""The answers a student wrote in the markdown cells graded by hand, read from the notebook.

The student copy keeps the source's cell ids but not its tags, so an answer cell is found by
the id the source gives it (``grader assign`` copies ids unchanged). The text is kept as the
student wrote it, up to a cap: the instructor reads it in the manual-grading template.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from grader.assignment._source import source_path, split_source
from grader.assignment._spec import Assignment
from grader.errors import GraderError
from grader.results._model import ANSWER_KEY

#: Characters of one answer kept; a longer one is cut, saying how much was left out.
MAX_ANSWER_CHARS = 20_000


def written_answers(assignment: Assignment, nb: Any) -> dict[str, str]:
    """``{"answer:ID": text}`` for each manual question whose answer cell the notebook has."""
    cells = _answer_cells(assignment.folder)
    if not cells:
        return {}
    by_id = {c.get("id"): c for c in nb.get("cells", []) if c.get("cell_type") == "markdown"}
    answers: dict[str, list[str]] = {}
    for question, cell_id in cells:
        cell = by_id.get(cell_id)
        if cell is not None and isinstance(cell.get("source"), str):
            answers.setdefault(question, []).append(cell["source"])
    return {ANSWER_KEY + q: _capped("\n\n".join(texts)) for q, texts in answers.items()}


@functools.lru_cache(maxsize=4)
def _answer_cells(folder: Path) -> tuple[tuple[str, str], ...]:
    """(question, cell id) of the source's answer cells; none without a source (a bundle)."""
    if not source_path(folder).is_file():
        return ()
    try:
        return split_source(folder).answer_cells
    except GraderError:
        return ()


def _capped(text: str) -> str:
    if len(text) <= MAX_ANSWER_CHARS:
        return text
    left = len(text) - MAX_ANSWER_CHARS
    return f"{text[:MAX_ANSWER_CHARS]} [... {left} more characters cut]"
