"""``grader report OUT``: every output rebuilt from ``OUT/results.sqlite``, marks merged first.

Interim until the core rebuild lands: it reads the store as ``grader grade`` left it.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from grader.assignment._spec import Assignment, load_assignment
from grader.errors import OutputError
from grader.kernel import _sandbox
from grader.results._manual import marked_results
from grader.results._marks import STORE, merge_marks
from grader.results._outputs import OutputContext, write_outputs
from grader.results._store import _load

_VERSIONS = ("grader_version", "hypothesis_version", "python_version", "frozen_sha256")


def report(out: Path, assignment: str | None = None, manual: Path | None = None) -> int:
    """Merge ``manual`` (if given) into the store, then rewrite every output; marks merged."""
    path = out / STORE
    if not path.is_file():
        raise OutputError(f"{out} holds no results store ({STORE}); grade into it first")
    with closing(sqlite3.connect(path)) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        rows = db.execute("SELECT result, notebook_sha256 FROM results").fetchall()
    spec: Assignment = load_assignment(assignment or meta["assignment"])
    merged = merge_marks(out, manual, spec) if manual is not None else 0
    stored = sorted(((_load(json.loads(r)), sha) for r, sha in rows), key=lambda p: p[0].submission)
    graded = {r.submission: sha for r, sha in stored}
    versions = {k: meta[k] for k in _VERSIONS if k in meta}
    versions["sandbox"] = _sandbox.sandbox_description()
    results = marked_results(out, [r for r, _ in stored], spec, graded)
    write_outputs(out, results, OutputContext(spec, versions=versions, hashes=graded))
    return merged
