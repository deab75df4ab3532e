"""Where a grading process's time goes, by phase: measured only where ``GRADER_PHASES`` names a
file (``benchmarks/throughput.py`` sets it), and then appended there as JSON lines.

The phases are those of one submission (``start``: reading the notebook, its scratch folder and
the kernel up to its first reply; ``cells``; ``calls`` into its functions; ``comparisons`` with
the oracle's answers; ``hints``; ``teardown``: the kernel, its processes, cgroups and scratch
gone; ``store``: the executed notebook written and the result stored). Each phase's wall seconds
and CPU seconds are kept: the CPU of this process (all its threads) plus, where the phase says
how (``cpu``), that of the submission's cgroup, which holds its kernel. Phases nest: time goes to
the innermost one open. What a command spends outside every phase (imports, the plan and the
oracles, the report) is its fixed cost, which the benchmark works out from its total.

Without ``GRADER_PHASES`` a phase costs one environment lookup and measures nothing.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

PHASES = ("start", "cells", "calls", "comparisons", "hints", "teardown", "store")
VARIABLE = "GRADER_PHASES"


@dataclass
class _Open:
    """One phase being measured: where its clocks stood when it (or its last child) began."""

    name: str
    wall: float
    cpu: float
    cpu_of: Callable[[], float | None] | None
    kernel_cpu: float | None


@dataclass
class PhaseClock:
    """This process's part of the runtime state: phases open, and the seconds each has had."""

    stack: list[_Open] = field(default_factory=list)
    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def _charge(self, top: _Open, wall: float, cpu: float) -> None:
        self.wall[top.name] = self.wall.get(top.name, 0.0) + wall - top.wall
        spent = cpu - top.cpu
        now = _read(top.cpu_of)
        if now is not None:  # a cgroup made during the phase counted from zero
            spent += max(0.0, now - (top.kernel_cpu or 0.0))
        self.cpu[top.name] = self.cpu.get(top.name, 0.0) + spent

    def open(self, name: str, cpu_of: Callable[[], float | None] | None) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        if self.stack:  # the parent stops counting while its child runs
            self._charge(self.stack[-1], wall, cpu)
        inherited = cpu_of or (self.stack[-1].cpu_of if self.stack else None)
        self.stack.append(_Open(name, wall, cpu, inherited, _read(inherited)))

    def close(self) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self._charge(self.stack.pop(), wall, cpu)
        if self.stack:  # the parent counts again from now
            parent = self.stack[-1]
            parent.wall, parent.cpu = wall, cpu
            parent.kernel_cpu = _read(parent.cpu_of)


def _read(cpu_of: Callable[[], float | None] | None) -> float | None:
    if cpu_of is None:
        return None
    try:
        return cpu_of()
    except OSError:
        return None


def enabled() -> bool:
    return bool(os.environ.get(VARIABLE))


def _clock() -> PhaseClock:
    from grader.kernel import _runtime

    return _runtime.part(PhaseClock)


@contextmanager
def phase(name: str, cpu: Callable[[], float | None] | None = None) -> Iterator[None]:
    """Count the time inside as ``name``'s (``cpu``: the submission's cgroup CPU seconds)."""
    if not enabled():
        yield
        return
    clock = _clock()
    clock.open(name, cpu)
    try:
        yield
    finally:
        clock.close()


def flush(submission: str) -> None:
    """Append what this process measured since its last flush (one submission's phases) to the
    ``GRADER_PHASES`` file, as one JSON line, and start again from zero."""
    where = os.environ.get(VARIABLE)
    if not where:
        return
    clock = _clock()
    line = {"pid": os.getpid(), "submission": submission, "wall": clock.wall, "cpu": clock.cpu}
    clock.wall, clock.cpu = {}, {}
    data = (json.dumps(line) + "\n").encode()
    fd = os.open(where, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)  # one write of a short line: lines of several workers do not mix
    finally:
        os.close(fd)
