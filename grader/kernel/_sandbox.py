"""Where and how a student's kernel process runs: scratch folder, clean environment, limits.

The kernel gets a scratch folder holding only its own notebook (and the assignment's data files),
a clean environment (no PYTHONPATH, no user site, HOME and IPYTHONDIR inside the scratch folder so
no ``~/.ipython`` startup file runs) and resource limits set in the child before it executes.

Where bubblewrap works (Linux), the kernel also runs inside it (isolation level ``bwrap``), because
a plain process can read whatever the grader's user can: the oracles, the solution notebook, the
frozen inputs, other students' notebooks. In the sandbox it sees only the system (``/usr`` and a
few files of ``/etc``) and the Python installation, read-only; its scratch folder is the one
writable place, bound at the same path so the connection file and cwd stay valid; ``/tmp`` is a
small private tmpfs. The repository and the submissions folder are not mounted at all, so even an
editable install (whose site-packages finder points into the repository) cannot import ``grader``
or ``reference`` there. It has its own network namespace (only a loopback of its own: the kernel
talks to the grader over unix sockets in the scratch folder), its own pid, ipc, uts and user
namespaces (uid and gid 65534 inside) and no capabilities. The rlimits set before exec apply to
bwrap and are inherited by the kernel. Elsewhere the level is ``process``; say so with
:func:`isolation_notice`.

``GRADER_SANDBOX`` picks the level: ``auto`` (default) bwrap where a one-time probe shows it
works, else process; ``bwrap`` bwrap or :class:`~grader.errors.KernelStartError`; ``none``
process.

Flags left out on purpose: ``--new-session`` (the kernel has no terminal to inject into, since
jupyter_client starts it in a new session with stdin a pipe, and a session of its own would put
the kernel outside the process group that interrupts and kills are sent to).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import KernelStartError
from grader.kernel import _process
from grader.kernel._cgroup import PidsGroup
from grader.kernel._limits import Limits

#: Variables a kernel may inherit; everything else (tokens, PYTHONPATH, ...) is dropped.
_KEPT_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass
class Scratch:
    """A submission's private folders: ``work`` (the kernel's cwd) and ``run`` (its sockets)."""

    root: Path
    #: The submission's pids cgroup, made with its first kernel where the machine allows.
    cgroup: PidsGroup | None = None
    #: A pipe whose write end only the grading process holds: its kernels exit on EOF.
    lifeline: tuple[int, int] | None = None

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @classmethod
    def create(cls, notebook: Path, data_files: tuple[Path, ...] = ()) -> Scratch:
        root = Path(tempfile.mkdtemp(prefix="grader-"))
        scratch = cls(root)
        for folder in (scratch.work, scratch.run, scratch.root / "home"):
            folder.mkdir()
        shutil.copyfile(notebook, scratch.work / "submission.ipynb")
        for data in data_files:
            shutil.copyfile(data, scratch.work / data.name)
        return scratch

    def kill_all(self) -> None:
        """Every process of this submission, even one that left the kernel's process group."""
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def remove(self) -> None:
        if self.lifeline is not None:
            for fd in self.lifeline:
                os.close(fd)
            self.lifeline = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        shutil.rmtree(self.root, ignore_errors=True)


