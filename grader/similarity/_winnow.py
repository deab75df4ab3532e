"""Winnowed fingerprints (Schleimer, Wilkerson and Aiken, SIGMOD 2003, the algorithm of MOSS):
hashes of every k-gram of tokens, of which each window of w keeps its smallest. Any match of
at least ``k + w - 1`` tokens shares a fingerprint; shorter noise mostly does not.

Hashes are BLAKE2b, not Python's ``hash``: the same class gives the same fingerprints, and so
the same report, on every run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

#: Tokens per k-gram: a one-line formula spans one or two.
CODE_K = 12
CODE_W = 6
#: Words per shingle of prose, and the window.
TEXT_K = 5
TEXT_W = 4
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Print:
    """One fingerprint: its hash, the unit it is in, the lines its k-gram spans, and its tokens
    (``start`` to ``end``, end excluded, counted within the unit): the shared fragments a pair is
    judged on are measured in tokens, not in fingerprints."""

    hash: int
    unit: int
    first: int
    last: int
    start: int
    end: int


def kgram_hashes(tokens: tuple[str, ...] | list[str], k: int) -> list[int]:
    """Signed 64-bit hashes (they fit NumPy's int64) of each k-gram; one of all if fewer."""
    if not tokens:
        return []
    count = max(len(tokens) - k + 1, 1)
    return [_hash("\x1f".join(tokens[i : i + k])) for i in range(count)]


def _hash(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def winnow(hashes: list[int], w: int) -> list[int]:
    """Positions kept: the rightmost minimum of each window of ``w``, each position once."""
    keyed = [(h, -i) for i, h in enumerate(hashes)]  # the smallest tuple: rightmost minimum
    kept: list[int] = []
    for start in range(max(len(hashes) - w + 1, 1) if hashes else 0):
        best = -min(keyed[start : start + w])[1]
        if not kept or kept[-1] != best:
            kept.append(best)
    return kept


def code_prints(units: list, k: int = CODE_K, w: int = CODE_W) -> list[Print]:
    """Fingerprints of each unit on its own (a k-gram never spans two functions)."""
    prints = []
    for index, unit in enumerate(units):
        hashes = kgram_hashes(unit.tokens, k)
        for i in winnow(hashes, w):
            end = min(i + k, len(unit.lines))
            prints.append(Print(hashes[i], index, unit.lines[i], unit.lines[end - 1], i, end))
    return prints


def text_prints(cells: list[str], k: int = TEXT_K, w: int = TEXT_W) -> list[Print]:
    """Fingerprints of word shingles of each prose cell (the unit is the cell's index)."""
    prints = []
    for index, text in enumerate(cells):
        found = located_words(text)
        if len(found) < k:
            continue
        tokens = [word for word, _ in found]
        hashes = kgram_hashes(tokens, k)
        for i in winnow(hashes, w):
            last = found[i + k - 1][1]
            prints.append(Print(hashes[i], index, found[i][1], last, i, i + k))
    return prints


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def located_words(text: str) -> list[tuple[str, int]]:
    """Each word, lower-cased, with its 0-based line."""
    return [
        (match.group().lower(), number)
        for number, line in enumerate(text.splitlines())
        for match in _WORD.finditer(line)
    ]
