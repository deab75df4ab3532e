"""How long one request to a kernel may take.

Counted in the CPU seconds of the submission's cgroup where the machine has one, so that a loaded
machine or a neighbour's fifty busy processes cost an honest notebook nothing; sleeping code uses
no CPU, so a wall-clock backstop stays, four times longer, and never past the notebook's deadline.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

#: The most CPU seconds any process tree can use per wall second.
_CORES = os.cpu_count() or 1


class Budget:
    """A request's time: CPU seconds of the submission's cgroup where it counts them, with a
    wall-clock backstop four times as long (sleeping code uses no CPU); wall-clock alone where
    there is no cgroup. Never past the notebook's deadline."""

    def __init__(self, seconds: float, cpu: Callable[[], float | None], deadline: float) -> None:
        self._cpu = cpu
        start = cpu()
        self._cpu_end = None if start is None else start + seconds
        wall = seconds if start is None else seconds * 4
        now = time.monotonic()
        self._wall_end = max(now + 1.0, min(now + wall, deadline))
        self._next_read = now + seconds / _CORES

    def spent(self) -> bool:
        """The cgroup is read only once the CPU left could have been used up: no process tree
        uses more CPU seconds than the machine has cores times wall seconds (a request of a
        few ms, most of them, reads it once, at its start, not after every message)."""
        now = time.monotonic()
        if now >= self._wall_end:
            return True
        if self._cpu_end is None or now < self._next_read:
            return False
        used = self._cpu()
        if used is None:
            return False
        self._next_read = now + (self._cpu_end - used) / _CORES
        return used >= self._cpu_end

    def wait(self) -> float:
        return max(0.01, min(self._wall_end - time.monotonic(), 1.0))
