"""Kernels as an unprivileged user of their own: the isolation level ``user``.

For a grader that runs as root where bubblewrap cannot (a container that blocks user
namespaces, as Gradescope's usually does). Without a sandbox a root kernel could read the
oracles, rewrite the report and kill the grader, so the grader refuses that; ``GRADER_KERNEL_USER``
names an account (made for the purpose, without a password or a shell) that the kernel runs as
instead. The grader stays root; between fork and exec it sets the kernel's limits and joins its
cgroup, then ``setpriv`` drops to that user's uid and gid, clears the supplementary groups and
sets no_new_privs (a setuid program cannot raise it again) before the kernel starts.

The user gets only what the kernel needs, through its group: the scratch folder's root to pass
through, ``work`` (its cwd; sticky, so the notebook's copy and the data files, owned by root, can
be read but not replaced), ``home`` and ``r`` (its sockets) to write, and the connection file to
read. Everything else of the grader's is as any other user sees it: files readable by all are,
root's own (mode 0700 and the like) are not. What this level does not give, unlike bubblewrap:
a network namespace (the kernel can reach the network if the machine can), a pid namespace (it
can list other processes), a private ``/tmp``, and a read-only view of the system.
"""

from __future__ import annotations

import os
import pwd
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.errors import KernelStartError

#: The environment variable naming the kernels' user (``user`` level; see the module).
KERNEL_USER_ENV = "GRADER_KERNEL_USER"


@dataclass(frozen=True)
class KernelUser:
    name: str
    uid: int
    gid: int


def kernel_user() -> KernelUser | None:
    """The account ``GRADER_KERNEL_USER`` names, or None where it is unset; an unknown name,
    root, or a missing ``setpriv`` is an error, never a silent root kernel."""
    name = os.environ.get(KERNEL_USER_ENV, "").strip()
    if not name:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise KernelStartError(
            f"{KERNEL_USER_ENV}={name!r}: no such user; create it first (useradd --system "
            f"--user-group --no-create-home --shell /usr/sbin/nologin {name})"
        ) from None
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise KernelStartError(f"{KERNEL_USER_ENV}={name!r} has uid or gid 0: not unprivileged")
    if shutil.which("setpriv") is None:
        raise KernelStartError(f"{KERNEL_USER_ENV} needs setpriv (util-linux), not found")
    return KernelUser(name, entry.pw_uid, entry.pw_gid)


def drop_argv(user: KernelUser) -> list[str]:
    """The prefix that starts the kernel as ``user``: its uid and gid, no other group, no way
    back to more privileges (every capability is dropped with uid 0)."""
    setpriv = shutil.which("setpriv") or "setpriv"
    return [
        setpriv,
        f"--reuid={user.uid}",
        f"--regid={user.gid}",
        "--clear-groups",
        "--no-new-privs",
        "--",
    ]


def nproc_preexec(max_processes: int) -> Callable[[], None]:
    """RLIMIT_NPROC, set before the drop: ignored while the process is root, it counts the
    user's processes once it runs as the kernel's user (``_process`` skips it for root)."""
    import resource

    def preexec() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_NPROC)
        soft = max_processes if hard == resource.RLIM_INFINITY else min(max_processes, hard)
        resource.setrlimit(resource.RLIMIT_NPROC, (soft, soft))

    return preexec


def share_scratch(
    root: Path, work: Path, home: Path, run: Path, conn: Path, user: KernelUser
) -> None:
    """Open the scratch folder to the kernel's group, no further (see the module)."""
    modes = ((root, 0o710), (work, 0o1770), (home, 0o770), (run, 0o770), (conn, 0o750))
    for folder, mode in modes:
        os.chown(folder, 0, user.gid)
        os.chmod(folder, mode)
    for file in work.iterdir():
        if file.is_file() and not file.is_symlink() and file.stat().st_uid == 0:
            os.chown(file, 0, user.gid)
            os.chmod(file, 0o640)


def share_file(path: Path, gid: int) -> None:
    """The connection file, readable by the kernel's group and writable by root only."""
    os.chown(path, 0, gid)
    os.chmod(path, 0o640)
