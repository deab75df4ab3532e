"""Each submission as the fingerprints of what its student wrote: what the assignment gave (the
template's lines and fingerprints) and what the reference solution holds taken out, since
neither is evidence that two students worked together; code and prose kept apart.

A document holds only arrays (each fingerprint's hash and the tokens it spans), so a class of a
thousand, or an archive of ten thousand, takes tens of megabytes; the text is read again only
for the pairs shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.similarity._tokens import Unit, code_units, template_line_set
from grader.similarity._winnow import CODE_K, TEXT_K, Print, code_prints, text_prints, word_count

Cells = list[dict[str, str]]


@dataclass(frozen=True)
class Template:
    """What is no evidence: the student notebook's code lines and prose cells (left out of every
    submission before fingerprinting), and the fingerprints of the template and of the
    reference solution (left out after)."""

    lines: frozenset[str]
    code: frozenset[int]
    prose: frozenset[str]
    text: frozenset[int]


@dataclass(frozen=True)
class Prints:
    """Fingerprints as arrays, sorted by hash: where each starts and ends, in tokens (or words)
    counted across the whole notebook, units apart by more than a k-gram so that no fragment
    ever joins two functions."""

    hashes: np.ndarray  # int64
    start: np.ndarray  # int32
    end: np.ndarray  # int32

    @staticmethod
    def of(prints: list[Print], offsets: list[int]) -> Prints:
        start = np.array([offsets[p.unit] + p.start for p in prints], dtype=np.int32)
        end = np.array([offsets[p.unit] + p.end for p in prints], dtype=np.int32)
        hashes = np.array([p.hash for p in prints], dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        return Prints(hashes[order], start[order], end[order])


@dataclass(frozen=True)
class Document:
    """One notebook: ``origin`` is empty for the class, else the earlier year or source it came
    from (``--against``); ``units`` are the function names, ``unit_starts`` where each begins."""

    name: str
    code: Prints
    text: Prints
    units: tuple[str, ...]
    unit_starts: np.ndarray  # int32, ascending
    tokens: int  # the student's own tokens, template left out
    origin: str = ""

    def unit_at(self, position: int) -> str:
        return self.units[int(np.searchsorted(self.unit_starts, position, side="right")) - 1]


@dataclass(frozen=True)
class Parts:
    """A submission's code cells and prose cells as compared, with their fingerprints."""

    code_cells: list[str]
    prose_cells: list[str]
    units: list[Unit]
    code: list[Print]
    text: list[Print]

    def code_offsets(self) -> list[int]:
        return _offsets([len(unit.tokens) for unit in self.units], CODE_K)

    def text_offsets(self) -> list[int]:
        return _offsets([word_count(cell) for cell in self.prose_cells], TEXT_K)


def template_of(cells: Cells, solution: Cells | None = None) -> Template:
    """The template's lines and prose, and the fingerprints of the template and the solution."""
    code = _sources(cells, "code")
    prose = _sources(cells, "markdown")
    lines = template_line_set(code) - {""}
    solved = parts(solution or [], Template(lines, frozenset(), frozenset(), frozenset()))
    units = code_units(code, frozenset())
    return Template(
        lines=lines,
        code=frozenset(p.hash for p in code_prints(units)) | {p.hash for p in solved.code},
        prose=frozenset(text.strip() for text in prose),
        text=frozenset(p.hash for p in text_prints(prose)) | {p.hash for p in solved.text},
    )


def parts(cells: Cells, template: Template) -> Parts:
    code = _sources(cells, "code")
    prose = [text for text in _sources(cells, "markdown") if text.strip() not in template.prose]
    units = code_units(code, template.lines)
    code_fps = [p for p in code_prints(units) if p.hash not in template.code]
    text_fps = [p for p in text_prints(prose) if p.hash not in template.text]
    return Parts(code, prose, units, code_fps, text_fps)


def document(name: str, cells: Cells, template: Template, origin: str = "") -> Document:
    found = parts(cells, template)
    offsets = found.code_offsets()
    return Document(
        name,
        Prints.of(found.code, offsets),
        Prints.of(found.text, found.text_offsets()),
        tuple(u.name for u in found.units),
        np.array(offsets[: len(found.units)], dtype=np.int32),
        sum(len(u.tokens) for u in found.units),
        origin,
    )


def _offsets(lengths: list[int], gap: int) -> list[int]:
    """Where each unit starts: after the one before and a gap wider than a k-gram."""
    offsets, at = [], 0
    for length in lengths:
        offsets.append(at)
        at += length + gap + 1
    return offsets


def _sources(cells: Cells, kind: str) -> list[str]:
    return [cell.get("source", "") for cell in cells if cell.get("type") == kind]
