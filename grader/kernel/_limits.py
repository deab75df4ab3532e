"""The resource limits one submission's kernel runs under; every one a documented setting."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. The defaults suit a sheet of small numeric functions.

    ``call_cpu_seconds`` counts CPU time, so a slow but correct answer gets the same marks alone
    and in a loaded batch; ``call_wall_seconds`` sits on top of it to catch ``time.sleep``.
    """

    #: Wall-clock seconds one notebook cell may run before it is interrupted (and then killed).
    cell_timeout: float = 60.0
    #: CPU seconds one call of a student function may use.
    call_cpu_seconds: float = 2.0
    #: Wall-clock seconds one call may take, whatever it does.
    call_wall_seconds: float = 20.0
    #: Wall-clock seconds for a whole submission: cells, calls, restarts.
    notebook_seconds: float = 600.0
    #: Address-space cap of the kernel process, in MiB (0: no cap).
    memory_mb: int = 2048
    #: Bytes of cell output the grader keeps per notebook; the rest is dropped, not buffered.
    output_bytes: int = 1024 * 1024
    #: Processes the kernel's user may run at once (enforced when the kernel has its own user).
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
