"""A request's time budget, and reading mount points: the per-request bookkeeping kept cheap.

A request of a few milliseconds read the submission's cgroup after every message (80 reads a
notebook); it reads it only once the CPU left could have been used up, and still stops a
request at its limit.
"""

from __future__ import annotations

import time

from grader.kernel import _bounded, _budget
from grader.kernel._budget import Budget


class _Usage:
    """CPU seconds as a cgroup would report them, and how often they were read."""

    def __init__(self) -> None:
        self.seconds = 10.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.seconds


def test_a_budget_reads_the_cpu_only_once_it_could_be_spent_and_then_stops_the_request():
    usage = _Usage()
    budget = Budget(0.2, usage, time.monotonic() + 60)
    assert usage.reads == 1  # where the request starts
    for _ in range(50):  # messages arriving at once: nothing could have used 0.2 s yet
        assert not budget.spent()
    assert usage.reads == 1
    usage.seconds += 0.25  # the request's code spins
    time.sleep(0.2 / _budget._CORES + 0.02)
    assert budget.spent()
    assert usage.reads == 2


def test_a_budget_not_yet_spent_reads_again_only_when_the_rest_could_be():
    usage = _Usage()
    budget = Budget(0.4, usage, time.monotonic() + 60)
    usage.seconds += 0.1
    time.sleep(0.4 / _budget._CORES + 0.02)
    assert not budget.spent()  # read: 0.1 of 0.4 used
    assert usage.reads == 2
    assert not budget.spent()  # 0.3 left: not before 0.3 / cores more seconds
    assert usage.reads == 2


def test_a_budget_without_a_cgroup_is_wall_clock_time():
    budget = Budget(0.0, lambda: None, time.monotonic() + 60)
    assert not budget.spent()  # at least a second, whatever was asked
    assert budget.wait() > 0.5


def test_mount_points_are_unescaped_as_mountinfo_writes_them():
    assert _bounded._unescape(b"/tmp/plain/path") == b"/tmp/plain/path"
    assert _bounded._unescape(b"/tmp/a\\040b\\011c\\012d\\134e") == b"/tmp/a b\tc\nd\\e"
    assert _bounded._unescape(b"/tmp/back\\slash") == b"/tmp/back\\slash"
