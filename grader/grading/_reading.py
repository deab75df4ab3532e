"""Reading a submitted file as a notebook: bounded, repaired where Jupyter would cope, or refused
with one sentence that says where the problem is.

Only a regular file is read, and it is measured before it is parsed (a valid notebook of 300,000
empty cells cost 25 s and 1 GB to parse and validate in full); its cells are counted again while
it is parsed and after, the same way for every nbformat version (190,000 cells with escaped keys
in one version 3 worksheet once got past both counts). What the grader never uses (outputs,
execution counts, metadata, cell ids) is repaired rather than refused, and each repair is said in
the notes: a notebook Jupyter opens and runs deserves its marks. nbformat's warnings are captured
here, so none reaches stderr in the middle of a batch; they become notes too.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import validator
from nbformat.warnings import DuplicateCellId, MissingIDFieldWarning

from grader.grading._intake import (
    MAX_NOTEBOOK_BYTES,
    NotGradable,
    open_regular,
    too_big,
    unreadable,
)

#: Most cells a notebook may have; counted in the raw file, while it is parsed, and after.
MAX_CELLS = 2000
#: Most JSON items (objects, arrays, elements, keys) a notebook may hold, counted in the raw file
#: by its ``{ [ , :``: 32 MiB of ``{},`` would parse into 11 million dicts (700 MB). A notebook
#: of the sheet holds about 750; a million parse into at most about 70 MB.
MAX_JSON_ITEMS = 1_000_000

#: The keys each type of cell may have (nbformat 4.5).
_CELL_KEYS = {
    "code": {"cell_type", "id", "metadata", "source", "outputs", "execution_count"},
    "markdown": {"cell_type", "id", "metadata", "source", "attachments"},
    "raw": {"cell_type", "id", "metadata", "source", "attachments"},
}
_NOT_A_NOTEBOOK = "This file holds JSON, but not a Jupyter notebook"
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


@dataclass(frozen=True)
class Submission:
    """A notebook ready to run, or ``None`` and why not. ``repairs`` go into the notes."""

    nb: nbformat.NotebookNode | None
    problem: str = ""
    repairs: tuple[str, ...] = ()
    #: The problem as data, for the row's event: what the file is, or its size and the cap.
    params: dict[str, Any] = field(default_factory=dict)


def read_submission(
    path: Path, max_bytes: int = MAX_NOTEBOOK_BYTES, max_cells: int = MAX_CELLS
) -> Submission:
    """The notebook in ``path``; nothing the file holds raises here. Only a regular file is
    read, measured before a byte of it is (``_intake.open_regular``)."""
    try:
        with open_regular(path, max_bytes) as (handle, _):
            data = handle.read(max_bytes + 1)
    except NotGradable as exc:
        return Submission(None, exc.problem, params=exc.params)
    except OSError as exc:
        return Submission(None, unreadable(exc))
    if len(data) > max_bytes:  # it grew after it was measured
        problem, params = too_big(len(data), max_bytes)
        return Submission(None, problem, params=params)
    problem = _too_many(data.count(b'"cell_type"'), max_cells, _json_items(data))
    if problem:
        return Submission(None, problem)
    blob = [data]
    del data  # _load frees the bytes once decoded: a big file is never held three times over
    with _captured() as caught:
        submission = _parse(blob, max_cells)
    if submission.nb is None:
        return submission
    repairs = (*submission.repairs, *_warning_notes(caught))
    if not any(cell.cell_type == "code" for cell in submission.nb.cells):
        return Submission(
            None, "This notebook has no code cells, so it defines none of the functions asked for."
        )
    return Submission(submission.nb, "", repairs)


def write_executed(nb: nbformat.NotebookNode, path: Path) -> bool:
    """Keep the executed notebook for appeals at ``path`` (``OutputFolder.executed``); False
    where it cannot be written. A kernel can send text no UTF-8 file takes (a lone surrogate):
    it is written as the JSON escape it came as. Nothing of nbformat reaches stderr."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _captured(), path.open("w", encoding="utf-8", errors="backslashreplace") as handle:
            nbformat.write(nb, handle)
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return False
    return True


def _json_items(data: bytes) -> int:
    return sum(data.count(char) for char in (b"{", b"[", b",", b":"))


def _too_many(cells: int, max_cells: int, items: int = 0, more_than: bool = False) -> str:
    if cells > max_cells:
        counted = f"more than {max_cells}" if more_than else str(cells)
        return (
            f"This notebook has {counted} cells; the grader takes at most {max_cells}. "
            "Remove the empty or repeated cells and submit it again."
        )
    if items > MAX_JSON_ITEMS:
        return (
            f"This notebook holds {items} JSON items; the grader takes at most {MAX_JSON_ITEMS}. "
            "Clear the outputs (Kernel > Restart & Clear Output) and save."
        )
    return ""


class _TooManyCells(Exception):
    """The parse stopped: more objects that are cells than a notebook may have."""


