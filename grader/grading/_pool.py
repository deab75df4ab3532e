"""The default runner's process pool: forked workers, a crashed one replaced, Ctrl-C in order.

A worker that crashes breaks the pool: it is rebuilt and the notebooks it lost are tried once
more (a second crash is that notebook's row). Ctrl-C reaches only the coordinator, which stores
what is back, tells the workers to stop their kernels and waits a little before killing them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from grader.assignment._plan import GradingPlan
from grader.grading import _worker_start
from grader.grading._intake import submission_name
from grader.grading._ungraded import zero_result
from grader.kernel import _warm_shared
from grader.results._model import KERNEL_DIED, SubmissionResult

#: Seconds the workers have, after Ctrl-C, to stop their kernels before they are killed.
STOP_SECONDS = 10.0


#: What the pool's fork server imports once, before it forks any worker: what every worker
#: needs (a sheet's ``checks.py`` draws its inputs with Hypothesis).
PRELOAD = ("grader.grading._worker_start", "grader.grading._worker", "hypothesis")


def start_pool(workers: int) -> ProcessPoolExecutor:
    """Workers start here, with SIGINT and SIGTERM ignored: a Ctrl-C in the terminal reaches
    only the coordinator, which stops them in order (see ``_stop``), and a SIGTERM before a
    worker listens for it does not kill it (a pool whose workers die while it feeds them hangs
    on Python 3.10). They fork their kernels from one zygote, this process's, started here
    (``_warm_shared``): one zygote's imports, not one per worker.

    Workers are forks of a fork server (``multiprocessing``'s ``forkserver``), a fresh process
    that imported ``PRELOAD`` once: a spawned worker paid those imports itself, about 0.6 CPU s
    each (issue 31). It inherits nothing of this process but those imports; the signals ignored
    when it starts (here, the first time) stay ignored in every worker it forks. It keeps the
    environment and working folder of its start, so each worker takes this process's current
    ones first (``_worker_start.init``), as a spawned worker would have had them; and it is a
    worker's parent, so each worker watches this process to die with it."""
    address = _warm_shared.share()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=_context(),
        initializer=_worker_start.init,
        initargs=(address, dict(os.environ), os.getcwd(), os.getpid()),
    )
    with _ignoring(signal.SIGINT, signal.SIGTERM):
        for _ in range(workers):
            pool.submit(_worker_start.ready)  # each submit spawns a worker while none is idle
    return pool


def prestart() -> None:
    """Start the fork server now, without waiting for it: its imports overlap whatever this
    process does before its pool starts (loading the assignment, reading the submissions),
    where ``start_pool`` would otherwise wait for them. SIGINT and SIGTERM are ignored while it
    starts, as in ``start_pool``, so the workers it forks ignore them too."""
    if _context().get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    with _ignoring(signal.SIGINT, signal.SIGTERM):
        forkserver.ensure_running()


