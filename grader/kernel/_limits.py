"""The resource limits one submission's kernel runs under; every one a documented setting."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. The defaults suit a sheet of small numeric functions.

    Time limits count CPU time (``call_cpu_seconds`` in the kernel, the submission's cgroup for a
    whole request), so a slow but correct answer gets the same marks alone and in a loaded batch;
    wall-clock limits (``call_wall_seconds``, ``notebook_seconds``) are only backstops against
    ``time.sleep`` and the like, generous enough that an honest notebook never meets them.
    """

    #: Wall-clock seconds one notebook cell may run before it is interrupted (and then killed).
    cell_timeout: float = 60.0
    #: CPU seconds one call of a student function may use.
    call_cpu_seconds: float = 2.0
    #: Wall-clock seconds one call may take, whatever it does.
    call_wall_seconds: float = 20.0
    #: Wall-clock seconds for a whole submission: cells, calls, restarts.
    notebook_seconds: float = 600.0
    #: Memory of the whole submission in MiB: all its processes and the files it writes to its
    #: RAM-backed folders together (a memory cgroup), and each process's address space (0: none).
    memory_mb: int = 2048
    #: Size of each of the kernel's writable folders (working folder, home, /tmp, /dev/shm)
    #: under bubblewrap, in MiB; RAM-backed, so they count towards ``memory_mb`` too.
    scratch_mb: int = 64
    #: Bytes of cell output the grader keeps per notebook; the rest is dropped, not buffered.
    output_bytes: int = 1024 * 1024
    #: Processes the submission may run at once (a pids cgroup; RLIMIT_NPROC where none).
    max_processes: int = 64
    #: Largest file the kernel may write, in MiB.
    file_size_mb: int = 64
    #: Open files the kernel may hold.
    open_files: int = 256
    #: Kernel restarts allowed per submission after a cell or call killed it.
    max_restarts: int = 3

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"Limits.{name} must be a number >= 0, got {value!r}")
