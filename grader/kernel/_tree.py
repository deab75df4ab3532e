"""Removing folders that a submission wrote into: iteratively, without following links, and
never failing the run.

``shutil.rmtree`` recurses, so a kernel that made 3,000 nested folders raised RecursionError
(even with ``ignore_errors``); its paths also outgrow ``PATH_MAX``. Here the walk holds one
folder open at a time and names entries relative to it (``dir_fd``), so neither depth nor path
length matters; links are removed, never followed; another file system mounted inside (a
submission's bounded tmpfs not yet unmounted) is left alone rather than emptied. Whatever cannot
be removed is reported back, for the caller to name once and skip.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def remove_tree(path: Path) -> str | None:
    """Remove ``path`` and everything under it; None when it is gone, else why it is not."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        if not stat.S_ISDIR(info.st_mode):
            os.unlink(path)
            return None
        return _remove_folder(path, info.st_dev)
    except OSError as exc:
        return exc.strerror or str(exc)


def remove_quietly(path: Path, what: str = "leftover") -> bool:
    """Remove ``path``; where that fails, name it once on stderr and go on. True if removed."""
    why = remove_tree(path)
    if why is None:
        return True
    name = os.fsencode(path).decode("utf-8", "backslashreplace")
    print(f"Warning: could not remove the {what} {name!r} ({why}); skipped.", file=sys.stderr)
    return False


def _remove_folder(path: Path, device: int) -> str | None:
    """Depth first, one open folder at a time: the names of the folders above are a list."""
    fd = os.open(path, _DIR_FLAGS)
    names: list[str] = []  # the folders between ``path`` and the one open
    stuck: set[int] = set()  # inodes of folders that could not be emptied or removed
    failure: str | None = None
    try:
        while True:
            below, why = _empty_files(fd, device, stuck)
            failure = failure or why
            if below is not None:
                child = os.open(below, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
                names.append(below)
                continue
            if not names:
                break
            inode = os.fstat(fd).st_ino
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            try:
                os.rmdir(names.pop(), dir_fd=fd)
            except OSError as exc:
                stuck.add(inode)
                failure = failure or exc.strerror
    finally:
        os.close(fd)
    try:
        os.rmdir(path)
    except OSError as exc:
        return failure or exc.strerror or str(exc)
    return failure


def _empty_files(fd: int, device: int, stuck: set[int]) -> tuple[str | None, str | None]:
    """Unlink every non-folder in ``fd``; return a sub-folder still to empty (if any) and why
    something could not be removed (if so). Mount points go to ``stuck``, untouched."""
    failure = None
    with os.scandir(fd) as entries:
        for entry in entries:
            try:
                if not entry.is_dir(follow_symlinks=False):
                    os.unlink(entry.name, dir_fd=fd)
                    continue
                inode = entry.inode()
                if inode in stuck:
                    continue
                if entry.stat(follow_symlinks=False).st_dev != device:
                    stuck.add(inode)
                    failure = failure or "another file system is mounted inside"
                    continue
                return entry.name, failure
            except FileNotFoundError:
                continue
            except OSError as exc:
                failure = failure or exc.strerror or str(exc)
    return None, failure
