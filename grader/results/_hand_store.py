"""The SQL of marking by hand (``grader serve``, and the CSV of marks), mixed into the Store.

What people enter lives in tables a new run never clears (``grader grade --overwrite`` and
``--resume`` keep them, like ``manual_marks``): each mark's version and rubric items, the
rubric as edited, the comments kept for reuse, the overrides of automatic questions, the
teaching assistants' login tokens (hashed), and the audit log, one row per change with who,
when, before, after and why. Every mark is written by :meth:`HandStore.save_mark`, so the app
and the CSV import take the one path: a version check, the mark, its version and its audit row
in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from grader.errors import GraderError

HAND_SCHEMA = """
CREATE TABLE IF NOT EXISTS mark_versions (
    submission TEXT NOT NULL,
    question TEXT NOT NULL,
    version INTEGER NOT NULL,
    items TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (submission, question)
);
CREATE TABLE IF NOT EXISTS rubric_items (
    question TEXT NOT NULL,
    item TEXT NOT NULL,
    points REAL NOT NULL,
    description TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (question, item)
);
-- Rubric items deleted in the app: kept, so that the spec's rubric is not stored again when
-- every item is gone, and no new item takes a deleted one's id.
CREATE TABLE IF NOT EXISTS rubric_deleted (
    question TEXT NOT NULL,
    item TEXT NOT NULL,
    points REAL NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (question, item)
);
CREATE TABLE IF NOT EXISTS saved_comments (
    question TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (question, text)
);
CREATE TABLE IF NOT EXISTS overrides (
    submission TEXT NOT NULL,
    question TEXT NOT NULL,
    points REAL NOT NULL,
    reason TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (submission, question)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    what TEXT NOT NULL,
    submission TEXT NOT NULL,
    question TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    why TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tas (name TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL);
"""


class MarkConflict(GraderError):
    """A mark was saved by someone else since the one saving it now opened it."""

    def __init__(self, current: MarkState) -> None:
        self.current = current
        super().__init__(
            f"{current.who} saved a mark for {current.submission} {current.question} at "
            f"{current.at} (version {current.version}): {current.points:g} points"
        )


@dataclass(frozen=True)
class MarkState:
    """A mark as stored, with its version (0: never marked) and who saved it last."""

    submission: str
    question: str
    points: float | None
    comment: str
    items: tuple[str, ...]
    version: int
    who: str
    at: str


@dataclass(frozen=True)
class RubricItem:
    item: str
    points: float
    description: str


@dataclass(frozen=True)
class AuditRow:
    at: str
    who: str
    what: str
    submission: str
    question: str
    before: str
    after: str
    why: str


def now() -> str:
    """When, as the audit log writes it: UTC, to the second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


class HandStore:
    """The marking-by-hand methods of ``grader.results._store.Store`` (which sets ``_db``)."""

    _db: sqlite3.Connection

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (the connection commits each statement alone otherwise)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- marks ---------------------------------------------------------------------------------
    def mark_state(self, submission: str, question: str) -> MarkState:
        row = self._db.execute(
            f"{_MARKS} WHERE m.submission = ? AND m.question = ?", (submission, question)
        ).fetchone()
        if row is None:
            return MarkState(submission, question, None, "", (), 0, "", "")
        return _state(row)

    def save_mark(
        self,
        state: MarkState,
        sha: str,
        who: str,
        why: str,
        expected: int | None,
    ) -> MarkState:
        """Store ``state`` (its points, comment, items) as the new version of its mark, with an
        audit row; ``expected`` is the version the person saw (None: no check, an import).
        Raises :class:`MarkConflict`, storing nothing, when another version was saved since."""
        with self._transaction():
            return self._save_mark(state, sha, who, why, expected)

    def save_marks(self, states: list[tuple[MarkState, str]], who: str, why: str) -> None:
        """Every (mark, notebook hash) at once, or none (the CSV import)."""
        with self._transaction():
            for state, sha in states:
                self._save_mark(state, sha, who, why, None)

    def _save_mark(
        self, state: MarkState, sha: str, who: str, why: str, expected: int | None
    ) -> MarkState:
        current = self.mark_state(state.submission, state.question)
        if expected is not None and current.version != expected:
            raise MarkConflict(current)
        stored_sha = self._db.execute(
            "SELECT notebook_sha256 FROM manual_marks WHERE submission = ? AND question = ?",
            (state.submission, state.question),
        ).fetchone()
        unchanged = (current.points, current.comment, current.items, stored_sha) == (
            state.points,
            state.comment,
            state.items,
            (sha,),
        )
        if unchanged:
            return current  # nothing changed: no new version, no audit row
        at = now()
        saved = MarkState(
            state.submission,
            state.question,
            state.points,
            state.comment,
            state.items,
            current.version + 1,
            who,
            at,
        )
        key = (state.submission, state.question)
        self._db.execute(
            "INSERT OR REPLACE INTO manual_marks VALUES (?, ?, ?, ?, ?)",
            (*key, state.points, state.comment, sha),
        )
        self._db.execute(
            "INSERT OR REPLACE INTO mark_versions VALUES (?, ?, ?, ?, ?, ?)",
            (*key, saved.version, json.dumps(list(state.items)), who, at),
        )
        self._audit(who, "mark", key, _mark_text(current), _mark_text(saved), why, at)
        return saved

    def _audit(
        self,
        who: str,
        what: str,
        key: tuple[str, str],
        before: str,
        after: str,
        why: str,
        at: str,
    ) -> None:
        self._db.execute(
            "INSERT INTO audit (at, who, what, submission, question, before, after, why) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (at, who, what, *key, before, after, why),
        )

    def marked_notebook(self, submission: str, question: str) -> str | None:
        """The hash of the notebook a mark was given on (None: not marked)."""
        row = self._db.execute(
            "SELECT notebook_sha256 FROM manual_marks WHERE submission = ? AND question = ?",
            (submission, question),
        ).fetchone()
        return None if row is None else str(row[0])

    def marks_with_item(self, question: str, item: str) -> list[MarkState]:
        rows = self._db.execute(
            "SELECT submission FROM mark_versions WHERE question = ? AND items LIKE ?",
            (question, f'%"{item}"%'),
        ).fetchall()
        states = [self.mark_state(row[0], question) for row in rows]
        return [s for s in states if item in s.items]

    def marked_counts(self) -> dict[str, int]:
        """Question -> how many of its answers carry a mark."""
        rows = self._db.execute("SELECT question, COUNT(*) FROM manual_marks GROUP BY question")
        return dict(rows.fetchall())

    def marked_by(self) -> dict[tuple[str, str], int]:
        """(teaching assistant, question) -> how many marks they saved last."""
        rows = self._db.execute(
            "SELECT who, question, COUNT(*) FROM mark_versions GROUP BY who, question"
        )
        return {(who, q): n for who, q, n in rows.fetchall()}

    def mark_states(self, question: str) -> dict[str, MarkState]:
        rows = self._db.execute(f"{_MARKS} WHERE m.question = ?", (question,)).fetchall()
        return {row[0]: _state(row) for row in rows}

    # -- the rubric and the comments kept for reuse ---------------------------------------------
    def rubric(self, question: str) -> list[RubricItem]:
        rows = self._db.execute(
            "SELECT item, points, description FROM rubric_items WHERE question = ? "
            "ORDER BY position",
            (question,),
        )
        return [RubricItem(*row) for row in rows.fetchall()]

    def seed_rubric(self, question: str, items: list[RubricItem]) -> None:
        """The spec's rubric, stored the first time only: later, the app's edits are kept."""
        if self.rubric_ids(question):
            return
        with self._transaction():
            for position, item in enumerate(items):
                self._db.execute(
                    "INSERT OR IGNORE INTO rubric_items VALUES (?, ?, ?, ?, ?)",
                    (question, item.item, item.points, item.description, position),
                )

    def put_rubric_item(self, question: str, item: RubricItem, who: str, why: str) -> None:
        before = {i.item: i for i in self.rubric(question)}.get(item.item)
        at = now()
        with self._transaction():
            position = self._db.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM rubric_items WHERE question = ?",
                (question,),
            ).fetchone()[0]
            self._db.execute(
                "INSERT INTO rubric_items VALUES (?, ?, ?, ?, ?) ON CONFLICT (question, item) "
                "DO UPDATE SET points = excluded.points, description = excluded.description",
                (question, item.item, item.points, item.description, position),
            )
            old = "" if before is None else f"{before.points:g}: {before.description}"
            new = f"{item.points:g}: {item.description}"
            self._audit(who, f"rubric {item.item}", ("", question), old, new, why, at)

    def rubric_ids(self, question: str) -> set[str]:
        """Every id an item of ``question`` has had: those in the rubric and those deleted."""
        rows = self._db.execute(
            "SELECT item FROM rubric_items WHERE question = ? "
            "UNION SELECT item FROM rubric_deleted WHERE question = ?",
            (question, question),
        )
        return {row[0] for row in rows.fetchall()}

    def delete_rubric_item(self, question: str, item: RubricItem, who: str, why: str) -> None:
        """Take ``item`` out of the rubric (the marks that carry it are the caller's to
        re-score), with an audit row; it is kept aside, so its id is never given again."""
        with self._transaction():
            self._db.execute(
                "DELETE FROM rubric_items WHERE question = ? AND item = ?", (question, item.item)
            )
            self._db.execute(
                "INSERT OR REPLACE INTO rubric_deleted VALUES (?, ?, ?, ?)",
                (question, item.item, item.points, item.description),
            )
            old = f"{item.points:g}: {item.description}"
            self._audit(who, f"rubric {item.item}", ("", question), old, "deleted", why, now())

    def saved_comments(self, question: str) -> list[str]:
        rows = self._db.execute(
            "SELECT text FROM saved_comments WHERE question = ? ORDER BY rowid", (question,)
        )
        return [row[0] for row in rows.fetchall()]

    def keep_comment(self, question: str, text: str) -> None:
        with self._transaction():
            self._db.execute("INSERT OR IGNORE INTO saved_comments VALUES (?, ?)", (question, text))

    # -- overrides of automatic questions ------------------------------------------------------
    def overrides(self) -> dict[tuple[str, str], tuple[float, str]]:
        """(submission, question) -> (points, reason)."""
        rows = self._db.execute("SELECT submission, question, points, reason FROM overrides")
        return {(s, q): (p, r) for s, q, p, r in rows.fetchall()}

    def put_override(
        self, key: tuple[str, str], points: float | None, reason: str, who: str, was: float
    ) -> None:
        """Override the points of an automatic question (None: take the override away)."""
        before = self.overrides().get(key)
        at = now()
        with self._transaction():
            if points is None:
                self._db.execute("DELETE FROM overrides WHERE submission = ? AND question = ?", key)
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO overrides VALUES (?, ?, ?, ?, ?, ?)",
                    (*key, points, reason, who, at),
                )
            old = f"{was:g} (graded)" if before is None else f"{before[0]:g} (override)"
            new = f"{was:g} (graded)" if points is None else f"{points:g} (override)"
            self._audit(who, "override", key, old, new, reason, at)

    # -- the audit log and the teaching assistants ---------------------------------------------
    def audit_log(self, limit: int = 50) -> list[AuditRow]:
        rows = self._db.execute(
            "SELECT at, who, what, submission, question, before, after, why FROM audit "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [AuditRow(*row) for row in rows.fetchall()]

    def put_ta(self, name: str, token_sha256: str) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO tas VALUES (?, ?)", (name, token_sha256))

    def ta_named(self, token_sha256: str) -> str | None:
        row = self._db.execute(
            "SELECT name FROM tas WHERE token_sha256 = ?", (token_sha256,)
        ).fetchone()
        return None if row is None else str(row[0])


#: A mark with its version: what :func:`_state` reads.
_MARKS = (
    "SELECT m.submission, m.question, m.points, m.comment, v.items, v.version, v.who, v.at "
    "FROM manual_marks m LEFT JOIN mark_versions v USING (submission, question)"
)


def _state(row: tuple[Any, ...]) -> MarkState:
    submission, question, points, comment, items, version, who, at = row
    # A mark merged before versions were kept: version 1, by whoever merged it.
    return MarkState(
        submission,
        question,
        points,
        comment,
        tuple(json.loads(items or "[]")),
        version or 1,
        who or "an earlier import",
        at or "",
    )


def _mark_text(state: MarkState) -> str:
    """A mark as the audit log shows it."""
    if state.points is None:
        return ""
    data: dict[str, Any] = {"points": state.points, "comment": state.comment}
    if state.items:
        data["items"] = list(state.items)
    return json.dumps(data, ensure_ascii=False)
