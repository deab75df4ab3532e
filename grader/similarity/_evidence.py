"""How much a pair's shared code says: fragments of shared code, each weighed by how few
notebooks hold it and counted only beyond a minimum length.

A fragment is a run of consecutive tokens covered by fingerprints both notebooks hold (the
template's and the reference solution's are never among them). At most as many notebooks hold
the whole fragment as hold its rarest fingerprint: each token weighs ``2 / k`` where ``k``
notebooks hold the rarest fingerprint covering it (two: 1; three, a chain of copies: two
thirds), nothing when ``k`` is above the cut-off. A fragment counts its mean token weight
times its tokens beyond ``floor``: a short formula written the textbook way adds nothing, a
copied function most of its length, even when pieces of it are common.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.similarity._documents import Document, Prints


@dataclass(frozen=True)
class Rarity:
    """How many notebooks hold each fingerprint: the class and every earlier one searched."""

    values: np.ndarray  # unique hashes, sorted
    holders: np.ndarray  # notebooks holding each
    notebooks: int
    cutoff: int

    @staticmethod
    def of(hashes: list[np.ndarray], cutoff: int) -> Rarity:
        unique = [np.unique(h) for h in hashes]
        everything = np.concatenate(unique) if unique else np.empty(0, np.int64)
        values, holders = np.unique(everything, return_counts=True)
        return Rarity(values, holders, len(hashes), cutoff)

    def weigh(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Holders and weight of each hash (0 for the common ones and for a hash held once)."""
        held = self.holders[np.searchsorted(self.values, hashes)]
        return held, self.weight(held)

    def weight(self, held: np.ndarray | int) -> np.ndarray:
        rare = (held >= 2) & (held <= self.cutoff)
        return np.where(rare, 2.0 / np.maximum(held, 2), 0.0)

    def common(self) -> int:
        return int(np.count_nonzero(self.holders > self.cutoff))


@dataclass(frozen=True)
class Run:
    """Consecutive tokens (or words) of one notebook covered by shared fingerprints."""

    start: int
    end: int
    hashes: frozenset[int]  # indices into the pair's shared hashes
    rarity: float  # the weight of its rarest fingerprint
    holders: int  # fewest notebooks holding one of them

    def weight(self, floor: int) -> float:
        return self.rarity * max(0, self.end - self.start - floor)


@dataclass(frozen=True)
class Fragment:
    """A run of one notebook and the run of the other that shares most of its fingerprints."""

    unit_a: str
    unit_b: str
    a: tuple[int, int]
    b: tuple[int, int]
    tokens: int
    holders: int
    weight: float


@dataclass(frozen=True)
class Overlap:
    """What a pair shares of one kind (code or prose): the evidence, the smaller of the two
    sides' weighed runs, and the fragments, heaviest first."""

    evidence: float
    shared_a: int  # tokens of a covered
    shared_b: int
    fragments: tuple[Fragment, ...]


NOTHING = Overlap(0.0, 0, 0, ())


def overlap(a: Document, b: Document, kind: str, rarity: Rarity, floor: int) -> Overlap:
    """Code (``kind="code"``) or prose (``"text"``) shared by ``a`` and ``b``."""
    pa, pb = getattr(a, kind), getattr(b, kind)
    shared = np.intersect1d(pa.hashes, pb.hashes)
    held, weight = rarity.weigh(shared)
    if not weight.any():
        return NOTHING
    runs_a, runs_b = (_runs(p, shared, held, rarity) for p in (pa, pb))
    evidence = min(sum(r.weight(floor) for r in runs) for runs in (runs_a, runs_b))
    fragments = [_fragment(a, b, kind, run, runs_b, floor) for run in runs_a]
    fragments.sort(key=lambda f: (-f.weight, -f.tokens, f.a))
    return Overlap(
        float(evidence),
        sum(r.end - r.start for r in runs_a),
        sum(r.end - r.start for r in runs_b),
        tuple(f for f in fragments if f.weight > 0),
    )


def _runs(prints: Prints, shared: np.ndarray, held: np.ndarray, rarity: Rarity) -> list[Run]:
    """Merge the shared fingerprints' token spans into runs (consecutive winnowed
    fingerprints of one match overlap, since the window is narrower than a k-gram)."""
    mask = np.isin(prints.hashes, shared)
    index = np.searchsorted(shared, prints.hashes[mask])
    start, end = prints.start[mask], prints.end[mask]
    order = np.argsort(start, kind="stable")
    start, end, index = start[order], end[order], index[order]
    reach = np.maximum.accumulate(end)
    cuts = (np.flatnonzero(start[1:] > reach[:-1]) + 1).tolist()
    weights = rarity.weight(held[index])
    runs = []
    for first, last in zip([0, *cuts], [*cuts, len(start)]):
        mine = index[first:last]
        span = (int(start[first]), int(reach[last - 1]))
        tokens = np.zeros(span[1] - span[0])
        for s, e, w in zip(start[first:last], end[first:last], weights[first:last]):
            np.maximum(tokens[s - span[0] : e - span[0]], w, out=tokens[s - span[0] : e - span[0]])
        fewest = int(held[mine].min())
        runs.append(Run(*span, frozenset(mine.tolist()), float(tokens.mean()), fewest))
    return runs


def _fragment(
    a: Document, b: Document, kind: str, run: Run, others: list[Run], floor: int
) -> Fragment:
    """``run`` of ``a`` beside the run of ``b`` sharing most of its fingerprints (in the
    function of the same name, when one does)."""
    code = kind == "code"
    unit = a.unit_at(run.start) if code else ""
    near = [(len(run.hashes & o.hashes), -o.start, o) for o in others]
    near = [item for item in near if item[0] > 0] or near
    same = [item for item in near if code and b.unit_at(item[2].start) == unit]
    best = max(same or near, key=lambda item: item[:2])[2]
    tokens = min(run.end - run.start, best.end - best.start)
    weight = run.rarity * max(0, tokens - floor)
    units = (unit, b.unit_at(best.start)) if code else ("", "")
    return Fragment(
        *units, (run.start, run.end), (best.start, best.end), tokens, run.holders, weight
    )
