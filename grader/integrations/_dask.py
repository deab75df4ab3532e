"""Grading a batch on a Dask cluster: ``grader grade ... --scheduler tcp://HOST:8786|local:N``.

The coordinator (this process) keeps what it keeps with the process pool: it reads the
submissions, writes the store and the report, shows progress and handles Ctrl-C. Workers get
the plan once (a worker plugin: a worker restarted mid-batch gets it too) and each notebook as
bytes, and send back plain results. A worker that dies mid-task has its task retried elsewhere
by the scheduler; a notebook whose workers keep dying gets ``kernel_died`` once the scheduler
gives up on it (``KilledWorker``). Who may reach the cluster (TLS for ``local:N``, the user's
certificates for ``tls://``, a warning for ``tcp://``) is ``_dask_security``'s.

Loaded only when ``--scheduler`` is given: the core never imports this module or distributed.
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from grader._files import write_atomic
from grader.assignment._plan import GradingPlan
from grader.grading._batch import Batch
from grader.grading._intake import MAX_NOTEBOOK_BYTES, NotGradable, open_regular, submission_name
from grader.grading._ungraded import zero_result
from grader.integrations import _dask_security, _dask_task
from grader.integrations._dask_security import ClusterError
from grader.integrations._dask_task import ShippedPlan, WorkerRefused, grade_installed
from grader.results._model import KERNEL_DIED, SubmissionResult

#: Tries of a notebook whose worker died before it is ``kernel_died`` (as with the local pool:
#: one retry). A cluster started elsewhere uses its scheduler's own
#: ``distributed.scheduler.allowed-failures``.
ALLOWED_FAILURES = 1
#: Tries again for a task that failed for the cluster's own reasons (not the notebook's: those
#: kill workers, and KilledWorker says so), e.g. Dask's errors on a worker being restarted.
CLUSTER_RETRIES = 2
#: The settings of a cluster started here (``local:N``); a cluster started elsewhere should use
#: the same. ``worker-saturation`` 1.0: a worker holds only the notebooks it is grading, so one
#: that dies takes no innocent notebook's try with it. The other two keep memory flat over a
#: long batch: a worker's statistical profiler keeps a tree of the sampled stacks of each of
#: the last ``low-level-log-length`` seconds (deep ones while a notebook runs: +85 MiB per
#: worker over its first 1,000 s), and the client and scheduler keep that many recent
#: messages, each with a notebook's bytes (+77 MiB in the coordinator). Debugging aids only.
CLUSTER_CONFIG = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.low-level-log-length": 100,
}
#: Seconds to wait for a scheduler at an address before giving up.
CONNECT_SECONDS = 20
#: Notebooks in flight per worker thread: enough to keep each busy, few enough that the
#: coordinator never holds the whole batch's bytes.
IN_FLIGHT_PER_THREAD = 2
_ADDRESS = re.compile(r"^[a-z][a-z0-9+]*://\S+$")
_LOCAL = re.compile(r"^local:(\d+)$")


def parse_scheduler(text: str) -> tuple[str, Any]:
    """``("local", N)`` for ``local:N``, ``("address", text)`` for ``tcp://HOST:PORT`` and the
    like; anything else is an error saying what is accepted."""
    local = _LOCAL.match(text.strip())
    if local and int(local.group(1)) >= 1:
        return "local", int(local.group(1))
    if _ADDRESS.match(text.strip()):
        return "address", text.strip()
    raise ClusterError(
        f"--scheduler {text!r} is not a Dask scheduler: give its address "
        "(tcp://HOST:8786) or local:N to start N worker processes here (N >= 1)"
    )


class DaskRunner:
    """Grades a batch's notebooks as tasks on a Dask cluster (see ``grader.grading._batch``).

    A cluster started here (``local:N``) starts in the background, while the batch is planned,
    as the process pool does; ``client`` waits for it."""

    def __init__(self, client: Any = None, cluster: Any = None) -> None:
        self._client, self.cluster = client, cluster
        self._starting: threading.Thread | None = None
        self._failed: BaseException | None = None
        self._window = (0.0, IN_FLIGHT_PER_THREAD)
        self._local = 0

    @classmethod
    def start(cls, scheduler: str, lazy: bool = False) -> DaskRunner:
        """``lazy`` starts a local cluster only once there is a notebook to grade (``--resume``
        may find none): no overlap with the planning then, and none started in vain."""
        kind, value = parse_scheduler(scheduler)
        import dask
        from distributed import Client

        if kind == "address":
            security = _dask_security.remote_security(value)  # warns, or needs certificates
            try:
                with dask.config.set(CLUSTER_CONFIG):  # the client's own message log
                    return cls(Client(value, timeout=CONNECT_SECONDS, security=security))
            except (OSError, TimeoutError, ValueError) as exc:
                raise ClusterError(f"cannot reach the Dask scheduler at {value}: {exc}") from None
        runner = cls()
        runner._local = value
        if not lazy:
            runner._start_in_background()
        return runner

    def _start_in_background(self) -> None:
        self._starting = threading.Thread(
            target=self._start_local, args=(self._local,), daemon=True
        )
        self._starting.start()

    def _start_local(self, workers: int) -> None:
        import dask
        from distributed import Client, LocalCluster

        try:
            with dask.config.set({**CLUSTER_CONFIG, **_dask_security.NO_HTTP_ROUTES}):
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    **_dask_security.local_cluster_options(),  # TLS, loopback, no dashboard
                    silence_logs=logging.CRITICAL,
                    memory_limit=0,  # kernels have their own caps; a worker is small
                    local_directory=tempfile.gettempdir(),
                    preload=[_dask_task.__name__],  # Ctrl-C is the coordinator's
                )
                self._client = Client(self.cluster)
        except BaseException as exc:
            self._failed = exc

    @property
    def client(self) -> Any:
        if self._client is None and self._local and self._starting is None:
            self._start_in_background()
        if self._starting is not None:
            self._starting.join()
        if self._failed is not None:
            raise ClusterError(f"could not start a local Dask cluster: {self._failed}")
        return self._client

    def close(self) -> None:
        if self._starting is not None:
            self._starting.join()
        if self._client is not None:
            self._client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, batch: Batch) -> None:
        from distributed import as_completed

        plan_name = self._install(batch.plan)
        queue = deque(batch.todo)
        running: dict[Any, Path] = {}
        completed = as_completed()
        refused: dict[str, str] = {}
        self._retried: dict[str, int] = {}
        self._refusers: dict[str, str] = {}
        try:
            self._top_up(batch, plan_name, queue, running, completed)
            for future in completed:
                path = running.pop(future)
                if self._collect(batch, future, path, refused):
                    queue.appendleft(path)  # grading is idempotent: it goes again
                self._top_up(batch, plan_name, queue, running, completed)
        except BaseException:  # Ctrl-C, or the cluster failing: keep what is back
            self._stop(batch, running, refused)
            raise
        finally:
            with _ignoring_sigint(), contextlib.suppress(Exception):  # the cluster may be gone
                self.client.unregister_worker_plugin(plan_name)
        if refused:
            raise ClusterError(_refusal(refused, self._refusers))

    def _install(self, plan: GradingPlan) -> str:
        """Install the plan on every worker, present and future; the name tasks find it by."""
        from grader.integrations._dask_plan import PlanPlugin

        plugin = PlanPlugin(ShippedPlan.of(plan))
        try:
            self.client.register_plugin(plugin)
        except Exception as exc:  # a worker's own error, raised here: whatever it is
            raise ClusterError(
                f"could not install the grading plan on the workers: {exc}"
            ) from None
        return plugin.name

    def _top_up(
        self, batch: Batch, plan_name: str, queue: deque[Path], running: dict[Any, Path], done: Any
    ) -> None:
        window = self._in_flight()
        while queue and len(running) < window:
            path = queue.popleft()
            future = self.client.submit(
                grade_installed,
                plan_name,
                path.stem,
                _notebook_bytes(path),
                batch.isolation,
                pure=False,
                **self._where(),
            )
            running[future] = path
            done.add(future)

    def _where(self) -> dict[str, Any]:
        """Once a worker refused, tasks go to the others: a loose restriction, so that a task
        whose chosen workers all left goes to any (and, if that one refuses too, comes back)."""
        if not self._refusers:
            return {}
        return {"workers": self._graders(), "allow_other_workers": True}

    def _graders(self) -> list[str]:
        """The workers now in the cluster that have not refused."""
        return [w for w in self.client.nthreads() if w not in self._refusers]

    def _in_flight(self) -> int:
        """How many notebooks to keep on the cluster: per worker thread, asked once a second
        (a cluster may grow or shrink during the batch)."""
        asked, window = self._window
        if time.monotonic() - asked > 1.0:
            threads = sum(self.client.nthreads().values())
            window = max(IN_FLIGHT_PER_THREAD, IN_FLIGHT_PER_THREAD * threads)
            self._window = (time.monotonic(), window)
        return window

    def _collect(self, batch: Batch, future: Any, path: Path, refused: dict[str, str]) -> bool:
        """Record what came back; True where the notebook is to be submitted again.

        How a task ends decides what happens to its notebook (``grade_task`` turns whatever a
        notebook does in its kernel into a result, so no other error is the notebook's):

        - a result: stored;
        - ``KilledWorker``: the notebook killed the workers that tried it: ``kernel_died``;
        - ``WorkerRefused``: that worker cannot grade (weaker sandbox, other version): the
          notebook goes to the other workers; if none is left, it is not graded (ClusterError);
        - anything else is the cluster's own failure (a worker restarting under the task, a
          lost connection) or the grader's: the task goes again, ``CLUSTER_RETRIES`` times at
          most, then the batch stops with ClusterError.
        """
        from distributed import KilledWorker

        try:
            result, executed = future.result()
        except KilledWorker as exc:
            batch.record(_killed(batch.plan, path, exc))
            return False
        except WorkerRefused as exc:
            return self._refused(path, exc, refused)
        except Exception as exc:
            return self._failed_task(path, exc)
        if executed is not None:
            # where the batch looks for it
            write_atomic(batch.folder.executed(submission_name(path)), executed)
        batch.record(result)
        return False

    def _refused(self, path: Path, exc: WorkerRefused, refused: dict[str, str]) -> bool:
        if not exc.worker:  # a worker that cannot say where it is cannot be left out
            refused[path.stem] = str(exc)
            return False
        if exc.worker not in self._refusers:
            self._refusers[exc.worker] = str(exc)
            print(f"Warning: {exc}; its notebooks go to the other workers.", file=sys.stderr)
        if self._graders():
            return True
        refused[path.stem] = str(exc)
        return False

    def _failed_task(self, path: Path, exc: Exception) -> bool:
        tries = self._retried.get(path.stem, 0)
        if tries < CLUSTER_RETRIES:
            self._retried[path.stem] = tries + 1
            return True
        raise ClusterError(
            f"the task grading {path.name} failed {_times(tries + 1)}, for reasons of the "
            f"cluster's or the grader's, not the notebook's ({type(exc).__name__}: {exc}); "
            "results graded so far are kept: run again with --resume"
        ) from None

    def _stop(self, batch: Batch, running: dict[Any, Path], refused: dict[str, str]) -> None:
        """Ctrl-C or a failing cluster: keep every result already back, cancel the rest. A
        cluster started here is closed next (its workers' kernels die with them); on a cluster
        started elsewhere a notebook already running finishes there and its result is
        dropped."""
        with _ignoring_sigint():
            for future, path in running.items():
                if future.status == "finished":
                    with contextlib.suppress(ClusterError):
                        self._collect(batch, future, path, refused)
            with contextlib.suppress(Exception):  # a failing cluster may be gone
                self.client.cancel(list(running), force=True)


def _killed(plan: GradingPlan, path: Path, exc: Exception) -> SubmissionResult:
    tries = getattr(exc, "allowed_failures", ALLOWED_FAILURES) + 1
    why = f"Grading this notebook crashed the grader's worker process {_times(tries)}."
    return zero_result(plan, submission_name(path), KERNEL_DIED, why)


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _refusal(refused: dict[str, str], refusers: dict[str, str]) -> str:
    """No worker left that can grade: every refusing worker, each with its reason."""
    names = ", ".join(sorted(refused)[:5]) + (", ..." if len(refused) > 5 else "")
    reasons = "; ".join(refusers[w] for w in sorted(refusers)) or "; ".join(set(refused.values()))
    return (
        f"{len(refused)} submission(s) not graded ({names}): no worker can grade them: "
        f"{reasons}. Results graded elsewhere are kept: fix those workers and run again "
        "with --resume."
    )


def _notebook_bytes(path: Path) -> bytes:
    """The notebook as checked when the batch took it in: a regular file, never a link; one
    swapped since is sent empty (and graded as the empty file it now is)."""
    try:
        with open_regular(path, MAX_NOTEBOOK_BYTES) as (handle, _):
            return handle.read(MAX_NOTEBOOK_BYTES + 1)
    except (NotGradable, OSError):
        return b""


@contextlib.contextmanager
def _ignoring_sigint() -> Any:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