def _cell_counter(max_cells: int) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """Builds each JSON object and counts those with a ``cell_type`` key, as json decoded it:
    escapes (``"\\u0063ell_type"``), which the raw count before the parse cannot see, are
    undone here. The parse stops at the first cell past ``max_cells``, whatever the version."""
    cells = 0

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal cells
        built = dict(pairs)
        if "cell_type" in built:
            cells += 1
            if cells > max_cells:
                raise _TooManyCells
        return built

    return build


def _load(blob: list[bytes], max_cells: int) -> tuple[Any, str]:
    """The file's JSON, or why there is none; the bytes are taken out of ``blob`` and dropped.

    The parse is bounded before it starts by the file's bytes and its JSON items (``{ [ , :``,
    which no escape can spell), and while it runs by its cells."""
    try:
        text = blob.pop().decode("utf-8")
    except UnicodeDecodeError:
        return None, "This file is not a notebook: it is not text (UTF-8)."
    try:
        return json.loads(text, object_pairs_hook=_cell_counter(max_cells)), ""
    except _TooManyCells:
        return None, _too_many(max_cells + 1, max_cells, more_than=True)
    except json.JSONDecodeError as exc:
        return None, _not_json(text, exc)
    except (ValueError, RecursionError):
        return None, f"{_NOT_A_NOTEBOOK}: it is nested too deeply."


def _parse(blob: list[bytes], max_cells: int) -> Submission:
    raw, problem = _load(blob, max_cells)
    if problem:
        return Submission(None, problem)
    if not isinstance(raw, dict):
        return Submission(None, f"{_NOT_A_NOTEBOOK}.")
    version = raw.get("nbformat")
    if type(version) is not int or version not in nbformat.versions:
        return Submission(None, f"{_NOT_A_NOTEBOOK}: its 'nbformat' version is {version!r}.")
    cells = raw.get("cells" if version == 4 else "worksheets")
    if not isinstance(cells, list):
        return Submission(None, f"{_NOT_A_NOTEBOOK}: its 'cells' are not a list.")
    count = _cell_count(raw)
    if count > max_cells:  # cells without a "cell_type" key: the parse did not count them
        return Submission(None, _too_many(count, max_cells))
    repairs = _repair(raw) if version == 4 else []
    try:
        minor = raw.get("nbformat_minor")
        nb = nbformat.versions[version].to_notebook_json(raw, minor=minor)
        nb = nbformat.convert(nb, 4)
    except Exception:  # nbformat's reader trips over JSON that is only shaped like a notebook
        return Submission(None, _unreadable(raw, version))
    repairs += _kernel_language(nb.metadata)
    try:
        before = _metadata_keys(nb)
        nb = nbformat.from_dict(validator.normalize(nb, strip_invalid_metadata=True)[1])
        repairs += _dropped_metadata(before, _metadata_keys(nb))
        problem = _first_problem(nb)
    except RecursionError:
        problem = "it is nested too deeply"
    except Exception:  # nbformat's repairs trip over shapes its schema would reject anyway
        problem = "nbformat cannot read its cells"
    if problem:
        return Submission(None, f"This file is not a valid Jupyter notebook: {problem}.")
    return Submission(nb, "", tuple(repairs))


def _cell_count(raw: dict[str, Any]) -> int:
    """The cells, counted the same way for every version: the notebook's list (versions 1 and
    4) and that of every worksheet (2 and 3)."""
    lists = [raw.get("cells")]
    worksheets = raw.get("worksheets")
    if isinstance(worksheets, list):
        lists += [sheet.get("cells") for sheet in worksheets if isinstance(sheet, dict)]
    return sum(len(cells) for cells in lists if isinstance(cells, list))


def _unreadable(raw: dict[str, Any], version: int) -> str:
    """Why nbformat could not read it, located by the schema where it can say."""
    try:
        problem = _first_problem(nbformat.from_dict(raw)) if version == 4 else ""
    except Exception:
        problem = ""
    if problem:
        return f"This file is not a valid Jupyter notebook: {problem}."
    return f"{_NOT_A_NOTEBOOK}: nbformat cannot read it as version {version}."


def _not_json(text: str, cause: json.JSONDecodeError) -> str:
    if not text.strip():
        return "This file is empty: it is not a notebook."
    if text.lstrip().startswith("{"):
        return (
            "This file is not a valid Jupyter notebook: its JSON is broken at line "
            f"{cause.lineno}, column {cause.colno} (was it saved completely?)."
        )
    return (
        "This file is not a Jupyter notebook: it is not JSON (a .py script or another file "
        "renamed to .ipynb?)."
    )


def _repair(raw: dict[str, Any]) -> list[str]:
    """Mend what the grader never uses, in the JSON before nbformat reads it (nbformat itself
    trips over a cell without metadata); return what was mended, one phrase each."""
    repairs = []
    if not isinstance(raw.get("metadata"), dict):
        raw["metadata"] = {}
        repairs.append("the notebook's metadata was not a mapping and was cleared")
    for index, cell in enumerate(raw["cells"]):
        if isinstance(cell, dict):
            repairs += _repair_cell(cell, index)
    return repairs


