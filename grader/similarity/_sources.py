"""Where the notebooks compared come from besides the class: the reference solution (no
evidence, like the template) and plain ``.ipynb`` files of earlier years.

Similarity may not import ``grader.assignment``, so the solution is found the way a person
would: the store's info names the assignment folder, its ``spec.toml`` names the solution
notebook. A folder that has moved away is said once, and the comparison goes on without it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grader.similarity._documents import Cells

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: A notebook larger than this is not read (its outputs, not its code, make it large).
MAX_BYTES = 50_000_000


def cells_of_json(raw: bytes | str) -> Cells:
    """``{"type", "source"}`` of each code and markdown cell; [] for what is not a notebook."""
    try:
        nb = json.loads(raw)
        cells = nb["cells"]
        return [
            {"type": cell["cell_type"], "source": _text(cell.get("source", ""))}
            for cell in cells
            if isinstance(cell, dict) and cell.get("cell_type") in ("code", "markdown")
        ]
    except (ValueError, KeyError, TypeError):
        return []


def notebook_cells(path: Path) -> Cells:
    try:
        if path.stat().st_size > MAX_BYTES:
            return []
        return cells_of_json(path.read_bytes())
    except OSError:
        return []


def solution_cells(info: dict[str, str]) -> tuple[Cells, str]:
    """The reference solution's cells from the assignment folder the store records, and a
    note when it cannot be read (then it is simply not left out)."""
    folder = info.get("assignment_folder")
    if not folder:
        return [], "the store names no assignment folder: the reference solution is not left out"
    spec = Path(folder) / "spec.toml"
    try:
        name = tomllib.loads(spec.read_text(encoding="utf-8")).get("solution_notebook")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return [], f"{spec} cannot be read: the reference solution is not left out"
    if not name:
        return [], f"{spec} names no solution_notebook: the reference solution is not left out"
    path = Path(folder) / name
    cells = notebook_cells(path)
    if not cells:
        return [], f"{path} cannot be read: the reference solution is not left out"
    return cells, ""


def _text(source: object) -> str:
    return "".join(source) if isinstance(source, list) else str(source)
