"""One cgroup per submission: caps its processes, its memory and its CPU, and finds every process.

Per-process limits are not enough. RLIMIT_NPROC counts per user and root ignores it; RLIMIT_AS is
per process, so three children and a file in a RAM-backed tmpfs add up to many times the cap; and
a notebook with fifty busy processes would take fifty shares of the CPU from an honest notebook
graded beside it. A cgroup holds all of a submission's processes and the tmpfs pages they write:

- ``pids``: at most ``max_processes`` at once (a fork bomb);
- ``memory``: everything together under ``memory_mb``; an OOM kill there is counted, so it is
  reported as ``resource_limit``, not as a kernel that died;
- ``cpu``: equal weight for every submission and at most one core, so a submission's load slows
  only itself; ``cpuacct`` (v1) or ``cpu.stat`` (v2) measure the CPU time it used.

Which controllers exist, and where, is read from the machine (``/proc/self/mounts`` and
``/proc/self/cgroup``), never assumed: a v1 hierarchy per controller, a v2 tree whose parent
delegates the controller, or none (then the caps fall back to rlimits and the process group, and
:func:`available` says what is missing). Group names carry the creating process's pid and start
time, so a later run can tell the leftovers of a dead run from a live concurrent batch.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

CONTROLLERS = ("pids", "memory", "cpu", "cpuacct")
PREFIX = "grader-"
#: CFS period and quota of one core, in microseconds.
_PERIOD_US = 100_000


@dataclass(frozen=True)
class _Hierarchy:
    """Where one controller's groups are made: ``base`` is a folder this process may write."""

    base: Path
    v2: bool


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _own_paths() -> tuple[dict[str, str], str | None]:
    """This process's cgroup per v1 controller, and its v2 cgroup (``0::``)."""
    v1: dict[str, str] = {}
    v2 = None
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            v2 = parts[2]
        for name in parts[1].split(","):
            v1[name] = parts[2]
    return v1, v2


def _writable_dir(path: Path) -> bool:
    return (path / "cgroup.procs").exists() and os.access(path, os.W_OK)


@functools.lru_cache(maxsize=1)
def hierarchies() -> dict[str, _Hierarchy]:
    """For each controller this process can use, where to create a submission's group."""
    own_v1, own_v2 = _own_paths()
    found: dict[str, _Hierarchy] = {}
    for line in _read(Path("/proc/self/mounts")).splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        mount, fstype, options = Path(fields[1]), fields[2], fields[3].split(",")
        if fstype == "cgroup":
            for name in set(options) & set(CONTROLLERS):
                own = mount / own_v1.get(name, "/").lstrip("/")
                base = own if _writable_dir(own) else mount
                if _writable_dir(base):
                    found.setdefault(name, _Hierarchy(base, v2=False))
        elif fstype == "cgroup2" and own_v2 is not None:
            own = mount / own_v2.lstrip("/")
            # A process may not sit in a cgroup whose children have controllers: use its parent.
            base = own if own == mount else own.parent
            delegated = _read(base / "cgroup.subtree_control").split()
            if not _writable_dir(base):
                continue
            for name in delegated:
                if name in CONTROLLERS:
                    found.setdefault(name, _Hierarchy(base, v2=True))
            if "cpu" in delegated:  # v2 accounts CPU time in cpu.stat of every group
                found.setdefault("cpuacct", _Hierarchy(base, v2=True))
    return found


def available() -> tuple[str, ...]:
    """The controllers a submission's cgroup gets on this machine."""
    return tuple(name for name in CONTROLLERS if name in hierarchies())


def process_tag(pid: int) -> str | None:
    """A pid with its start time: unique across pid reuse, so a dead run's groups are known."""
    stat = _read(Path(f"/proc/{pid}/stat"))
    if not stat:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return f"{pid}-{fields[19]}" if len(fields) > 19 else None


def owner_alive(name: str) -> bool:
    """Whether the process that made ``grader-<pid>-<start>-...`` still runs."""
    parts = name.removeprefix(PREFIX).split("-")
    if len(parts) < 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return True  # not a name of ours: never touched
    return process_tag(int(parts[0])) == f"{parts[0]}-{parts[1]}"


