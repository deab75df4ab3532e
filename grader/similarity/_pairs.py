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

#: Pair keys gathered before they are counted into the tally (bounds the index's memory).
_CHUNK = 1_000_000


@dataclass(frozen=True)
class Settings:
    """``threshold``: share of a notebook (or of one function) matched that flags a pair.
    ``common_share``/``common_min``: a fingerprint in more than this share of the class, and
    in more than ``common_min`` notebooks, is common and ignored. ``min_matches``: fewest
    fingerprints (about 3-4 tokens each) a flagged pair shares, in code or in prose."""

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


def shared(hashes: list[np.ndarray], cutoff: int) -> tuple[Counter[int], np.ndarray]:
    """Pair key (``i * n + j``, i < j) -> fingerprints shared, and the common fingerprints."""
    n = len(hashes)
    owner = np.repeat(np.arange(n, dtype=np.int64), [len(h) for h in hashes])
    allh = np.concatenate(hashes) if hashes else np.empty(0, np.int64)
    order = np.argsort(allh, kind="stable")
    allh, owner = allh[order], owner[order]
    values, starts, counts = np.unique(allh, return_index=True, return_counts=True)
    common = values[counts > cutoff]
    tally: Counter[int] = Counter()
    keys: list[np.ndarray] = []
    size = 0
    for start, count in zip(
        starts[(counts >= 2) & (counts <= cutoff)], counts[(counts >= 2) & (counts <= cutoff)]
    ):
        docs = owner[start : start + count]
        i, j = np.triu_indices(count, 1)
        keys.append(docs[i] * n + docs[j])
        size += len(i)
        if size >= _CHUNK:
            _count(tally, keys)
            keys, size = [], 0
    _count(tally, keys)
    return tally, common


def _count(tally: Counter[int], keys: list[np.ndarray]) -> None:
    if keys:
        values, counts = np.unique(np.concatenate(keys), return_counts=True)
        tally.update(dict(zip(values.tolist(), counts.tolist())))


def measure(a: Document, b: Document, common: np.ndarray, common_text: np.ndarray) -> Pair:
    """Shares of each side matched (common fingerprints count on neither side)."""
    matched = np.setdiff1d(np.intersect1d(a.code, b.code), common, assume_unique=True)
    text = np.setdiff1d(np.intersect1d(a.text, b.text), common_text, assume_unique=True)
    side_a, side_b = _side(a, matched, common), _side(b, matched, common)
    return Pair(
        side_a,
        side_b,
        len(matched),
        _share(a.text, text, common_text),
        _share(b.text, text, common_text),
        len(text),
        (),
    )


def _share(own: np.ndarray, matched: np.ndarray, common: np.ndarray) -> float:
    total = len(own) - int(np.isin(own, common, assume_unique=True).sum())
    return len(matched) / total if total else 0.0


def _side(doc: Document, matched: np.ndarray, common: np.ndarray) -> Side:
    total = len(doc.code) - int(np.isin(doc.code, common, assume_unique=True).sum())
    mine = ~np.isin(doc.unit_hashes, common)
    hit = np.isin(doc.unit_hashes, matched)
    units = len(doc.units)
    totals = np.bincount(doc.unit_ids[mine], minlength=units)
    hits = np.bincount(doc.unit_ids[hit], minlength=units)
    functions = tuple(
        (doc.units[u], hits[u] / totals[u], int(hits[u])) for u in np.flatnonzero(hits)
    )
    return Side(doc.name, len(matched) / total if total else 0.0, functions)


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
