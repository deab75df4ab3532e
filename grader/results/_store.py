"""Durable results: each submission's result is committed to SQLite as soon as it is graded.

The coordinating process is the only writer. An interrupted batch (Ctrl-C, ``kill -9``, a
reboot) resumes from here without grading finished submissions again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from grader.errors import OutputError
from grader.results._hand_store import HAND_SCHEMA, HandStore
from grader.results._model import (
    CheckResult,
    Event,
    QuestionResult,
    Reason,
    SubmissionResult,
    result_data,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
-- Every submission the grader wrote files for in this folder, kept by a new run, so that
-- OutputFolder.prune removes exactly those files and never a foreign one of the same kind.
CREATE TABLE IF NOT EXISTS written (submission TEXT PRIMARY KEY);
-- What people entered: never cleared by a new run (see grader.results._marks_store).
CREATE TABLE IF NOT EXISTS manual_marks (
    submission TEXT NOT NULL,
    question TEXT NOT NULL,
    points REAL NOT NULL,
    comment TEXT NOT NULL,
    notebook_sha256 TEXT NOT NULL,
    PRIMARY KEY (submission, question)
);
"""
#: The tables a new run clears; ``manual_marks`` is kept.
_RUN_TABLES = ("results", "sources", "templates", "meta", "info")
#: A stored mark: (submission, question, points, comment, notebook_sha256).
MarkRow = tuple[str, str, float, str, str]
Cells = list[dict[str, str]]


class Store(HandStore):
    """``OUT/results.sqlite``: the run's identity (meta), what ``grader report`` needs to write
    the outputs again (info: the assignment's folder, the versions, the submissions in order),
    one row per graded submission, the cells each was graded on (for ``grader similarity``), and
    the marks given by hand. Opened only through ``grader.results._folder.OutputFolder``."""

    def __init__(self, path: Path, meta: dict[str, str], resume: bool) -> None:
        self.path = path
        self._db = _connect(path)
        stored = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if resume and stored and stored != meta:
            changed = sorted(k for k in set(stored) | set(meta) if stored.get(k) != meta.get(k))
            raise OutputError(
                f"cannot --resume into {path.parent}: the stored run differs in {changed}. "
                "Grade into a new --out folder, or run again without --resume to start over."
            )
        if not resume:
            self.clear_run()
        with self._db:
            self._db.execute("DELETE FROM meta")
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())

    @classmethod
    def existing(cls, path: Path, read_only: bool = False) -> Store:
        """The store of an earlier run, opened as it is (for ``grader report``); ``read_only``
        changes nothing in it, not even the schema (``grader similarity``)."""
        if not path.is_file():
            raise OutputError(
                f"no results store at {path}: grade into that folder first (grader grade ... "
                f"--out {path.parent})"
            )
        store = cls.__new__(cls)
        store.path = path
        store._db = _connect_read_only(path) if read_only else _connect(path)
        return store

    def clear_run(self) -> None:
        """Forget the graded run (results, cells, identity); the hand marks stay."""
        with self._db:
            for table in _RUN_TABLES:
                self._db.execute(f"DELETE FROM {table}")  # a fixed name of _RUN_TABLES

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def info(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM info").fetchall())

    def set_info(self, info: dict[str, str]) -> None:
        """Kept apart from meta: a run resumes whatever these say."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)", info.items())

    def written(self) -> set[str]:
        """Every submission the grader has written files for in this folder (those of a store
        from before this table: its graded rows)."""
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        names = set(self.done())
        if "written" in tables:
            names |= {row[0] for row in self._db.execute("SELECT submission FROM written")}
        return names

    def done(self) -> dict[str, str]:
        """Submission name -> hash of the notebook that was graded."""
        return dict(self._db.execute("SELECT submission, notebook_sha256 FROM results"))

    def put(self, result: SubmissionResult, notebook_sha256: str) -> None:
        text = json.dumps(result_data(result), allow_nan=False)
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?)",
                (result.submission, notebook_sha256, text),
            )
            self._db.execute("INSERT OR IGNORE INTO written VALUES (?)", (result.submission,))

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

    # -- marks given by hand ------------------------------------------------------------------
    def marks(self) -> list[MarkRow]:
        return self._db.execute(
            "SELECT submission, question, points, comment, notebook_sha256 FROM manual_marks"
        ).fetchall()

    def put_marks(self, rows: list[MarkRow]) -> None:
        """Every row at once, or none."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO manual_marks VALUES (?, ?, ?, ?, ?)", rows)

    # -- the cells as graded, for similarity ------------------------------------------------
    def has_table(self, name: str) -> bool:
        found = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,))
        return found.fetchone() is not None

    def count_sources(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM sources").fetchone()[0])

    def without_cells(self) -> list[str]:
        """Submissions graded (a result stored) whose cells are not: resumed from an older
        grader's store. They cannot be compared."""
        rows = self._db.execute(
            "SELECT submission FROM results WHERE submission NOT IN (SELECT submission FROM "
            "sources) ORDER BY submission"
        )
        return [row[0] for row in rows]

    def templates(self) -> dict[str, Cells]:
        rows = self._db.execute("SELECT sha256, cells FROM templates")
        return {sha: json.loads(cells) for sha, cells in rows}

    def sources(self) -> Iterator[tuple[str, str, Cells]]:
        """(name, template hash, cells) in name order, one at a time."""
        rows = self._db.execute(
            "SELECT submission, template_sha256, cells FROM sources ORDER BY submission"
        )
        for name, template, cells in rows:
            yield name, template, json.loads(cells)

    def cells(self, name: str) -> tuple[str, Cells]:
        row = self._db.execute(
            "SELECT template_sha256, cells FROM sources WHERE submission = ?", (name,)
        ).fetchone()
        return row[0], json.loads(row[1])

    def close(self) -> None:
        self._db.close()


def _connect_read_only(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.execute("SELECT name FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        raise OutputError(f"{path} is not a results store this grader can use ({exc})") from None
    return db


def _connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA + HAND_SCHEMA)  # the hand-marking tables: kept by a new run
    except sqlite3.DatabaseError as exc:
        raise OutputError(f"{path} is not a results store this grader can use ({exc})") from None
    return db


def _load(raw: dict[str, Any]) -> SubmissionResult:
    """A stored result; rows of an earlier schema load too, with defaults for what they lack
    (and their keys this schema no longer has are dropped)."""
    questions = tuple(_question(q) for q in raw["questions"])
    return SubmissionResult(
        submission=raw["submission"],
        questions=questions,
        notes=raw.get("notes", ""),
        seconds=raw.get("seconds", 0.0),
        extra=raw.get("extra", {}),
        usage=raw.get("usage", {}),
        events=tuple(Event(**_known(Event, e)) for e in raw.get("events", ())),
    )


def _question(raw: dict[str, Any]) -> QuestionResult:
    kept = _known(QuestionResult, raw)
    kept["checks"] = tuple(_check(c) for c in raw.get("checks", ()))
    return QuestionResult(**kept)


def _check(raw: dict[str, Any]) -> CheckResult:
    kept = _known(CheckResult, raw)
    if isinstance(kept.get("reason"), dict):
        kept["reason"] = Reason(**_known(Reason, kept["reason"]))
    kept["properties_broken"] = tuple(kept.get("properties_broken", ()))
    kept["failed_uses"] = tuple(kept.get("failed_uses", ()))
    return CheckResult(**kept)


def _known(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in raw.items() if k in names}