@dataclass
class SubmissionCgroup:
    """One submission's group in every hierarchy that is there: made before its first kernel,
    removed (after killing what is left in it) when the submission is done."""

    dirs: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def create(cls, memory_mb: int, max_processes: int) -> SubmissionCgroup | None:
        found = hierarchies()
        if not found:
            return None
        name = f"{PREFIX}{process_tag(os.getpid()) or os.getpid()}-{uuid.uuid4().hex[:8]}"
        group = cls()
        try:
            for controller, where in found.items():
                path = where.base / name
                if not path.exists():
                    path.mkdir()
                group.dirs[controller] = path
            group._set_limits(memory_mb, max_processes)
        except OSError:
            group.remove()
            return None
        return group

    def _set_limits(self, memory_mb: int, max_processes: int) -> None:
        if "pids" in self.dirs and max_processes > 0:
            (self.dirs["pids"] / "pids.max").write_text(str(max_processes))
        if "memory" in self.dirs and memory_mb > 0:
            limit = str(memory_mb * 1024 * 1024)
            memory = self.dirs["memory"]
            if (memory / "memory.max").exists():
                (memory / "memory.max").write_text(limit)
                _write_if_there(memory / "memory.swap.max", "0")
            else:
                (memory / "memory.limit_in_bytes").write_text(limit)
                _write_if_there(memory / "memory.memsw.limit_in_bytes", limit)
        if "cpu" in self.dirs:
            cpu = self.dirs["cpu"]
            if (cpu / "cpu.max").exists():
                (cpu / "cpu.max").write_text(f"{_PERIOD_US} {_PERIOD_US}")
            else:
                _write_if_there(cpu / "cpu.cfs_period_us", str(_PERIOD_US))
                _write_if_there(cpu / "cpu.cfs_quota_us", str(_PERIOD_US))

    def forgive_dead(self, max_processes: int) -> None:
        """Before a restart: processes that died but are not yet reaped (a fork bomb's children,
        whose parent was killed, wait for the machine's init) still count in ``pids.current``;
        raise the cap by that many, so the cap holds on live processes and the new kernel starts.
        """
        path = self.dirs.get("pids")
        current = _read(path / "pids.current").strip() if path is not None else ""
        if path is None or not current.isdigit() or max_processes <= 0:
            return
        dead = max(0, int(current) - len(self.pids()))
        with contextlib.suppress(OSError):
            (path / "pids.max").write_text(str(max_processes + dead))

    @property
    def controllers(self) -> tuple[str, ...]:
        return tuple(self.dirs)

    def _groups(self) -> list[Path]:
        return list(dict.fromkeys(self.dirs.values()))

    def join(self) -> None:
        """Move the calling process in: run in the kernel's child before exec."""
        for path in self._groups():
            with open(path / "cgroup.procs", "w") as handle:
                handle.write(str(os.getpid()))

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self._groups():
            with contextlib.suppress(ValueError):
                found.update(int(p) for p in _read(path / "cgroup.procs").split())
        return sorted(found)

    def cpu_seconds(self) -> float | None:
        """CPU time (user and system) used by every process the submission ran so far."""
        path = self.dirs.get("cpuacct")
        if path is None:
            return None
        usage = _read(path / "cpuacct.usage").strip()
        if usage.isdigit():
            return int(usage) / 1e9
        for line in _read(path / "cpu.stat").splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec" and value.strip().isdigit():
                return int(value) / 1e6
        return None

    def memory_peak_bytes(self) -> int | None:
        path = self.dirs.get("memory")
        if path is None:
            return None
        for name in ("memory.max_usage_in_bytes", "memory.peak"):
            text = _read(path / name).strip()
            if text.isdigit():
                return int(text)
        return None

    def oom_kills(self) -> int:
        """How many processes the kernel killed for going over the memory cap."""
        path = self.dirs.get("memory")
        if path is None:
            return 0
        for name in ("memory.events", "memory.oom_control"):
            for line in _read(path / name).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip().isdigit():
                    return int(value)
        return 0

    def kill_all(self, seconds: float = 5.0) -> bool:
        """SIGKILL every process in the group until none is left; False if some survived.
        Checked again after 1 ms, then less and less often (up to every 20 ms): a killed
        kernel is usually gone within a few, and every submission's teardown waits for it."""
        deadline = time.monotonic() + seconds
        pause = 0.001
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        return not self.pids()

    def remove(self) -> None:
        self.kill_all()
        for path in self._groups():
            _rmdir(path)
        self.dirs = {}


def _write_if_there(path: Path, value: str) -> None:
    if path.exists():
        with contextlib.suppress(OSError):
            path.write_text(value)


def _rmdir(path: Path) -> None:
    for _ in range(50):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)


def sweep_leftovers() -> list[Path]:
    """Remove the groups of grader runs that are gone (killed with -9, a reboot): their processes
    are killed first. Groups of live runs, and anything not named by the grader, stay."""
    removed = []
    for where in {h.base for h in hierarchies().values()}:
        with contextlib.suppress(OSError):
            for path in where.iterdir():
                if path.is_dir() and path.name.startswith(PREFIX) and not owner_alive(path.name):
                    SubmissionCgroup({"any": path}).remove()
                    removed.append(path)
    return removed
