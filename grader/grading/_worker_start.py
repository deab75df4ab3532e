"""A pool worker's first step, and the tasks the coordinator hands it, light to import: its
zygote starts before the worker imports what grading needs, and a coordinator that only hands
notebooks out never imports that.

A worker runs the module of its initializer before anything else. A spawned worker importing
``_worker`` first (nbformat, nbclient, numpy and the rest) made the zygote (``_warm``) start its
own imports only after, so the first kernel waited for both one after the other. From here the
zygote starts at once (this module imports only the kernel's ``_process`` and ``_warm``). A
worker of the default pool starts none: it adopts its coordinator's (``kernel/_warm_shared.py``),
importing already, and it is a fork of the pool's fork server, which imported ``_worker`` once
for every worker (``_pool.PRELOAD``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from grader.assignment._plan import GradingPlan
    from grader.kernel._warm_shared import ZygoteAddress
    from grader.results._model import SubmissionResult


class WorkerStopped(Exception):
    """A worker gave a notebook up on SIGTERM: from the coordinator at Ctrl-C, when the pool
    broke, or from outside; the notebook was not graded."""


def ready() -> bool:
    """A no-op task: submitting one per worker starts them while the batch is being planned."""
    return True


def grade_run(plan: GradingPlan, paths: list[Path], out: Path) -> list[SubmissionResult]:
    """A pool worker's task (``_worker.grade_run``), named from here: a task pickles as its
    module and name, and the coordinator, which only hands notebooks out, then never imports
    what grading them needs (nbclient, the kernel's client: about 0.45 CPU s; issue 31). The
    worker has it already (``_pool.PRELOAD``)."""
    from grader.grading import _worker

    return _worker.grade_run(plan, paths, out)


def init(
    shared: ZygoteAddress | None = None,
    environ: dict[str, str] | None = None,
    cwd: str | None = None,
    coordinator: int | None = None,
) -> None:
    """Die with the coordinator (``coordinator``: its pid, where it is not the parent), take
    its environment and working folder (``environ``, ``cwd``: a worker forked from the pool's
    fork server has that server's), adopt its zygote (``shared``; else start one), then the
    worker's own ``init`` (SIGTERM stays ignored until then, as the pool started the worker)."""
    import os

    from grader.kernel import _warm
    from grader.kernel._process import die_with, die_with_parent

    die_with_parent()
    if coordinator is not None:  # a fork server's worker: its parent is the server
        die_with(coordinator)
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    if cwd is not None:
        try:
            os.chdir(cwd)
        except OSError:  # gone since: the paths a worker is sent are absolute
            pass
    if shared is not None:  # the coordinator's, importing already
        from grader.kernel import _warm_shared

        _warm_shared.adopt(shared)
    else:
        _warm.prestart()  # the zygote's imports overlap the worker's from here
    import gc

    from grader.grading import _worker

    gc.freeze()  # what the fork server imported: never gone through by this worker's collector
    _worker.init()
