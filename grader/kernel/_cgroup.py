"""A pids cgroup per submission: caps its processes and kills every one of them at the end.

RLIMIT_NPROC counts per user and is ignored for root, and a kernel inside bubblewrap is still root
outside it; so a fork bomb is capped here instead, where the machine lets us write a pids cgroup
(cgroup v1 ``/sys/fs/cgroup/pids``, or a cgroup v2 tree with the pids controller). The same group
finds every process the notebook started, even one that left the kernel's process group with
``setsid``, so none outlives its submission. Where no cgroup can be made, both fall back to the
process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

_V1_ROOT = Path("/sys/fs/cgroup/pids")


def _base() -> Path | None:
    """A folder where this process may create pids cgroups, or None."""
    if (_V1_ROOT / "cgroup.procs").exists() and os.access(_V1_ROOT, os.W_OK):
        return _V1_ROOT
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            own = Path("/sys/fs/cgroup") / line[3:].lstrip("/")
            controllers = own.parent / "cgroup.subtree_control"
            with contextlib.suppress(OSError):
                if "pids" in controllers.read_text().split() and os.access(own.parent, os.W_OK):
                    return own.parent
    return None


class PidsGroup:
    """One submission's cgroup: created before its kernel, removed after."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, max_processes: int) -> PidsGroup | None:
        base = _base()
        if base is None or max_processes <= 0:
            return None
        path = base / f"grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_processes))
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            return None
        return cls(path)

    def join(self) -> None:
        """Move the calling process in: run in the kernel's child before exec."""
        with open(self.path / "cgroup.procs", "w") as handle:
            handle.write(str(os.getpid()))

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_all(self, seconds: float = 5.0) -> None:
        """SIGKILL every process in the group until none is left (a fork bomb keeps forking)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def remove(self) -> None:
        self.kill_all()
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)
