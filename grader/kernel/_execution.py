"""What running a notebook's cells gave, and how a kernel fails: the records and exceptions
that the session (``_session``) and its restart policy (``_restarts``) share."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CellOutcome:
    """How one code cell ended: ``ok``, ``error``, ``timeout`` or ``kernel_died``."""

    index: int
    status: str
    message: str = ""


@dataclass
class Execution:
    """What running the notebook's cells gave, for feedback."""

    cells: list[CellOutcome] = field(default_factory=list)
    restarts: int = 0
    skipped: list[int] = field(default_factory=list)
    output_dropped: bool = False
    #: Fatal cells outnumbered the restarts: the last kernel runs none of the notebook.
    gave_up: bool = False
    #: A kernel filled the one host folder it can write (its sockets, ``_bounded``).
    sockets_full: bool = False

    @property
    def errors(self) -> list[CellOutcome]:
        return [c for c in self.cells if c.status != "ok"]


class KernelDied(Exception):
    """The kernel stopped answering (it died, or was killed for overrunning a time limit)."""


class KernelTimeout(KernelDied):
    """The kernel was killed because a request overran its budget: the code ignored its limits."""


class KernelOutOfMemory(KernelDied):
    """The kernel was killed by its memory cgroup: the submission went over ``memory_mb``."""
