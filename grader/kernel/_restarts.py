"""The restart policy: how a notebook runs on past a cell that kills or hangs its kernel.

A cell that kills the kernel, or overruns its time or memory, is *fatal*: the kernel is stopped,
a fresh one started, and the notebook rerun from the top without that cell (nor any fatal cell
before it), so the student's other answers still count. Each fresh kernel is one restart. Once
``Limits.max_restarts`` are spent or the notebook's time is up, the grader gives up
(``Execution.gave_up``): the last kernel runs none of the notebook, so calls find no names. A
kernel that dies later, during the calls, is revived the same way while restarts and time last.

The policy decides and counts; the session (``_session.KernelSession``) starts and stops the
kernels and runs the cells.
"""

from __future__ import annotations

from typing import Protocol

from grader.kernel._execution import Execution, KernelDied
from grader.kernel._limits import Limits


class Kernels(Protocol):
    """What the policy asks of a session."""

    def start_kernel(self) -> None:
        """A fresh kernel (none is running)."""

    def stop_kernel(self) -> None:
        """Kill the kernel and every process of the submission."""

    def run_cells(self) -> int | None:
        """Run the cells not yet skipped; the index of a fatal cell, if one is met."""

    def out_of_time(self) -> bool:
        """Whether the notebook's time is up."""


class RestartPolicy:
    """Runs a notebook's cells on a session's kernels, restarting past fatal cells, and keeps
    the count in the session's ``Execution``."""

    def __init__(self, kernels: Kernels, limits: Limits, execution: Execution) -> None:
        self.kernels = kernels
        self.limits = limits
        self.execution = execution

    def run(self) -> None:
        """Run every code cell; restart past a cell that kills or hangs the kernel, or give up
        and leave a fresh kernel that runs none of the notebook."""
        kernels, execution = self.kernels, self.execution
        while True:
            kernels.start_kernel()
            fatal = kernels.run_cells()
            if fatal is None:
                return
            execution.skipped.append(fatal)
            kernels.stop_kernel()
            if execution.restarts >= self.limits.max_restarts or kernels.out_of_time():
                execution.gave_up = True
                kernels.start_kernel()
                return
            self._count_restart()

    def revive(self) -> None:
        """A fresh kernel with the notebook rerun (fatal cells skipped), after one died during
        the calls; KernelDied when no time or no restart is left."""
        self.kernels.stop_kernel()
        if self.kernels.out_of_time():
            raise KernelDied("no time left")
        if self.execution.restarts >= self.limits.max_restarts:
            raise KernelDied("no restarts left")
        self._count_restart()
        self.run()

    def _count_restart(self) -> None:
        """One more restart; of the cells run so far, only the skipped ones' outcomes are kept
        (the rerun records the others again)."""
        self.execution.restarts += 1
        skipped = self.execution.skipped
        self.execution.cells = [c for c in self.execution.cells if c.index in skipped]
