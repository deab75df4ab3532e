"""Reading back what the store keeps for similarity (the cells as graded, and the templates),
read-only, one submission at a time, so a class of any size is never held in memory twice."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from grader.errors import OutputError

Cells = list[dict[str, str]]


class StoredCells:
    """``OUT/results.sqlite`` opened read-only: the templates and each submission's cells."""

    def __init__(self, out: Path) -> None:
        path = out / "results.sqlite"
        if not path.is_file():
            raise OutputError(f"{out} holds no results.sqlite; pass the --out folder of a grade")
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise OutputError(
                f"{path} is not a results store this grader can use ({exc})"
            ) from None
        if "sources" not in tables or self.count() == 0:
            self._db.close()
            raise OutputError(
                f"{path} keeps no notebook cells (graded by an older grader, or nothing graded); "
                "grade the class again into a new --out folder to compare it"
            )

    def count(self) -> int:
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
        return {
            sha: json.loads(cells) for sha, cells in self._db.execute("SELECT * FROM templates")
        }

    def submissions(self) -> Iterator[tuple[str, str, Cells]]:
        """(name, template hash, cells) in name order."""
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
