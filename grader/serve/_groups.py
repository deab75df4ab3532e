"""Answer groups, as Gradescope has them: answers to one question that are the same once
whitespace, case and the notation of maths are set aside, or close (most of their word
3-grams shared), are one group, which a teaching assistant marks at once and splits where an
answer does not belong.

Grouping only proposes: nothing is marked until a person applies a mark to the members they
keep ticked, and each member's mark is saved as any other (its own version and audit row).
The similarity engine's fingerprints are not used here (``grader.serve`` may not import
``grader.similarity``); word 3-grams of the normalised text stand in for them.
"""

from __future__ import annotations

import re

#: Maths notation that changes nothing: delimiters, spacing commands, sizing, braces, ``\cdot``.
_NOTATION = re.compile(r"\$|\\[,;:! ]|\\left|\\right|\\cdot|[{}*]|\\mathrm|\\operatorname")
_SPACE = re.compile(r"\s+")
_AROUND = re.compile(r"\s*([=+\-^_()/<>|,:])\s*")
_WORD = re.compile(r"[a-z0-9\\_^=+\-/()|<>]+")
#: Two answers whose word 3-grams overlap this much (Jaccard) are one group.
CLOSE = 0.8


def normalised(text: str) -> str:
    """The answer as grouping compares it."""
    text = _NOTATION.sub(" ", text.lower())
    return _AROUND.sub(r"\1", _SPACE.sub(" ", text)).strip(" .!")


def _grams(text: str) -> frozenset[str]:
    words = _WORD.findall(text)
    if len(words) < 3:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + 3]) for i in range(len(words) - 2))


def answer_groups(answers: dict[str, str]) -> list[list[str]]:
    """The students in groups, the largest first (each in the class's order); a student whose
    answer is like no other's is a group of one."""
    exact: dict[str, list[str]] = {}
    for name, text in answers.items():
        exact.setdefault(normalised(text), []).append(name)
    keys = list(exact)
    grams = [_grams(k) for k in keys]
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if root(i) == root(j):  # already one group: a class of answers alike stays fast
                continue
            shared = len(grams[i] & grams[j])
            if shared and shared / len(grams[i] | grams[j]) >= CLOSE:
                parent[root(j)] = root(i)
    merged: dict[int, list[str]] = {}
    for i, key in enumerate(keys):
        merged.setdefault(root(i), []).extend(exact[key])
    order = {name: n for n, name in enumerate(answers)}
    groups = [sorted(g, key=order.__getitem__) for g in merged.values()]
    return sorted(groups, key=lambda g: (-len(g), order[g[0]]))
