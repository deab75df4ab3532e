"""``OUT/similarity.html``: each flagged pair side by side, the lines its shared fingerprints
span highlighted. Everything a notebook holds (names included) is escaped with ``html.escape``,
so a student's ``<script>`` stays text on the page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path

from grader.similarity._documents import Cells, Parts, Template, parts
from grader.similarity._pairs import Pair
from grader.similarity._winnow import Print

Loader = Callable[[str], tuple[Cells, Template]]

_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Similar submissions</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
table.pair { width: 100%; table-layout: fixed; border-collapse: collapse; }
td { vertical-align: top; width: 50%; padding: 0 .5em; }
pre { background: #f6f6f6; padding: .4em; overflow-x: auto; font-size: 85%; }
mark { background: #ffd54f; }
.cell { color: #777; font-size: 80%; }
</style></head><body>
<h1>Similar submissions</h1>
<p>Flagged for a human to look at: similarity alone proves nothing and changes no grade.
Highlighted lines hold fingerprints both notebooks share (the template's code is left out, and
so is code a large part of the class wrote alike).</p>
"""


def write(
    path: Path, pairs: list[Pair], load: Loader, common: frozenset[int], common_text: frozenset[int]
) -> None:
    cached = functools.lru_cache(maxsize=64)(lambda name: parts(*load(name)))
    with path.open("w", encoding="utf-8") as handle:
        handle.write(_HEAD)
        handle.write("".join(_contents(pairs)))
        for number, pair in enumerate(pairs, 1):
            a, b = cached(pair.a.name), cached(pair.b.name)
            handle.write("".join(_section(number, pair, a, b, common, common_text)))
        handle.write("</body></html>\n")


def _contents(pairs: list[Pair]) -> Iterator[str]:
    if not pairs:
        yield "<p>No pair is flagged.</p>\n"
        return
    yield "<ol>\n"
    for number, pair in enumerate(pairs, 1):
        names = f"{escape(pair.a.name)} and {escape(pair.b.name)}"
        yield f'<li><a href="#pair-{number}">{names}</a>: {pair.score:.2f}</li>\n'
    yield "</ol>\n"


def _section(
    number: int, pair: Pair, a: Parts, b: Parts, common: frozenset[int], text: frozenset[int]
) -> Iterator[str]:
    code = ({p.hash for p in a.code} & {p.hash for p in b.code}) - common
    prose = ({p.hash for p in a.text} & {p.hash for p in b.text}) - text
    yield (
        f'<h2 id="pair-{number}">{number}. {escape(pair.a.name)} and {escape(pair.b.name)}: '
        f"score {pair.score:.2f}</h2>\n"
    )
    yield (
        f"<p>Code matched: {pair.a.share:.0%} of {escape(pair.a.name)}, {pair.b.share:.0%} of "
        f"{escape(pair.b.name)}; prose matched: {pair.text_a:.0%} and {pair.text_b:.0%}.</p>\n"
    )
    yield '<table class="pair"><tr>'
    for side, found in ((pair.a, a), (pair.b, b)):
        yield f"<td><h3>{escape(side.name)}</h3>"
        yield from _cells(found.code_cells, _marks(found.code, code, found), "code cell")
        yield from _cells(found.prose_cells, _prose_marks(found.text, prose), "markdown cell")
        yield "</td>"
    yield "</tr></table>\n"


def _marks(prints: list[Print], shared: set[int], found: Parts) -> dict[int, set[int]]:
    """Code cell -> lines to highlight; every cell the student wrote in gets an entry."""
    marks: dict[int, set[int]] = {unit.cell: set() for unit in found.units}
    for p in prints:
        if p.hash in shared:
            marks[found.units[p.unit].cell].update(range(p.first, p.last + 1))
    return marks


def _prose_marks(prints: list[Print], shared: set[int]) -> dict[int, set[int]]:
    marks: dict[int, set[int]] = {}
    for p in prints:
        if p.hash in shared:
            marks.setdefault(p.unit, set()).update(range(p.first, p.last + 1))
    return marks


def _cells(sources: list[str], marks: dict[int, set[int]], label: str) -> Iterator[str]:
    for cell in sorted(marks):
        yield f'<div class="cell">{label} {cell + 1}</div><pre>'
        for number, line in enumerate(sources[cell].splitlines()):
            shown = escape(line)
            yield f"<mark>{shown}</mark>\n" if number in marks[cell] else f"{shown}\n"
        yield "</pre>\n"
