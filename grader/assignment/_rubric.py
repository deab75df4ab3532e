"""A manual question's rubric in ``spec.toml``: ``[[questions.rubric]]`` items and ``scoring``.

A rubric is what the marking app (``grader serve``) starts from: each item has points and a
description, and ``scoring`` says whether the applied items add up from 0 (``"additive"``) or
are taken off the question's points (``"subtractive"``). The app keeps its own edits in the
store afterwards, so a spec edited later changes nothing already marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.assignment._fields import no_unknown
from grader.errors import SpecError

SCORINGS = ("additive", "subtractive")


@dataclass(frozen=True)
class RubricEntry:
    """One rubric item as the spec gives it."""

    points: float
    description: str


def read_rubric(
    path: Path, qid: str, raw: dict[str, Any], allowed: set[str], manual: bool
) -> tuple[tuple[RubricEntry, ...], str]:
    """The question's rubric and scoring; a rubric on an automatic question is an error."""
    items, scoring = raw.get("rubric", []), raw.get("scoring", "additive")
    if not manual and ("rubric" in raw or "scoring" in raw):
        raise SpecError(path, f"question {qid}: a rubric is for questions graded by hand")
    if scoring not in SCORINGS:
        raise SpecError(path, f"question {qid}: scoring must be one of {SCORINGS}, got {scoring!r}")
    if not isinstance(items, list):
        raise SpecError(path, f"question {qid}: rubric must be an array of tables")
    return tuple(_entry(path, qid, item, allowed) for item in items), scoring


def _entry(path: Path, qid: str, raw: Any, allowed: set[str]) -> RubricEntry:
    where = f"a rubric item of question {qid}"
    if not isinstance(raw, dict):
        raise SpecError(path, f"{where} must be a table, got {raw!r}")
    no_unknown(path, raw, allowed, where)
    points, description = raw.get("points"), raw.get("description")
    if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
        raise SpecError(path, f"{where}: points must be a number of 0 or more, got {points!r}")
    if not isinstance(description, str) or not description.strip():
        raise SpecError(path, f"{where}: description must be a non-empty string")
    return RubricEntry(float(points), description.strip())
