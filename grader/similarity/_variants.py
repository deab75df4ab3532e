"""Numbers of another student's variant: the strongest evidence of a copy a sheet with
``[variants]`` gives, reported with that student's name.

Read from the store alone: a result whose notebook carried another student's signed variant
(the event ``variant_other``), and a notebook whose code holds every value of another
student's variant but not all of its own (a copy whose record was stripped). Conservative: an
honest notebook holds its own values (the released cell has them), so it is never named.
"""

from __future__ import annotations

import io
import json
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from grader.results._model import SubmissionResult

#: Where the batch keeps each result's own values, as JSON (``grader.grading._variants``).
VALUES_FIELD = "course.variant_values"


@dataclass(frozen=True)
class VariantMatch:
    """``submission`` holds the numbers released to ``student``; ``how``: ``record`` (their
    signed record is in its metadata) or ``numbers`` (their values are in its code)."""

    submission: str
    student: str
    how: str
    name: str = ""  # the student's name, where the roster gives it

    def sentence(self) -> str:
        who = f"{self.student} ({self.name})" if self.name else self.student
        where = (
            "carries the signed variant released to"
            if self.how == "record"
            else "has in its code every number released to"
        )
        return f"{self.submission} {where} {who}"


def variant_matches(
    results: Iterable[SubmissionResult],
    code: dict[str, str],
    names: dict[str, str] | None = None,
) -> list[VariantMatch]:
    """Each submission found with another student's numbers, by record first, then by code."""
    names = names or {}
    results = list(results)
    own = {r.submission: _values(r) for r in results}
    own = {k: v for k, v in own.items() if v}
    found: dict[str, VariantMatch] = {}
    for result in results:
        for event in result.events:
            if event.code == "variant_other":
                student = str(event.params.get("student", ""))
                found[result.submission] = VariantMatch(
                    result.submission, student, "record", names.get(student, "")
                )
    for submission, values in own.items():
        if submission in found or submission not in code:
            continue
        literals = _literals(code[submission])
        if _holds(literals, values):
            continue  # its own numbers are there: nothing to say
        for other, theirs in sorted(own.items()):
            if other != submission and theirs != values and _holds(literals, theirs):
                found[submission] = VariantMatch(submission, other, "numbers", names.get(other, ""))
                break
    return [found[k] for k in sorted(found)]


def _values(result: SubmissionResult) -> dict[str, Any]:
    try:
        values = json.loads(result.extra.get(VALUES_FIELD, "") or "null")
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}


def _holds(literals: list[float], values: dict[str, Any]) -> bool:
    """Every number of ``values`` is among the code's literals (as many times as needed)."""
    pool = list(literals)
    for number in _numbers(values.values()):
        if number not in pool:
            return False
        pool.remove(number)
    return True


def _numbers(values: Iterable[Any]) -> list[float]:
    out: list[float] = []
    for value in values:
        if isinstance(value, list):
            out += _numbers(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.append(float(value))
    return out


def _literals(source: str) -> list[float]:
    """The numbers written in code, a leading minus sign included; code that does not
    tokenize gives what it has up to there."""
    found: list[float] = []
    negative = False
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NUMBER:
                try:
                    number = float(token.string.replace("_", ""))
                except ValueError:
                    continue
                found += [-number, number] if negative else [number]  # `x - 1.0` or `-1.0`
            negative = token.type == tokenize.OP and token.string == "-"
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return found


def evidence(store: Any, roster: dict[str, dict[str, str]] | None) -> list[VariantMatch]:
    """The matches of the class a store holds (its results, its cells, the roster's names)."""
    names_stored = json.loads(store.info().get("submissions", "[]"))
    results = [result for result, _ in store.results(names_stored)]
    if not any(_values(r) for r in results):
        return []  # a sheet without variants
    code = {
        name: "\n".join(c.get("source", "") for c in cells if c.get("type") == "code")
        for name, _, cells in store.sources()
    }
    names = {key: row.get("name", "") for key, row in (roster or {}).items()}
    return variant_matches(results, code, names)
