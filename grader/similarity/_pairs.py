"""Which pairs share fingerprints, through an inverted index (fingerprint -> submissions): work
grows with the fingerprints shared, never with all pairs of full texts. Fingerprints a large
share of the class holds (the natural way to write a short formula) are left out, as MOSS's
frequency cut-off does; the remaining pairs are then measured one by one.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from grader.similarity._documents import Document


@dataclass(frozen=True)
class Settings:
    """``threshold``: share of a notebook (or of one function) matched that flags a pair.
    ``common_share``/``common_min``: a fingerprint in more than this share of the class, and
    in more than ``common_min`` notebooks, is common and ignored. ``min_matches``: fewest
    fingerprints (one per 3-4 tokens of code) a flagged pair shares, in code or in prose."""

    threshold: float = 0.5
    common_share: float = 0.2
    common_min: int = 10
    min_matches: int = 8

    def cutoff(self, class_size: int) -> int:
        return max(self.common_min, math.floor(self.common_share * class_size))


@dataclass(frozen=True)
class Side:
    """One notebook of a pair: the share of its own fingerprints matched, and per function."""

    name: str
    share: float
    functions: tuple[tuple[str, float, int], ...]  # (name, share matched, fingerprints matched)


@dataclass(frozen=True)
class Pair:
    a: Side
    b: Side
    matched: int
    text_a: float
    text_b: float
    text_matched: int
    flagged_on: tuple[str, ...]  # functions alone matched beyond the threshold

    @property
    def score(self) -> float:
        return max(self.a.share, self.b.share, self.text_a, self.text_b)


def shared(hashes: list[np.ndarray], cutoff: int, at_least: int) -> tuple[np.ndarray, np.ndarray]:
    """Pair keys (``i * n + j``, i < j) sharing ``at_least`` fingerprints that are not common,
    and the common fingerprints.

    One notebook at a time: its fingerprints' postings in the index, counted per other
    notebook. Memory stays that of the index plus one row, whatever the class size.
    """
    n = len(hashes)
    owner = np.repeat(np.arange(n, dtype=np.int64), [len(h) for h in hashes])
    allh = np.concatenate(hashes) if hashes else np.empty(0, np.int64)
    order = np.argsort(allh, kind="stable")
    allh, owner = allh[order], owner[order]
    values, starts, counts = np.unique(allh, return_index=True, return_counts=True)
    del allh, order
    found = []
    for i, mine in enumerate(hashes):
        groups = np.searchsorted(values, mine)
        groups = groups[(counts[groups] >= 2) & (counts[groups] <= cutoff)]
        if len(groups) < at_least:
            continue
        others = np.concatenate([owner[s : s + c] for s, c in zip(starts[groups], counts[groups])])
        tally = np.bincount(others[others > i], minlength=n)
        found.append(i * n + np.flatnonzero(tally >= at_least))
    keys = np.concatenate(found) if found else np.empty(0, np.int64)
    return keys, values[counts > cutoff]


@dataclass(frozen=True)
class Prepared:
    """A document's fingerprints once the common ones are out, as sets for quick pairing."""

    doc: Document
    code: frozenset[int]
    text: frozenset[int]
    unit_totals: Counter[int]


def prepare(doc: Document, common: frozenset[int], common_text: frozenset[int]) -> Prepared:
    code = frozenset(doc.units_of) - common
    totals: Counter[int] = Counter(u for h in code for u in doc.units_of[h])
    return Prepared(doc, code, frozenset(doc.text.tolist()) - common_text, totals)


def measure(a: Prepared, b: Prepared) -> Pair:
    """Shares of each side matched (common fingerprints count on neither side)."""
    matched = a.code & b.code
    text = a.text & b.text
    return Pair(
        _side(a, matched),
        _side(b, matched),
        len(matched),
        len(text) / len(a.text) if a.text else 0.0,
        len(text) / len(b.text) if b.text else 0.0,
        len(text),
        (),
    )


def _side(side: Prepared, matched: frozenset[int]) -> Side:
    doc = side.doc
    hits: Counter[int] = Counter(u for h in matched for u in doc.units_of[h])
    functions = tuple((doc.units[u], hits[u] / side.unit_totals[u], hits[u]) for u in sorted(hits))
    share = len(matched) / len(side.code) if side.code else 0.0
    return Side(doc.name, share, functions)


def judge(pair: Pair, settings: Settings) -> Pair | None:
    """The pair with the functions it is flagged on, or None when it is not flagged."""
    floor, bar = settings.min_matches, settings.threshold
    on = tuple(
        f"{side.name}:{name}"
        for side in (pair.a, pair.b)
        for name, share, hits in side.functions
        if share >= bar and hits >= floor
    )
    code = pair.matched >= floor and (max(pair.a.share, pair.b.share) >= bar or on)
    text = pair.text_matched >= floor and max(pair.text_a, pair.text_b) >= bar
    if not (code or text):
        return None
    return Pair(pair.a, pair.b, pair.matched, pair.text_a, pair.text_b, pair.text_matched, on)
