"""Names as people and platforms write them: shown safely, compared loosely, suggested.

A roster says "Ana María López", Moodle's zip "Ana Maria Lopez", Canvas's "lopezana" (its
sortable name, lower-cased, punctuation dropped); the same student, so names are compared with
case, accents, word order and punctuation ignored. Undecodable bytes of a file name (a zip made
on Windows) are shown as ``\\xNN`` so that every key is printable text.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata

#: Permutations tried when a layout glues a name's words together (Canvas): names of more words
#: than this are compared as sorted words only.
_MAX_WORDS = 5
_WORD = re.compile(r"[^\W_]+")
#: Dropped inside a word, as Moodle's file names and Canvas's drop them: O'Neil is ONeil.
_APOSTROPHES = re.compile("['\u2019`]")


def shown(text: str) -> str:
    """``text`` with each undecodable byte (``os.fsdecode``'s surrogate escape) as ``\\xNN``
    and any other control character escaped: printable, and one text per name."""
    out = []
    for char in text:
        if "\udc80" <= char <= "\udcff":
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif "\ud800" <= char <= "\udfff" or unicodedata.category(char) == "Cc":
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


def words(name: str) -> tuple[str, ...]:
    """The name's words without accents, case or punctuation: ``"López, Ana-María"`` ->
    ``("lopez", "ana", "maria")``."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return tuple(_WORD.findall(_APOSTROPHES.sub("", plain)))


def same_name(a: str, b: str) -> bool:
    """Whether two written names are one name: the same words in any order, or one glued
    together from the other's words in some order (``lopezana`` for "Ana López")."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return False
    if sorted(wa) == sorted(wb):
        return True
    for glued, parts in ((wa, wb), (wb, wa)):
        short = len(glued) == 1 and 1 < len(parts) <= _MAX_WORDS
        if short and any("".join(p) == glued[0] for p in itertools.permutations(parts)):
            return True
    return False


def near_names(name: str, candidates: list[str], limit: int = 3) -> list[str]:
    """The roster's names closest to ``name`` (for a submission that matches nobody)."""
    key = "".join(sorted(words(name)))
    keyed = {"".join(sorted(words(c))): c for c in candidates if words(c)}
    close = difflib.get_close_matches(key, list(keyed), n=limit, cutoff=0.5)
    return [keyed[k] for k in close]
