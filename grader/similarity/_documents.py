"""Each submission as the fingerprints of what its student wrote: the template's lines and
fingerprints taken out (the template is never evidence), code and prose kept apart.

A document holds only its fingerprints (a sorted array, and which functions each is in), so a
class of a thousand takes tens of megabytes; the text is read again only for the pairs shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.similarity._tokens import Unit, code_units, template_line_set
from grader.similarity._winnow import Print, code_prints, text_prints

Cells = list[dict[str, str]]


@dataclass(frozen=True)
class Template:
    """What the student notebook already held: its code lines, prose cells and fingerprints."""

    lines: frozenset[str]
    code: frozenset[int]
    prose: frozenset[str]
    text: frozenset[int]


@dataclass(frozen=True)
class Document:
    name: str
    code: np.ndarray  # sorted unique fingerprint hashes (int64)
    units_of: dict[int, tuple[int, ...]]  # hash -> the units it is in (may be several)
    units: tuple[str, ...]  # unit names (function or class names)
    text: np.ndarray


@dataclass(frozen=True)
class Parts:
    """A submission's code cells and prose cells as compared, with their fingerprints."""

    code_cells: list[str]
    prose_cells: list[str]
    units: list[Unit]
    code: list[Print]
    text: list[Print]


def template_of(cells: Cells) -> Template:
    code = _sources(cells, "code")
    prose = _sources(cells, "markdown")
    units = code_units(code, frozenset())
    return Template(
        lines=template_line_set(code) - {""},
        code=frozenset(p.hash for p in code_prints(units)),
        prose=frozenset(text.strip() for text in prose),
        text=frozenset(p.hash for p in text_prints(prose)),
    )


def parts(cells: Cells, template: Template) -> Parts:
    code = _sources(cells, "code")
    prose = [text for text in _sources(cells, "markdown") if text.strip() not in template.prose]
    units = code_units(code, template.lines)
    code_fps = [p for p in code_prints(units) if p.hash not in template.code]
    text_fps = [p for p in text_prints(prose) if p.hash not in template.text]
    return Parts(code, prose, units, code_fps, text_fps)


def document(name: str, cells: Cells, template: Template) -> Document:
    found = parts(cells, template)
    units_of: dict[int, set[int]] = {}
    for p in found.code:
        units_of.setdefault(p.hash, set()).add(p.unit)
    return Document(
        name,
        np.unique(np.array(list(units_of), dtype=np.int64)),
        {h: tuple(sorted(u)) for h, u in units_of.items()},
        tuple(u.name for u in found.units),
        np.unique(np.array([p.hash for p in found.text], dtype=np.int64)),
    )


def _sources(cells: Cells, kind: str) -> list[str]:
    return [cell.get("source", "") for cell in cells if cell.get("type") == kind]
