"""How long one request to a kernel may take.

Counted in the CPU seconds of the submission's cgroup where the machine has one, so that a loaded
machine or a neighbour's fifty busy processes cost an honest notebook nothing; sleeping code uses
no CPU, so a wall-clock backstop stays, four times longer, and never past the notebook's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable


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

    def spent(self) -> bool:
        if time.monotonic() >= self._wall_end:
            return True
        used = self._cpu() if self._cpu_end is not None else None
        return used is not None and self._cpu_end is not None and used >= self._cpu_end

    def wait(self) -> float:
        return max(0.01, min(self._wall_end - time.monotonic(), 1.0))
