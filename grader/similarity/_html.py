"""``OUT/similarity.html``: each pair shown with why and how strong: its verdict and score, and
each shared fragment side by side with how many notebooks hold it. Everything a notebook holds
(names included) is escaped with ``html.escape``, so a student's ``<script>`` stays text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from grader.similarity._documents import Cells, Document, Parts, Template, parts
from grader.similarity._evidence import Fragment
from grader.similarity._pairs import BANDS, Pair, Settings
from grader.similarity._winnow import located_words

if TYPE_CHECKING:
    from grader.similarity._run import Findings

Loader = Callable[[Document], tuple[Cells, Template]]

_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Similar submissions</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
table.pair { width: 100%; table-layout: fixed; border-collapse: collapse; margin-bottom: 1em; }
td, th { vertical-align: top; padding: 0 .5em; text-align: left; }
td.side { width: 45%; }
pre { background: #f6f6f6; padding: .4em; overflow-x: auto; font-size: 85%; }
mark { background: #ffd54f; }
.muted { color: #777; font-size: 85%; }
</style></head><body>
<h1>Similar submissions</h1>
<p>For a human to look at: a flag says that two notebooks share code (or prose) that few others
hold, at more length than a short formula; it does not prove that anyone copied, and it changes
no grade. Left out: the template, the reference solution, and code more than a few notebooks
wrote alike. Score 1.0 is the evidence a likely copy needs.</p>
"""


def write(path: Path, findings: Findings, load: Loader, settings: Settings) -> None:
    seen: dict[tuple[str, str], Parts] = {}

    def cached(doc: Document) -> Parts:
        if (doc.origin, doc.name) not in seen:
            if len(seen) > 64:
                seen.clear()
            seen[(doc.origin, doc.name)] = parts(*load(doc))
        return seen[(doc.origin, doc.name)]

    notebooks = findings.compared + findings.earlier
    shown = ", ".join(band for band in BANDS if band in settings.show)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(_HEAD)
        handle.write(f"<p>Bands shown: {escape(shown)}.</p>\n")
        handle.write("".join(_variants(findings)))
        handle.write("".join(_contents(findings.pairs)))
        for number, pair in enumerate(findings.pairs, 1):
            a, b = cached(pair.a), cached(pair.b)
            handle.write("".join(_section(number, pair, a, b, notebooks)))
        handle.write("</body></html>\n")


def _variants(findings: Findings) -> Iterator[str]:
    """Numbers of another student's variant: strong evidence, before any pair."""
    if not findings.variants:
        return
    yield "<h2>Another student's numbers (strong evidence)</h2>\n<ul>\n"
    for match in findings.variants:
        yield f"<li>{escape(match.sentence())}</li>\n"
    yield "</ul>\n"


def _name(doc: Document) -> str:
    return escape(f"{doc.name} ({doc.origin})" if doc.origin else doc.name)


def _contents(pairs: list[Pair]) -> Iterator[str]:
    if not pairs:
        yield "<p>No pair in the bands shown.</p>\n"
        return
    yield "<ol>\n"
    for number, pair in enumerate(pairs, 1):
        names = f"{_name(pair.a)} and {_name(pair.b)}"
        yield f'<li><a href="#pair-{number}">{names}</a>: {pair.verdict}, {pair.score:.2f}</li>\n'
    yield "</ol>\n"


def _section(number: int, pair: Pair, a: Parts, b: Parts, notebooks: int) -> Iterator[str]:
    yield (
        f'<h2 id="pair-{number}">{number}. {_name(pair.a)} and {_name(pair.b)}: '
        f"{pair.verdict}, score {pair.score:.2f}</h2>\n"
    )
    yield (
        f"<p>Rare shared code: {pair.code.evidence:.1f} weighed tokens ({pair.share(pair.a):.0%} "
        f"of {_name(pair.a)}'s own code, {pair.share(pair.b):.0%} of {_name(pair.b)}'s); rare "
        f"shared prose: {pair.text.evidence:.1f} weighed words.</p>\n"
    )
    kinds = (("code", pair.code.fragments), ("prose", pair.text.fragments))
    for kind, fragments in kinds:
        for fragment in fragments:
            yield '<table class="pair"><tr>'
            yield f'<td class="side">{_snippet(a, fragment.a, kind)}</td>'
            yield f'<td class="side">{_snippet(b, fragment.b, kind)}</td>'
            yield f"<td>{_why(fragment, notebooks, kind)}</td></tr></table>\n"


def _why(fragment: Fragment, notebooks: int, kind: str) -> str:
    unit = "tokens" if kind == "code" else "words"
    where = escape(fragment.unit_a) if kind == "code" else "prose"
    return (
        f"{where}: {fragment.tokens} {unit}, held by {fragment.holders} of {notebooks} "
        f'notebooks<br><span class="muted">weight {fragment.weight:.1f}</span>'
    )


def _snippet(found: Parts, span: tuple[int, int], kind: str) -> str:
    """The cell lines the span covers, marked, with a line before and after for context."""
    if kind == "code":
        offsets = found.code_offsets()
        unit = max(i for i, at in enumerate(offsets) if at <= span[0])
        lines = found.units[unit].lines[span[0] - offsets[unit] : span[1] - offsets[unit]]
        source, label = found.code_cells[found.units[unit].cell], "code cell"
        cell = found.units[unit].cell
    else:
        offsets = found.text_offsets()
        cell = max(i for i, at in enumerate(offsets) if at <= span[0])
        words = located_words(found.prose_cells[cell])
        lines = tuple(line for _, line in words[span[0] - offsets[cell] : span[1] - offsets[cell]])
        source, label = found.prose_cells[cell], "markdown cell"
    marked = set(range(min(lines), max(lines) + 1)) if lines else set()
    rows = source.splitlines()
    first, last = max(min(marked, default=0) - 1, 0), min(max(marked, default=0) + 2, len(rows))
    shown = [
        f"<mark>{escape(rows[n])}</mark>" if n in marked else escape(rows[n])
        for n in range(first, last)
    ]
    return f'<div class="muted">{label} {cell + 1}</div><pre>' + "\n".join(shown) + "</pre>"