def _kernel_language(metadata: dict[str, Any]) -> list[str]:
    """A note when the notebook was written for another language: it still runs as Python."""
    names = []
    for key, inner in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(key)
        if isinstance(value, dict) and isinstance(value.get(inner), str):
            names.append(value[inner])
    other = [n for n in names if n.strip().lower() not in ("python", "python3", "ipython")]
    if not other:
        return []
    return [f"the notebook names a {other[0][:40]!r} kernel; it was graded as Python"]


def _repair_cell(cell: dict[str, Any], index: int) -> list[str]:
    where = f"cell {index + 1}"
    kind = cell.get("cell_type")
    repairs = []
    if not isinstance(kind, str) or kind not in _CELL_KEYS:
        repairs.append(f"{where} had the unknown type {str(kind)[:40]!r} and was kept as raw text")
        cell["cell_type"] = kind = "raw"
    if kind == "code":
        # Outputs and counts of an earlier run are never used (the notebook runs afresh): they
        # go before nbformat reads them, so a malformed or huge output costs nothing.
        cell["outputs"], cell["execution_count"] = [], None
    if not isinstance(cell.get("metadata"), dict):
        cell["metadata"] = {}
    if "id" in cell and not (isinstance(cell["id"], str) and _CELL_ID.fullmatch(cell["id"])):
        del cell["id"]  # nbformat gives it a new one
        repairs.append(f"{where} had an invalid id and was given a new one")
    if "source" not in cell:
        cell["source"] = ""
        repairs.append(f"{where} had no source and was taken as empty")
    elif kind != "code" and not _is_text(cell["source"]):
        cell["source"] = ""  # never run, so never graded: emptied rather than refused
        repairs.append(f"{where} ({kind}) had a source that is not text and was emptied")
    extra = sorted(str(key) for key in cell if key not in _CELL_KEYS[kind])
    for key in extra:
        del cell[key]
    if extra:
        keys = ", ".join(repr(key[:40]) for key in extra[:5])
        repairs.append(f"{where} ({kind}): stray {keys} dropped")
    return repairs


def _metadata_keys(nb: nbformat.NotebookNode) -> dict[str, set[str]]:
    """Where metadata is, its keys: the notebook's, then each cell's by number."""
    keys = {"the notebook": set(nb.metadata)}
    for index, cell in enumerate(nb.cells):
        if isinstance(cell, dict) and isinstance(cell.get("metadata"), dict):
            keys[f"cell {index + 1}"] = set(cell["metadata"])
    return keys


def _dropped_metadata(before: dict[str, set[str]], after: dict[str, set[str]]) -> list[str]:
    notes = []
    for where, keys in before.items():
        gone = sorted(keys - after.get(where, set()))
        if gone:
            notes.append(f"invalid metadata of {where} dropped ({', '.join(map(repr, gone))})")
    return notes


def _is_text(source: Any) -> bool:
    return isinstance(source, str) or (
        isinstance(source, list) and all(isinstance(line, str) for line in source)
    )


def _first_problem(nb: nbformat.NotebookNode) -> str:
    """The first schema error, saying where it is: which cell and key, or which metadata key."""
    errors = validator.iter_validate(nb)
    error = next(iter(errors), None)
    if error is None:
        return ""
    path = list(getattr(error, "absolute_path", []) or getattr(error, "path", []))
    message = str(getattr(error, "message", error)).splitlines()[0]
    shown = repr(getattr(error, "instance", None))
    if len(shown) > 40 and message.startswith(shown):  # not the notebook's text all over again
        message = f"this {type(error.instance).__name__}{message[len(shown) :]}"
    return f"{_where(path, nb)}: {message[:200]}"


def _where(path: list[Any], nb: nbformat.NotebookNode) -> str:
    if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        cell = nb.cells[path[1]]
        kind = cell.get("cell_type", "?") if isinstance(cell, dict) else "?"
        where = f"cell {path[1] + 1} ({kind})"
        return where + (f", key {path[2]!r}" if len(path) > 2 else "")
    if path and path[0] == "metadata":
        return f"metadata key {path[1]!r}" if len(path) > 1 else "the notebook's metadata"
    return f"key {path[0]!r}" if path else "the notebook as a whole"


@contextmanager
def _captured() -> Iterator[list[warnings.WarningMessage]]:
    """nbformat's warnings and log lines, kept from stderr (they name no notebook there)."""
    logger = logging.getLogger("nbformat")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield caught
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def _warning_notes(caught: list[warnings.WarningMessage]) -> list[str]:
    """One note per kind of warning, with a count: no random ids, so notes stay the same."""
    missing = sum(issubclass(w.category, MissingIDFieldWarning) for w in caught)
    duplicate = sum(issubclass(w.category, DuplicateCellId) for w in caught)
    notes = []
    if missing:
        notes.append(f"{missing} cell(s) had no id and were given one")
    if duplicate:
        notes.append(f"{duplicate} cell(s) had an id already used and were given a new one")
    others = {
        str(w.message).splitlines()[0][:200]
        for w in caught
        if not issubclass(w.category, MissingIDFieldWarning | DuplicateCellId)
        and w.category.__module__.startswith("nbformat")
    }
    return notes + sorted(others)
