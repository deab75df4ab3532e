"""Files the grader writes so that a crash or Ctrl-C never leaves half of one, under names the
file system takes whatever the submission was called.

A base module like ``errors``: any package may import it; it imports nothing of the grader.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

#: Longest name of one folder entry, in bytes (Linux's NAME_MAX on ext4, XFS, Btrfs, tmpfs).
NAME_MAX = 255
#: Bytes of the target's name kept in a temporary's: the rest is ``.``, ``.``, mkstemp's
#: random part and ``.tmp``, well within NAME_MAX.
_TEMP_KEPT = 200
#: ``~`` and this many hex digits of the full name's hash end a shortened output name.
_HASH_DIGITS = 12


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file.

    The temporary's name holds at most the start of ``path``'s (a 240-byte submission name made
    it too long for the file system, and every output after it failed); mkstemp makes it unique.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{_truncated(path.name, _TEMP_KEPT)}."
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def output_name(name: str, suffix: str) -> str:
    """The file name of a submission's output (``name`` then ``suffix``): exactly that where the
    file system takes it; else the start of ``name``, ``~`` and a hash of all of it, so two long
    names that share their first 240 bytes still get two files. A ``/`` or NUL (a name given
    through the API, never a file's) is replaced there too."""
    whole = f"{name}{suffix}"
    if len(_bytes(whole)) <= NAME_MAX and "/" not in whole and "\0" not in whole:
        return whole
    digest = hashlib.sha256(_bytes(name)).hexdigest()[:_HASH_DIGITS]
    tail = f"~{digest}{suffix}"
    kept = _truncated(name.replace("/", "_").replace("\0", "_"), NAME_MAX - len(_bytes(tail)))
    return kept + tail


def _bytes(text: str) -> bytes:
    """``text`` in UTF-8; a lone surrogate (an undecodable byte of a name read from disk) counts
    as three bytes, never fewer than the file system's one: a bound, never an error."""
    return text.encode("utf-8", "surrogatepass")


def _truncated(text: str, limit: int) -> str:
    """At most ``limit`` bytes of ``text``, never cutting a character in two."""
    data = _bytes(text)
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")
