"""A pool worker's first step, light to import: its zygote starts before the worker imports
what grading needs.

A spawned worker imports the module of its initializer before anything else. With ``_worker``
that meant nbformat, nbclient, numpy and the rest first, and only then the zygote (``_warm``)
started its own imports, so the first kernel waited for both one after the other. From here
the zygote starts at once (this module imports only the kernel's ``_process`` and ``_warm``),
and the worker's imports run beside the zygote's on the other core.
"""

from __future__ import annotations


def init() -> None:
    """Die with the coordinator, start the zygote, then the worker's own ``init`` (SIGTERM
    stays ignored until then, as the pool spawned the worker)."""
    from grader.kernel import _warm
    from grader.kernel._process import die_with_parent

    die_with_parent()
    _warm.prestart()  # the zygote's imports overlap the worker's from here
    from grader.grading import _worker

    _worker.init()