def kernel_env(scratch: Scratch) -> dict[str, str]:
    """A clean environment: nothing of the grader's leaks into the student's kernel."""
    env = {key: os.environ[key] for key in _KEPT_ENV if key in os.environ}
    home = scratch.root / "home"
    env.update(
        HOME=str(home),
        IPYTHONDIR=str(home / ".ipython"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        MPLBACKEND="Agg",
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
        # One kernel per core is the parallelism; BLAS threads would only fight over cores.
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        TMPDIR=str(scratch.root / "home"),
    )
    return env


@dataclass(frozen=True)
class Launch:
    """How to start one kernel: its command line, the keyword arguments for Popen, and how
    isolated it is (``bwrap`` or ``process``, see the module's docstring)."""

    argv: list[str]
    popen_kwargs: dict[str, Any]
    isolation: str


def prepare_launch(scratch: Scratch, limits: Limits) -> Launch:
    """The kernel's command, environment, folder and limits for this machine."""
    level = isolation_level()
    kwargs: dict[str, Any] = {
        "cwd": str(scratch.work),
        "env": kernel_env(scratch),
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
    }
    if scratch.cgroup is None:
        scratch.cgroup = PidsGroup.create(limits.max_processes)
    preexec = _process.chain(
        scratch.cgroup.join if scratch.cgroup else None, _process.limits_preexec(limits)
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
        argv = [*bwrap_argv(scratch, _probe().bwrap), *argv]
        # No JPY_PARENT_PID: the pid namespace hides the grader, and ipykernel would take a
        # parent pid it cannot see for a parent that exited. bwrap's --die-with-parent and the
        # death signal set before exec tie the kernel to the grader instead.
        kwargs["independent"] = True
        kwargs["preexec_fn"] = _process.ignoring_sigint(preexec)
    return Launch(argv, kwargs, isolation=level)


# -- bubblewrap ---------------------------------------------------------------------------------

#: The environment variable that picks the isolation level: ``auto``, ``bwrap`` or ``none``.
SANDBOX_ENV = "GRADER_SANDBOX"
#: The kernel's uid and gid inside its user namespace ("nobody"): it owns nothing it can change.
SANDBOX_ID = 65534
#: Bytes of the kernel's private /tmp. RAM-backed, so small; TMPDIR points into the scratch.
TMP_BYTES = 64 * 1024 * 1024
#: System folders, bound read-only where they are folders and recreated where they are symlinks.
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
#: What of /etc the interpreter and its libraries read; not /etc at large (e.g. /etc/shadow).
_ETC = (
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "passwd", "group",
    "nsswitch.conf", "hosts", "alternatives", "fonts", "mime.types",
)  # fmt: skip
#: Namespaces and privileges; the probe runs with exactly these, so a refusal shows there.
_ISOLATION_FLAGS = (
    "--die-with-parent", "--unshare-user", "--uid", str(SANDBOX_ID), "--gid", str(SANDBOX_ID),
    "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    "--cap-drop", "ALL",
)  # fmt: skip


@dataclass(frozen=True)
class _Probe:
    """Whether bubblewrap can run a kernel here: the bwrap found, or why there is none."""

    bwrap: str
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def sandbox_mode() -> str:
    """The level asked for in ``GRADER_SANDBOX``; a typo is an error, not a silent fallback."""
    mode = os.environ.get(SANDBOX_ENV, "auto").strip().lower() or "auto"
    if mode not in ("auto", "bwrap", "none"):
        raise KernelStartError(
            f"{SANDBOX_ENV}={mode!r} is not a sandbox level: use auto, bwrap or none."
        )
    return mode


def isolation_level() -> str:
    """``bwrap`` or ``process``: how this process's kernels run (the probe runs once)."""
    mode = sandbox_mode()
    if mode == "none":
        return "process"
    probe = _probe()
    if probe.ok:
        return "bwrap"
    if mode == "bwrap":
        raise KernelStartError(
            f"{SANDBOX_ENV}=bwrap, but bubblewrap cannot run kernels here: {probe.reason}. "
            f"Install bubblewrap >= 0.5 with user namespaces allowed, or set {SANDBOX_ENV}=auto."
        )
    return "process"


def isolation_notice() -> str | None:
    """One sentence for a batch's log when kernels are not sandboxed, and why; else None.

    Printed once per batch, so whoever grades knows the grades rest on trust in that case.
    """
    if isolation_level() == "bwrap":
        return None
    if sandbox_mode() == "none":
        why = f"{SANDBOX_ENV}=none"
    else:
        why = f"bubblewrap not available ({_probe().reason})"
    text = (
        f"{why}: kernels run as plain processes that can read whatever the grader's user can "
        "(with an editable install, the oracles in the repository too)"
    )
    if _process.limits_preexec(Limits()) is None:
        text += "; this platform has no memory or file-size limits either"
    return text + "."


def bwrap_argv(scratch: Scratch, bwrap: str) -> list[str]:
    """bwrap's command line, up to the command it runs: a view with nothing of the project."""
    argv = [bwrap, *_ISOLATION_FLAGS, "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for path in _SYSTEM:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
    for root in _read_only_roots():
        argv += ["--ro-bind", root, root]
    for name in _ETC:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    root = str(scratch.root)
    argv += ["--proc", "/proc", "--dev", "/dev", "--bind", root, root]
    return [*argv, "--chdir", str(scratch.work), "--"]


def _read_only_roots() -> list[str]:
    """System folders and the interpreter's installation, each once (no folder inside another).

    Both a path and its resolved form are kept, so symlinked prefixes (a venv's python pointing
    at its base interpreter) resolve inside the sandbox as outside.
    """
    paths = [p for p in _SYSTEM if os.path.isdir(p) and not os.path.islink(p)]
    paths += [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    paths += [os.path.dirname(sys.executable)]
    paths += [v for k, v in sysconfig.get_paths().items() if k.endswith(("lib", "stdlib"))]
    found = {os.path.abspath(p) for p in paths if p and os.path.isdir(p)}
    found |= {os.path.realpath(p) for p in found}
    roots: list[str] = []
    for path in sorted(found, key=len):
        if not any(_inside(path, root) for root in roots):
            roots.append(path)
    return roots


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _exposed_source() -> str | None:
    """A mounted root holding the grader's own source tree (its repository), if one does.

    With an editable install the package lives in the repository beside reference/; a prefix
    that contains it (say a venv's base at /) would hand the oracles to the kernel.
    """
    home = str(Path(__file__).resolve().parents[1])
    installed = {os.path.realpath(v) for v in sysconfig.get_paths().values()}
    if home in installed:
        return None
    return next((root for root in _read_only_roots() if _inside(home, root)), None)


@functools.lru_cache(maxsize=1)
def _probe() -> _Probe:
    """Run the interpreter once in bwrap with the kernels' flags; cached for the process."""
    if not sys.platform.startswith("linux"):
        return _Probe("", f"bubblewrap is Linux-only, this is {sys.platform}")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return _Probe("", "no bwrap on PATH")
    exposed = _exposed_source()
    if exposed is not None:
        return _Probe(bwrap, f"{exposed} would be mounted and it holds the grader's repository")
    scratch = Scratch(Path(tempfile.mkdtemp(prefix="grader-probe-")))
    try:
        scratch.work.mkdir()
        argv = [*bwrap_argv(scratch, bwrap), sys.executable, "-s", "-c", "pass"]
        done = subprocess.run(
            argv, env=kernel_env(scratch), capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return _Probe(bwrap, f"{bwrap} failed: {exc}")
    finally:
        scratch.remove()
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return _Probe(bwrap, lines[-1] if lines else f"{bwrap} exited with {done.returncode}")
    return _Probe(bwrap)
