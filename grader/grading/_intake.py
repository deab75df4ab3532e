"""Taking submissions in: which entries are submissions, what each is called, and whether the
grader may read it at all, decided before anything of it is read.

A submissions folder is whatever an archive left: links (to the solution, to ``/etc/shadow``),
named pipes, device nodes, folders named ``x.ipynb``, names in no encoding, files of gigabytes.
The grader runs as root and reads these files itself (to hash them, to read them as notebooks),
outside any sandbox. So only regular files are read, opened without following a link and without
blocking, measured by ``fstat`` before a byte is read, and read in bounded chunks; every entry named
``*.ipynb`` that is not graded still gets its row, which says why.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from grader.errors import SubmissionsError
from grader.results._model import INVALID_NOTEBOOK, Status

#: Largest notebook file graded, in bytes; bigger files are refused unread.
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024
SUFFIX = ".ipynb"
#: Bytes read at a time while hashing.
_CHUNK = 1 << 20
#: What an entry that is not a regular file is: its code (kept in the row's event) and words.
_KINDS = {
    stat.S_IFLNK: ("symlink", "a symbolic link"),
    stat.S_IFIFO: ("fifo", "a named pipe (FIFO)"),
    stat.S_IFCHR: ("char_device", "a character device"),
    stat.S_IFBLK: ("block_device", "a block device"),
    stat.S_IFSOCK: ("socket", "a socket"),
    stat.S_IFDIR: ("folder", "a folder"),
}


_NOT_REGULAR = (
    "This entry is {}, not a regular file: it was not graded (the grader reads only regular "
    "files, and follows no link)."
)


class NotGradable(Exception):
    """The file is not one the grader reads: ``problem`` is the row's sentence, ``params`` its
    data (``file_type``, or ``size`` and ``cap``)."""

    def __init__(self, problem: str, params: dict[str, Any]) -> None:
        super().__init__(problem)
        self.problem = problem
        self.params = params


@dataclass(frozen=True)
class Entry:
    """One submission as taken in: its path, its name, and its hash, or why it is not graded
    (``status``: the row's, ``invalid_notebook`` unless the roster's student handed nothing
    in)."""

    path: Path
    name: str
    sha256: str = ""
    problem: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    status: Status = INVALID_NOTEBOOK


def submission_name(path: Path) -> str:
    """The name of the submission in ``path``: its file name without ``.ipynb``, as text any
    output takes. A byte no encoding reads (``M\\xfcller`` unzipped from Windows) is shown as
    ``\\xfc`` and a backslash as ``\\\\``; every other name is its stem unchanged. So each file
    has one name and each name one file (resume finds it again), and the name reads back to
    the file's bytes."""
    shown = []
    for char in path.stem:
        if "\udc80" <= char <= "\udcff":  # os.fsdecode's surrogateescape: one raw byte
            shown.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif char == "\\" or "\ud800" <= char <= "\udfff":
            shown.append(char.encode("unicode_escape").decode("ascii"))
        else:
            shown.append(char)
    return "".join(shown)


def collect_submissions(paths: Sequence[Path]) -> list[Path]:
    """Expand folders to their entries named ``*.ipynb``, whatever they are (each gets a row);
    refuse an empty set and duplicate names. A path named on the command line is followed only
    to a folder (the instructor's own), and one named ``*.ipynb`` is never taken for a folder,
    so collecting what was collected gives the same list."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir() and not path.name.endswith(SUFFIX):
            found.extend(sorted(p for p in path.iterdir() if p.name.endswith(SUFFIX)))
        elif os.path.lexists(path):
            found.append(path)
        else:
            raise SubmissionsError(f"no such submission file or folder: {path}")
    if not found:
        where = ", ".join(str(p) for p in paths)
        raise SubmissionsError(f"no .ipynb notebooks found in {where}")
    names: dict[str, Path] = {}
    for path in found:
        name = submission_name(path)
        if name in names:
            raise SubmissionsError(
                f"two submissions share the name {name!r}: {names[name]} and {path}; "
                "rename one so each row of the report is unambiguous"
            )
        names[name] = path
    return found


def examine(path: Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> Entry:
    """``path`` taken in: hashed in chunks if it is a regular file within ``max_bytes``, else
    why not. Nothing the entry is raises here."""
    name = submission_name(path)
    try:
        with open_regular(path, max_bytes) as (handle, _):
            digest = hashlib.sha256()
            read = 0
            while chunk := handle.read(_CHUNK):
                read += len(chunk)
                if read > max_bytes:  # it grew after it was measured
                    raise NotGradable(*too_big(read, max_bytes))
                digest.update(chunk)
    except NotGradable as exc:
        return Entry(path, name, "", exc.problem, exc.params)
    except OSError as exc:
        return Entry(path, name, "", unreadable(exc), {})
    return Entry(path, name, digest.hexdigest())


@contextmanager
def open_regular(path: Path, max_bytes: int) -> Iterator[tuple[BinaryIO, int]]:
    """``path`` open for reading, and its size: only a regular file of at most ``max_bytes``.

    Its type is read with ``lstat`` first, so a link, a pipe or a device is never opened; then
    it is opened with ``O_NOFOLLOW`` and ``O_NONBLOCK`` (an entry swapped meanwhile for a link
    or a pipe neither leads elsewhere nor blocks) and ``fstat`` must find the same regular file.
    Raises NotGradable, or OSError where it cannot be read."""
    before = os.lstat(path)
    _check_regular(before.st_mode)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a link by now
            _check_regular(stat.S_IFLNK)
        raise
    with os.fdopen(fd, "rb") as handle:
        now = os.fstat(fd)
        _check_regular(now.st_mode)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise NotGradable(
                _NOT_REGULAR.format("another file by the time it was opened"),
                {"file_type": "replaced"},
            )
        if now.st_size > max_bytes:
            raise NotGradable(*too_big(now.st_size, max_bytes))
        yield handle, now.st_size


def unreadable(exc: OSError) -> str:
    return f"This file cannot be read ({exc.strerror or exc})."


def _check_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    code, words = _KINDS.get(stat.S_IFMT(mode), ("other", "of no type the grader knows"))
    raise NotGradable(_NOT_REGULAR.format(words), {"file_type": code})


def too_big(size: int, cap: int) -> tuple[str, dict[str, Any]]:
    problem = (
        f"This file is {size / 2**20:.1f} MiB; the grader takes notebooks of at most "
        f"{cap / 2**20:g} MiB. Clear the outputs (Kernel > Restart & Clear Output) and save."
    )
    return problem, {"size": size, "cap": cap}
