"""Reading a download as it came: a folder, or a zip read in place, never unpacked.

A download is student-made content: a zip may name ``../../.bashrc``, hold a link to
``/etc/shadow``, expand a few kilobytes into gigabytes, or name its files in no encoding; a
folder may hold links, pipes and devices. So every entry is judged from its metadata before a
byte of it is read: a zip's central directory is checked whole first (entry count and total
expanded size capped; a path leaving the download, a link or an encrypted entry refused), each
read is bounded by its declared size and the notebook cap, and a folder is walked without
following links (``.git`` skipped), its files opened with ``O_NOFOLLOW`` and measured by
``fstat``. What is refused is said (``refused``), never silently dropped.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.course._names import shown
from grader.errors import SubmissionsError

#: Largest notebook read, in bytes (as the batch's own cap).
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024
#: Largest other file read (Gradescope's metadata).
MAX_METADATA_BYTES = 16 * 1024 * 1024
#: Most entries a zip may hold, and most bytes all of them may expand to.
MAX_ZIP_ENTRIES = 20_000
MAX_ZIP_EXPANDED = 4 * 1024**3
#: Folders never looked into: a clone's git data, macOS's zip debris.
SKIPPED_DIRS = frozenset({".git", "__MACOSX"})
_LINK = 0o120000


@dataclass(frozen=True)
class Item:
    """One file of a download: its path inside it (``/``-separated, printable) and size."""

    path: PurePosixPath
    size: int
    #: What reads it: a zip member's name, or a file's path on disk.
    handle: str = field(default="", compare=False, repr=False)


@dataclass
class Download:
    """The files of a download, and what was refused in it (path, why)."""

    origin: Path
    kind: str  # "zip" or "folder"
    items: list[Item]
    refused: list[tuple[str, str]] = field(default_factory=list)

    def read(self, item: Item, cap: int = MAX_NOTEBOOK_BYTES) -> bytes:
        """The bytes of ``item``, at most ``cap`` of them (SubmissionsError past that)."""
        if item.size > cap:
            raise SubmissionsError(f"{item.path} is {item.size} bytes, over the cap of {cap}")
        if self.kind == "zip":
            with zipfile.ZipFile(self.origin) as archive, archive.open(item.handle) as handle:
                data = handle.read(cap + 1)
        else:
            data = _read_regular(Path(item.handle), cap)
        if len(data) > cap:
            raise SubmissionsError(f"{item.path} grew past the cap of {cap} bytes while read")
        return data


def open_download(path: Path) -> Download:
    """``path`` (a zip file or a folder) as a :class:`Download`; SubmissionsError if neither."""
    if path.is_dir():
        return _folder(path)
    if path.is_file() and zipfile.is_zipfile(path):
        return _zip(path)
    raise SubmissionsError(f"{path} is neither a folder nor a zip file")


def _folder(root: Path) -> Download:
    items: list[Item] = []
    refused: list[tuple[str, str]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            full = Path(folder, name)
            relative = PurePosixPath(shown(full.relative_to(root).as_posix()))
            info = os.lstat(full)
            if stat.S_ISLNK(info.st_mode):
                refused.append((str(relative), "a symbolic link (not followed)"))
            elif not stat.S_ISREG(info.st_mode):
                refused.append((str(relative), "not a regular file"))
            else:
                items.append(Item(relative, info.st_size, str(full)))
    return Download(root, "folder", items, refused)


def _zip(path: Path) -> Download:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionsError(f"cannot read the zip file {path} ({exc})") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise SubmissionsError(
            f"{path} holds {len(infos)} entries; the grader reads zips of at most "
            f"{MAX_ZIP_ENTRIES} (unpack it and pass the folder of notebooks instead)"
        )
    expanded = sum(info.file_size for info in infos)
    if expanded > MAX_ZIP_EXPANDED:
        raise SubmissionsError(
            f"{path} would expand to {expanded / 2**30:.1f} GiB; the grader reads zips of at "
            f"most {MAX_ZIP_EXPANDED / 2**30:g} GiB expanded"
        )
    items: list[Item] = []
    refused: list[tuple[str, str]] = []
    for info in infos:
        name = _member_name(info)
        problem = _member_problem(info, name)
        if problem:
            refused.append((name, problem))
        elif not info.is_dir() and not set(PurePosixPath(name).parts) & SKIPPED_DIRS:
            items.append(Item(PurePosixPath(name), info.file_size, info.filename))
    return Download(path, "zip", items, refused)


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as text: UTF-8 where the zip says so or its bytes are UTF-8, else each
    byte that is not ASCII shown as ``\\xNN`` (a Windows zip names files in its code page)."""
    if info.flag_bits & 0x800:
        return shown(info.filename)
    raw = info.filename.encode("cp437")  # zipfile decodes names without the flag as cp437
    try:
        return shown(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return shown(raw.decode("utf-8", "surrogateescape"))


def _member_problem(info: zipfile.ZipInfo, name: str) -> str:
    """Why a zip member is not read, or ""."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and parts[0].endswith(":")):
        return "a path that leaves the download (not read)"
    if (info.external_attr >> 16) & 0o170000 == _LINK:
        return "a symbolic link (not followed)"
    if info.flag_bits & 0x1:
        return "encrypted (not read)"
    return ""


def _read_regular(path: Path, cap: int) -> bytes:
    """A regular file's bytes, opened without following a link or blocking on a pipe."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SubmissionsError(f"cannot read {path} ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > cap:
            raise SubmissionsError(f"{path} is not a regular file of at most {cap} bytes")
        return handle.read(cap + 1)
