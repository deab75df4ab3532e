"""The one host folder a kernel can write (``r/``, its sockets), bounded in bytes and entries.

The kernel's sockets must be reachable from the grader, so ``r/`` is a host folder bound into the
sandbox; every other place the kernel writes is a RAM-backed tmpfs of the sandbox's own. Left a
plain folder, ``r/`` took 384 MiB and 20,000 files of the host's disk in 4 s. Where the grader
runs as root (and may mount), ``r/`` is therefore a tmpfs of its own, mounted on the host
before the kernel starts, with ``size=`` and ``nr_inodes=`` (:data:`SOCKETS_BYTES`,
:data:`SOCKETS_ENTRIES`): the kernel needs five sockets, and its writes beyond the bound fail
with ``ENOSPC``. Its pages are charged to the memory cgroup of the process that writes them,
the submission's. A warm zygote sees the mount because its inbox is a shared mount
(:func:`share`) that the zygote's copy follows as a slave.

A grader that is not root cannot mount: there ``r/`` stays a plain folder, each file bounded by
the kernel's file-size limit, and the bound is checked once the kernel is gone
(:func:`exceeded`), so the submission is still told and its writes are removed, but the disk
holds them while it runs. docs/explanation/isolation.md says so.
"""

from __future__ import annotations

import ctypes
import functools
import os
import tempfile
from pathlib import Path

#: Bytes and entries (files and folders, the root included) of a kernel's sockets folder.
SOCKETS_BYTES = 1 << 20
SOCKETS_ENTRIES = 64
#: The kernel's own sockets (``k-1`` ... ``k-5``), removed by the client as the kernel stops.
_KERNEL_SOCKETS = 5
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND = 2, 4, 8, 4096
_MS_SHARED = 1 << 20
_MNT_DETACH = 2


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return libc


def _mount(source: str | None, target: Path, fstype: str | None, flags: int, data: str) -> None:
    enc = [None if v is None else os.fsencode(v) for v in (source, str(target), fstype)]
    if _libc().mount(enc[0], enc[1], enc[2], flags, data.encode() or None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """Whether this process may mount a tmpfs (root with ``CAP_SYS_ADMIN``); tried once."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not os.path.exists("/proc/self"):
        return False
    trial = Path(tempfile.mkdtemp(prefix="grader-mount-probe-"))
    try:
        mount_bounded(trial)
        unmount(trial)
        return True
    except OSError:
        return False
    finally:
        os.rmdir(trial)


def mount_bounded(folder: Path) -> None:
    """A tmpfs of :data:`SOCKETS_BYTES` and :data:`SOCKETS_ENTRIES` on ``folder``."""
    data = (
        f"size={SOCKETS_BYTES},nr_inodes={SOCKETS_ENTRIES},mode=0700,"
        f"uid={os.geteuid()},gid={os.getegid()}"
    )
    _mount("tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, data)


def share(folder: Path) -> None:
    """Make ``folder`` a mount of its own whose later submounts propagate to its copies (a
    zygote's view, started before the submissions' ``r/`` are mounted)."""
    _mount(str(folder), folder, None, _MS_BIND, "")
    _mount(None, folder, None, _MS_SHARED, "")


def unmount(folder: Path) -> None:
    """Detach whatever is mounted on ``folder`` (lazily: a kernel still holding it keeps it)."""
    if _libc().umount2(os.fsencode(str(folder)), _MNT_DETACH) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"umount {folder}: {os.strerror(err)}")


def unmount_under(path: Path) -> None:
    """Unmount every mount at or below ``path``, deepest first (a dead run's leftovers)."""
    for point in sorted(mounts_under(path), key=len, reverse=True):
        try:
            unmount(Path(point))
        except OSError:
            pass  # gone already, or not ours to remove: the removal then names the folder


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below ``path`` in this process's mount namespace."""
    prefix = os.path.abspath(path)
    try:
        lines = Path("/proc/self/mountinfo").read_bytes().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split(b" ")
        if len(fields) < 5:
            continue
        point = os.fsdecode(_unescape(fields[4]))
        if point == prefix or point.startswith(prefix.rstrip("/") + "/"):
            found.append(point)
    return found


def _unescape(raw: bytes) -> bytes:
    """mountinfo writes space, tab, newline and backslash as ``\\ooo``."""
    if b"\\" not in raw:  # nearly every line: read twice per notebook, ~40 lines each
        return raw
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i : i + 1] == b"\\" and raw[i + 1 : i + 4].isdigit():
            out.append(int(raw[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def exceeded(folder: Path) -> bool:
    """Whether the kernel filled ``folder`` to its bound (tmpfs) or past it (a plain folder)."""
    try:
        if os.path.ismount(folder):
            info = os.statvfs(folder)
            # Checked before or after the client removed the sockets: an honest kernel leaves
            # at least SOCKETS_ENTRIES - 6 entries free, one that hit the bound at most five.
            return info.f_ffree <= _KERNEL_SOCKETS or info.f_bavail == 0
        return _walk_over(folder)
    except OSError:
        return False


def _walk_over(folder: Path) -> bool:
    """A plain folder: more than the bound of entries or bytes, counted without following
    links and stopping at the bound (never a walk of all 20,000 files)."""
    entries, size, stack = 1, 0, [str(folder)]
    while stack:
        with os.scandir(stack.pop()) as found:
            for entry in found:
                entries += 1
                info = entry.stat(follow_symlinks=False)
                size += info.st_blocks * 512
                if entries > SOCKETS_ENTRIES or size > SOCKETS_BYTES:
                    return True
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return False