def _context() -> multiprocessing.context.BaseContext:
    """The fork server's context (spawn where there is none); the preload counts only before
    the server first starts, and it serves this process for its whole life."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context


def run_pool(
    plan: GradingPlan,
    todo: list[Path],
    out: Path,
    first: ProcessPoolExecutor,
    workers: int,
    record: Callable[[SubmissionResult], None],
) -> None:
    """A pool of workers; if one crashes, the pool is rebuilt and the lost ones retried once."""
    attempts: dict[Path, int] = {}
    queue = list(todo)
    pool: ProcessPoolExecutor | None = first

    def lost(path: Path) -> None:
        attempts[path] = attempts.get(path, 0) + 1
        if attempts[path] >= 2:
            record(_crashed(plan, path))
        else:
            queue.append(path)

    while queue:
        pool = pool or start_pool(min(workers, len(queue)))
        pending: dict[Future[list[SubmissionResult]], list[Path]] = {}
        try:
            for task in tasks(queue, workers, attempts):
                for path in task:
                    queue.remove(path)
                try:
                    pending[pool.submit(_worker_start.grade_run, plan, task, out)] = task
                except BrokenProcessPool:
                    for path in task:
                        lost(path)
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = pending.pop(future)
                    try:
                        results = future.result()
                    except (BrokenProcessPool, _worker_start.WorkerStopped):
                        for path in task:
                            lost(path)
                        continue
                    except KeyboardInterrupt:
                        if not isinstance(future.exception(), KeyboardInterrupt):
                            pending[future] = task  # Ctrl-C here: ``_stop`` stores it
                            raise
                        # A worker's stop (it ignores SIGINT) that landed between notebooks,
                        # launching the next one's kernel: given up, as WorkerStopped.
                        for path in task:
                            lost(path)
                        continue
                    with _sigint_deferred():  # a task's results all stored, or none lost
                        for result in results:
                            record(result)
        except KeyboardInterrupt:
            _stop(pool, pending, record)
            raise
        finally:
            pool.shutdown(cancel_futures=True)
        pool = None


def tasks(queue: list[Path], workers: int, attempts: dict[Path, int]) -> list[list[Path]]:
    """The notebooks of ``queue`` as the workers' tasks: two at a time, the second's kernel
    launched while the first is graded (a worker is handed one task at a time and cannot know
    its next), while more than one more than ``workers`` remain; then one at a time, so that
    no worker waits at the end for another's pair. A notebook tried before (``attempts``: its
    worker crashed) goes alone, so that a second crash is its own."""
    first = [path for path in queue if not attempts.get(path)]
    found: list[list[Path]] = []
    while len(first) > workers + 1:
        found.append(first[:2])
        first = first[2:]
    return found + [[path] for path in first] + [[p] for p in queue if attempts.get(p)]


def _stop(
    pool: ProcessPoolExecutor,
    pending: dict[Future[list[SubmissionResult]], list[Path]],
    record: Callable[[SubmissionResult], None],
) -> None:
    """Ctrl-C: store every result already back, stop the workers' kernels, grade nothing more.

    A worker stops on SIGTERM within a second or so, sent again until it listens (one still
    starting ignores it); one that does not stop is killed, and its kernels die with it (they
    exit when its lifeline pipe closes).
    """
    with _ignoring(signal.SIGINT):  # a second Ctrl-C must not cut this short
        workers = list((getattr(pool, "_processes", None) or {}).values())  # public in 3.14
        # What no worker has started is cancelled by the pool's own thread: a future cancelled
        # from here stays in its books, and a worker dying next (one told to stop before it
        # could listen) breaks that thread on it (3.11), which then waits for ever at exit.
        pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + STOP_SECONDS
        # Polled: wait() never sees a future the pool cancelled (it is not "notified").
        while not all(f.done() for f in pending) and time.monotonic() < deadline:
            _signal(workers, signal.SIGTERM)
            wait([f for f in pending if not f.done()], timeout=0.25)
        for future in pending:
            if future.done() and not future.cancelled() and future.exception() is None:
                for result in future.result():
                    record(result)
        if not all(f.done() for f in pending):
            _signal(workers, signal.SIGKILL)


def _signal(workers: list[multiprocessing.Process], signum: int) -> None:
    for process in workers:
        if process.pid is not None and process.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)


@contextlib.contextmanager
def _ignoring(*signums: int) -> Iterator[None]:
    """These signals ignored meanwhile, where this thread may change them (the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ctrl-C meanwhile raised once the block is done: a task's results came back together,
    and one interrupted half-way through storing them lost the rest (graded, executed, kept
    nowhere); ``_stop`` stores only the results of tasks still pending."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _crashed(plan: GradingPlan, path: Path) -> SubmissionResult:
    why = "Grading this notebook crashed the grader's worker process twice."
    return zero_result(plan, submission_name(path), KERNEL_DIED, why)
