"""Which pairs share rare fingerprints, through an inverted index (fingerprint -> notebooks):
work grows with the fingerprints shared, never with all pairs of full texts. Each candidate is
then weighed (``_evidence``) and put in a band: likely copy, look at it, probably independent.

Earlier notebooks (``--against``) sit after the class in the index: each class notebook is
compared with the class notebooks after it and with every earlier one, and earlier notebooks are
never compared among themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grader.similarity._documents import Document
from grader.similarity._evidence import NOTHING, Overlap, Rarity, overlap
from grader.similarity._winnow import CODE_K, TEXT_K

LIKELY, LOOK, INDEPENDENT = "likely copy", "look at it", "probably independent"
BANDS = (LIKELY, LOOK, INDEPENDENT)
#: The score (1.0: the evidence a likely copy needs) from which a pair is worth a look.
LOOK_FROM = 1 / 3


@dataclass(frozen=True)
class Settings:
    """``min_tokens``: normalised tokens of rare shared code, beyond ``floor`` in each fragment
    and weighed by rarity, that make a likely copy (``min_words``/``text_floor``: the same for
    prose, in words). ``common_share``: a fingerprint in more than this share of the notebooks
    (and more than ``common_min``) is common and no evidence. ``show``: the bands written,
    ``LIKELY`` alone by default.

    Why these values: on 60 labelled classes (``tests/similarity_set.py``) honest pairs whose
    styles coincide reach 88 rare tokens and 12 rare words, every disguised copy at least 138
    tokens or 40 words; ``floor`` 20 is about a one-line formula, which alone is no evidence."""

    min_tokens: int = 100
    floor: int = 20
    min_words: int = 20
    text_floor: int = 10
    common_share: float = 0.1
    common_min: int = 5
    show: tuple[str, ...] = (LIKELY,)

    def cutoff(self, notebooks: int) -> int:
        return max(self.common_min, math.floor(self.common_share * notebooks))

    def lowest(self) -> float:
        """The smallest score shown: candidates that cannot reach it are not weighed."""
        return 0.0 if INDEPENDENT in self.show else LOOK_FROM if LOOK in self.show else 1.0


@dataclass(frozen=True)
class Pair:
    """Two notebooks, what they share and how strongly it says they were not written apart:
    ``score`` is the evidence over what a likely copy needs (code or prose, the larger)."""

    a: Document
    b: Document
    code: Overlap
    text: Overlap
    score: float
    verdict: str

    def share(self, side: Document) -> float:
        shared = self.code.shared_a if side is self.a else self.code.shared_b
        return min(1.0, shared / side.tokens) if side.tokens else 0.0


def candidates(
    hashes: list[np.ndarray], in_class: int, rarity: Rarity, at_least: float
) -> np.ndarray:
    """Pair keys (``i * n + j``, i < j, i in the class) whose shared rare fingerprints weigh at
    least ``at_least`` (each ``2 / k``, held by ``k``): a bound on the evidence, since a token
    weighs only where a rare fingerprint covers it. Common fingerprints are never posted, so
    the work is that of the rare ones; one class notebook at a time, so memory stays the
    index plus one row."""
    n = len(hashes)
    unique = [np.unique(h) for h in hashes]
    owner = np.repeat(np.arange(n, dtype=np.int64), [len(h) for h in unique])
    allh = np.concatenate(unique) if unique else np.empty(0, np.int64)
    owner = owner[np.argsort(allh, kind="stable")]
    starts = np.concatenate([[0], np.cumsum(rarity.holders)[:-1]]).astype(np.int64)
    del allh
    found = [np.empty(0, np.int64)]
    for i in range(in_class):
        groups = np.searchsorted(rarity.values, unique[i])
        counts = rarity.holders[groups]
        weight = rarity.weight(counts)
        keep = weight > 0
        groups, weight, counts = groups[keep], weight[keep], counts[keep]
        if weight.sum() < at_least:
            continue
        others = np.concatenate([owner[s : s + c] for s, c in zip(starts[groups], counts)])
        weights = np.repeat(weight, counts)
        later = others > i
        tally = np.bincount(others[later], weights=weights[later], minlength=n)
        found.append(i * n + np.flatnonzero(tally >= at_least))
    return np.concatenate(found)


def weigh(a: Document, b: Document, code: Rarity, text: Rarity, settings: Settings) -> Pair:
    """The pair's code and prose evidence, its score and its band."""
    shared_code = overlap(a, b, "code", code, settings.floor)
    shared_text = overlap(a, b, "text", text, settings.text_floor) if text.values.size else NOTHING
    score = max(
        shared_code.evidence / settings.min_tokens, shared_text.evidence / settings.min_words
    )
    verdict = LIKELY if score >= 1.0 else LOOK if score >= LOOK_FROM else INDEPENDENT
    return Pair(a, b, shared_code, shared_text, score, verdict)


def at_least(settings: Settings, kind: str) -> float:
    """The weight of shared rare fingerprints below which no band shown can be reached: each
    covers ``k`` tokens at most its own weight, so evidence ``E`` needs ``E / k``."""
    if kind == "code":
        return max(0.5, settings.lowest() * settings.min_tokens / CODE_K)
    return max(0.5, settings.lowest() * settings.min_words / TEXT_K)
