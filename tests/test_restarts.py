"""The restart policy (``grader.kernel._restarts``) on a fake session: no kernel is started.

The real kernels' side is in test_hostile (fatal cells, many fatal cells) and test_warm."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from grader.kernel._execution import CellOutcome, Execution, KernelDied
from grader.kernel._limits import Limits
from grader.kernel._restarts import RestartPolicy


@dataclass
class FakeKernels:
    """Code cells 0..4; the cells in ``fatal`` kill the kernel whenever they run."""

    execution: Execution
    fatal: set[int]
    time_up: bool = False
    log: list[str] = field(default_factory=list)

    def start_kernel(self) -> None:
        self.log.append("start")

    def stop_kernel(self) -> None:
        self.log.append("stop")

    def run_cells(self) -> int | None:
        for index in range(5):
            if index in self.execution.skipped:
                continue
            status = "kernel_died" if index in self.fatal else "ok"
            self.execution.cells.append(CellOutcome(index, status))
            if index in self.fatal:
                return index
        return None

    def out_of_time(self) -> bool:
        return self.time_up


def policy(fatal: set[int], max_restarts: int = 3) -> tuple[RestartPolicy, FakeKernels]:
    execution = Execution()
    kernels = FakeKernels(execution, fatal)
    return RestartPolicy(kernels, Limits(max_restarts=max_restarts), execution), kernels


def test_a_fatal_cell_is_skipped_and_the_rest_rerun_on_a_fresh_kernel():
    restarts, kernels = policy({1})
    restarts.run()
    execution = kernels.execution
    assert (execution.restarts, execution.skipped, execution.gave_up) == (1, [1], False)
    assert [(c.index, c.status) for c in execution.cells] == [
        (1, "kernel_died"), (0, "ok"), (2, "ok"), (3, "ok"), (4, "ok")
    ]  # fmt: skip
    assert kernels.log == ["start", "stop", "start"]


def test_past_the_restarts_it_gives_up_with_a_kernel_that_runs_nothing():
    restarts, kernels = policy({0, 1, 2, 3}, max_restarts=2)
    restarts.run()
    execution = kernels.execution
    assert (execution.restarts, execution.skipped, execution.gave_up) == (2, [0, 1, 2], True)
    assert kernels.log == ["start", "stop"] * 3 + ["start"]


def test_out_of_time_it_gives_up_at_once():
    restarts, kernels = policy({2})
    kernels.time_up = True
    restarts.run()
    assert (kernels.execution.restarts, kernels.execution.gave_up) == (0, True)


def test_revive_reruns_while_restarts_and_time_last():
    restarts, kernels = policy(set(), max_restarts=1)
    restarts.run()
    restarts.revive()
    assert kernels.execution.restarts == 1
    assert [c.index for c in kernels.execution.cells] == [0, 1, 2, 3, 4]  # recorded once
    with pytest.raises(KernelDied, match="no restarts left"):
        restarts.revive()
    kernels.time_up = True
    with pytest.raises(KernelDied, match="no time left"):
        restarts.revive()
    assert kernels.log[-1] == "stop"  # the dead kernel is stopped either way
