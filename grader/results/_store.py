"""Durable results: each submission's result is committed to SQLite as soon as it is graded.

The coordinating process is the only writer. An interrupted batch (Ctrl-C, ``kill -9``, a
reboot) resumes from here without grading finished submissions again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from grader.errors import OutputError
from grader.results._model import CheckResult, QuestionResult, SubmissionResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    submission TEXT PRIMARY KEY,
    notebook_sha256 TEXT NOT NULL,
    result TEXT NOT NULL
);
-- What similarity needs, so it works from OUT alone: the cells each submission was graded
-- with, and the assignment's student notebook they answered (stored once, by its hash).
CREATE TABLE IF NOT EXISTS templates (sha256 TEXT PRIMARY KEY, cells TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    submission TEXT PRIMARY KEY,
    template_sha256 TEXT NOT NULL,
    cells TEXT NOT NULL
);
"""


class Store:
    """``OUT/results.sqlite``: the run's identity (meta) and one row per graded submission."""

    def __init__(self, path: Path, meta: dict[str, str], resume: bool) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise OutputError(
                f"{path} is not a results store this grader can use ({exc})"
            ) from None
        stored = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if resume and stored and stored != meta:
            changed = sorted(k for k in set(stored) | set(meta) if stored.get(k) != meta.get(k))
            raise OutputError(
                f"cannot --resume into {path.parent}: the stored run differs in {changed}. "
                "Grade into a new --out folder, or run again without --resume to start over."
            )
        if not resume:
            self._db.execute("DELETE FROM results")
            self._db.execute("DELETE FROM sources")
            self._db.execute("DELETE FROM templates")
        with self._db:
            self._db.execute("DELETE FROM meta")
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())

    def done(self) -> dict[str, str]:
        """Submission name -> hash of the notebook that was graded."""
        return dict(self._db.execute("SELECT submission, notebook_sha256 FROM results"))

    def put(self, result: SubmissionResult, notebook_sha256: str) -> None:
        text = json.dumps(asdict(result), allow_nan=False)
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?)",
                (result.submission, notebook_sha256, text),
            )

    def put_sources(
        self,
        submission: str,
        template: tuple[str, list[dict[str, str]]],
        cells: list[dict[str, str]],
    ) -> None:
        """``cells``: ``{"type": "code" | "markdown", "source": ...}`` in notebook order;
        ``template``: the student notebook's hash and cells, written once per hash."""
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO templates VALUES (?, ?)",
                (template[0], json.dumps(template[1])),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO sources VALUES (?, ?, ?)",
                (submission, template[0], json.dumps(cells)),
            )

    def results(self, names: list[str]) -> Iterator[tuple[SubmissionResult, str]]:
        for name in names:
            row = self._db.execute(
                "SELECT result, notebook_sha256 FROM results WHERE submission = ?", (name,)
            ).fetchone()
            if row is not None:
                yield _load(json.loads(row[0])), row[1]

    def close(self) -> None:
        self._db.close()


def _load(raw: dict[str, Any]) -> SubmissionResult:
    questions = tuple(
        QuestionResult(
            **{k: v for k, v in q.items() if k != "checks"},
            checks=tuple(CheckResult(**c) for c in q["checks"]),
        )
        for q in raw["questions"]
    )
    return SubmissionResult(
        submission=raw["submission"],
        questions=questions,
        notes=raw["notes"],
        seconds=raw["seconds"],
        extra=raw.get("extra", {}),
        usage=raw.get("usage", {}),
    )
