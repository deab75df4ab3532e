"""The fingerprints of an archive of earlier notebooks in one ``.npz`` file, so that a large
archive is fingerprinted once: each notebook is kept under its locator with a stamp (its size
and modification time, and its template's), and only notebooks whose stamp changed are read
again. Arrays only (no pickle): an index file found on disk is data, never code.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from grader.similarity._documents import Document, Prints
from grader.similarity._winnow import CODE_K, CODE_W, TEXT_K, TEXT_W

#: Changes whenever what a fingerprint is changes: an index of another format is rebuilt.
FORMAT = f"grader-similarity-1 k={CODE_K} w={CODE_W} text={TEXT_K},{TEXT_W}"
Entry = tuple[str, str, Document]  # locator, stamp, document


def load(path: Path) -> dict[str, tuple[str, Document]]:
    """Locator -> (stamp, document) of a saved index; empty when there is none or it is of
    another format."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT:
                return {}
            arrays = {key: data[key] for key in data.files if key != "meta"}
    except (OSError, ValueError, KeyError):
        return {}
    found = {}
    pieces = {key: _split(arrays, key) for key in ("code", "text", "units")}
    for number, row in enumerate(meta["entries"]):
        locator, stamp, origin, name, units, tokens = row
        code, text = (Prints(*pieces[kind][number]) for kind in ("code", "text"))
        starts = pieces["units"][number][0]
        found[locator] = (stamp, Document(name, code, text, tuple(units), starts, tokens, origin))
    return found


def save(path: Path, entries: list[Entry]) -> None:
    """Written to a temporary file and moved into place: a reader never sees half an index."""
    rows = [[loc, stamp, d.origin, d.name, list(d.units), d.tokens] for loc, stamp, d in entries]
    docs = [doc for _, _, doc in entries]
    arrays = {"meta": np.array(json.dumps({"format": FORMAT, "entries": rows}))}
    for kind in ("code", "text"):
        prints = [getattr(d, kind) for d in docs]
        arrays[f"{kind}_count"] = np.array([len(p.hashes) for p in prints], dtype=np.int64)
        for field in ("hashes", "start", "end"):
            arrays[f"{kind}_{field}"] = _joined([getattr(p, field) for p in prints], field)
    arrays["units_count"] = np.array([len(d.unit_starts) for d in docs], dtype=np.int64)
    arrays["units_start"] = _joined([d.unit_starts for d in docs], "start")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _joined(parts: list[np.ndarray], field: str) -> np.ndarray:
    kind = np.int64 if field == "hashes" else np.int32
    return np.concatenate(parts).astype(kind) if parts else np.empty(0, kind)


def _split(arrays: dict[str, np.ndarray], kind: str) -> list[tuple[np.ndarray, ...]]:
    """Each document's slices of the joined arrays (views: one block of memory in all)."""
    bounds = np.cumsum(arrays[f"{kind}_count"])[:-1]
    fields = ("start",) if kind == "units" else ("hashes", "start", "end")
    columns = [np.split(arrays[f"{kind}_{field}"], bounds) for field in fields]
    return list(zip(*columns))
