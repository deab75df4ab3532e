"""Where and how a student's kernel process runs: scratch folder, clean environment, limits.

The kernel gets a scratch folder holding only its own notebook (and the assignment's data files),
a clean environment (no PYTHONPATH, no user site, HOME and IPYTHONDIR inside the scratch folder so
no ``~/.ipython`` startup file runs) and resource limits set in the child before it executes.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader._limits import Limits

#: Variables a kernel may inherit; everything else (tokens, PYTHONPATH, ...) is dropped.
_KEPT_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass
class Scratch:
    """A submission's private folders: ``work`` (the kernel's cwd) and ``run`` (its sockets)."""

    root: Path

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

    def remove(self) -> None:
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
    """How to start one kernel: its command line and the keyword arguments for Popen."""

    argv: list[str]
    popen_kwargs: dict[str, Any]
    isolation: str


def prepare_launch(scratch: Scratch, limits: Limits) -> Launch:
    """The kernel's command, environment, folder and limits for this machine."""
    kwargs: dict[str, Any] = {
        "cwd": str(scratch.work),
        "env": kernel_env(scratch),
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
    }
    preexec = limits_preexec(limits)
    if preexec is not None:
        kwargs["preexec_fn"] = preexec
    return Launch(kernel_argv(), kwargs, isolation="process")


def kernel_argv() -> list[str]:
    """The grader's own interpreter, whatever kernelspec the notebook names (e.g. a conda env)."""
    return [sys.executable, "-s", "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def limits_preexec(limits: Limits) -> Callable[[], None] | None:
    """A function run in the kernel's process after fork, before exec: caps and a death signal."""
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the wall-clock watchdog still applies.
        return None

    caps = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * 1024 * 1024),
        (resource.RLIMIT_NOFILE, limits.open_files),
    ]
    if limits.memory_mb:
        caps.append((resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024))
    if os.getuid() != 0 and hasattr(resource, "RLIMIT_NPROC"):
        # Counted per user, and ignored for root: only meaningful for a kernel with its own user.
        caps.append((resource.RLIMIT_NPROC, limits.max_processes))

    def preexec() -> None:
        for which, value in caps:
            _, hard = resource.getrlimit(which)
            soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (soft, hard if hard != resource.RLIM_INFINITY else soft))
        _die_with_parent()

    return preexec


def _die_with_parent() -> None:
    """Linux: the kernel gets SIGKILL when the process that started it dies, even by kill -9."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def kill_process_group(pid: int | None) -> None:
    """Kill a kernel and everything it started (it leads its own session and group)."""
    if pid is None or not hasattr(os, "killpg"):
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
