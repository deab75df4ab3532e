"""Answer groups, as Gradescope has them: answers to one question that are the same once
whitespace, case and the notation of maths are set aside, or close (most of their word
3-grams shared, as the similarity engine hashes k-grams: ``similarity._winnow.kgram_hashes``),
are one group, which a teaching assistant marks at once and splits where an answer does not
belong.

Grouping only proposes: nothing is marked until a person applies a mark to the members they
keep ticked, and each member's mark is saved as any other (its own version and audit row).
The fingerprints are the similarity engine's k-gram hashes of the normalised words, with k = 3
and every one kept: an answer of a few lines is too short for the engine's prose setting
(5-word shingles, winnowed by 4), which would leave two short answers that differ by a word
with no fingerprint in common.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from grader.results._model import ANSWER_KEY
from grader.similarity._winnow import kgram_hashes

if TYPE_CHECKING:
    from grader.results._store import Store


#: Maths notation that changes nothing: delimiters, spacing commands, sizing, braces, ``\cdot``.
_NOTATION = re.compile(r"\$|\\[,;:! ]|\\left|\\right|\\cdot|[{}*]|\\mathrm|\\operatorname")
_SPACE = re.compile(r"\s+")
#: Spaces beside an operator or a bracket (removed: the same as ``\s*([...])\s*`` -> ``\1``,
#: without a replacement template, which costs more than the rest of the grouping).
_AROUND = re.compile(r"\s+(?=[=+\-^_()/<>|,:])|(?<=[=+\-^_()/<>|,:])\s+")
_WORD = re.compile(r"[a-z0-9\\_^=+\-/()|<>]+")
#: Two answers whose word 3-grams overlap this much (Jaccard) are one group.
CLOSE = 0.8


def normalised(text: str) -> str:
    """The answer as grouping compares it."""
    text = _NOTATION.sub(" ", text.lower())
    return _AROUND.sub("", _SPACE.sub(" ", text)).strip(" .!")


def _grams(text: str) -> frozenset[int]:
    """The answer's fingerprints: the similarity engine's hashes of its word 3-grams."""
    return frozenset(kgram_hashes(_WORD.findall(text), 3))


def answer_groups(answers: dict[str, str]) -> list[list[str]]:
    """The students in groups, the largest first (each in the class's order); a student whose
    answer is like no other's is a group of one."""
    exact: dict[str, list[str]] = {}
    for name, text in answers.items():
        exact.setdefault(normalised(text), []).append(name)
    keys = list(exact)
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _close_pairs([_grams(k) for k in keys], root):
        parent[root(i)] = root(j)  # into the group found: its root, the index's key, stays
    merged: dict[int, list[str]] = {}
    for i, key in enumerate(keys):
        merged.setdefault(root(i), []).extend(exact[key])
    order = {name: n for n, name in enumerate(answers)}
    groups = [sorted(g, key=order.__getitem__) for g in merged.values()]
    return sorted(groups, key=lambda g: (-len(g), order[g[0]]))


def _close_pairs(
    grams: list[frozenset[int]], root: Callable[[int], int]
) -> Iterator[tuple[int, int]]:
    """Pairs whose 3-grams overlap at least :data:`CLOSE` (Jaccard) and that are not in one
    group yet, found by prefix filtering (Bayardo et al., "Scaling up all pairs similarity
    search"): with the grams ordered rarest first, two such sets share a gram among the first
    ``n - ceil(CLOSE * n) + 1`` of each, so only those are indexed and looked up. The pairs are
    exactly those the comparison of every pair finds, in a fraction of its time."""
    counts = Counter(g for s in grams for g in s)
    #: gram -> {the root a set had when indexed: the sets indexed under it}: every set under one
    #: key is in one group still, so a group already joined is passed over at once.
    index: dict[str, dict[int, list[int]]] = {}
    for i in sorted(range(len(grams)), key=lambda n: len(grams[n])):
        mine, size = grams[i], len(grams[i])
        ranked = sorted(mine, key=lambda g: (counts[g], g))
        failed: set[int] = set()
        for gram in ranked[: size - math.ceil(CLOSE * size - 1e-9) + 1]:
            postings = index.setdefault(gram, {})
            for key, members in list(postings.items()):
                if root(key) == root(i):
                    continue
                for j in members:
                    if j in failed or len(grams[j]) < CLOSE * size - 1e-9:
                        continue
                    shared = len(mine & grams[j])
                    if shared >= CLOSE * (size + len(grams[j]) - shared) - 1e-9:
                        yield i, j
                        break
                    failed.add(j)
            postings.setdefault(root(i), []).append(i)


def class_answers(store: Store, names: list[str], qid: str) -> dict[str, str]:
    """What each student wrote for ``qid``, in the class's order."""
    return {r.submission: r.extra.get(ANSWER_KEY + qid, "") for r, _ in store.results(names)}


def main() -> None:
    """``python -c "...; main()" OUT QID...``: each question's groups, as JSON on stdout (what
    ``grader serve`` runs in a child process as it starts, apart from the pages)."""
    from grader.results._folder import OutputFolder

    out, questions = Path(sys.argv[1]), sys.argv[2:]
    store = OutputFolder(out).existing_store()
    try:
        names = json.loads(store.info()["submissions"])
        grouped = {q: answer_groups(class_answers(store, names, q)) for q in questions}
    finally:
        store.close()
    json.dump(grouped, sys.stdout)
