"""What a Dask worker runs: one notebook's bytes in, its result and executed notebook out.

A worker never sees the submissions folder or ``OUT``: the notebook arrives as bytes, is graded
in a private temporary folder, and the executed notebook goes back as data for the coordinator
to keep. The plan comes once per worker (installed by ``_dask_plan.PlanPlugin``), with the
assignment's folder as files: a worker on another machine needs no checkout of the course.
Nothing here imports distributed at module level, so the coordinator can build the shipped
plan without it.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader import __version__
from grader.assignment._plan import GradingPlan
from grader.errors import GraderError
from grader.grading import _worker
from grader.grading._intake import submission_name
from grader.kernel import _runtime, _sandbox, _warm
from grader.results._folder import OutputFolder
from grader.results._model import SubmissionResult

#: Isolation levels from weakest to strongest: a worker must reach the coordinator's.
LEVELS = ("process", "user", "bwrap")


@dataclass
class WorkerPlans:
    """This worker's part of the runtime state (``grader.kernel._runtime``): the plans installed
    on it (per plugin name), what it keeps of each shipped plan (rebuilt once, per the shipped
    plan's key, under ``lock``), and whether it has swept the leftovers of killed runs."""

    installed: dict[str, ShippedPlan] = field(default_factory=dict)
    plans: dict[str, GradingPlan] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    swept: bool = False


class WorkerRefused(Exception):
    """A worker that cannot grade at the coordinator's isolation level (or at all): nothing was
    graded there. ``worker`` is its address, so the coordinator can send its notebooks to the
    others; both are arguments, so it pickles back to the coordinator as it is."""

    def __init__(self, message: str, worker: str = "") -> None:
        super().__init__(message, worker)
        self.message, self.worker = message, worker

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ShippedPlan:
    """A grading plan as data: its assignment folder's files and the plan's own fields.

    ``rebuild`` and ``fields`` are how the plan pickles (``GradingPlan.__reduce__``) with the
    folder left out, so the expected answers are never recomputed and no oracle is needed.
    """

    key: str
    #: The coordinator's grader version: a worker with another grades nothing.
    version: str
    folder_name: str
    files: dict[str, bytes]
    rebuild: Any
    fields: tuple[Any, ...]

    @classmethod
    def of(cls, plan: GradingPlan) -> ShippedPlan:
        rebuild, (folder, *fields) = plan.__reduce__()
        folder = Path(folder)
        # The solution and its source stay here: grading never reads them, and an empty file
        # stands for the solution the spec names.
        withheld = {folder / "source.ipynb", plan.assignment.solution_notebook}
        files = {
            str(path.relative_to(folder)): b"" if path in withheld else path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
        }
        key = f"{plan.assignment.spec_hash[:16]}-{plan.frozen_sha256[:16]}"
        return cls(key, __version__, folder.name, files, rebuild, tuple(fields))

    def plan(self) -> GradingPlan:
        """The plan on this worker, its folder written under the temporary folder once."""
        worker = _runtime.part(WorkerPlans)
        with worker.lock:
            if self.key not in worker.plans:
                worker.plans[self.key] = self.rebuild(self._materialise(), *self.fields)
            return worker.plans[self.key]

    def _materialise(self) -> Path:
        root = Path(tempfile.gettempdir()) / "grader-plans" / self.key
        folder = root / self.folder_name
        if not folder.is_dir():
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=_made(root.parent)))
            for relative, data in self.files.items():
                target = staging / self.folder_name / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            try:
                os.rename(staging, root)  # another process may have won: its copy is the same
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
        return folder


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def dask_setup(worker: Any) -> None:
    """Run by each worker of a cluster started by ``--scheduler local:N`` as it starts (a
    preload): a Ctrl-C in the terminal reaches the whole process group, and is the
    coordinator's to handle, as with the process pool's workers."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def install(name: str, shipped: ShippedPlan) -> None:
    _runtime.part(WorkerPlans).installed[name] = shipped
    _warm.prestart()  # warm kernels: this worker's zygote imports before its first task


def uninstall(name: str) -> None:
    _runtime.part(WorkerPlans).installed.pop(name, None)


def grade_installed(
    plan_name: str, name: str, notebook: bytes, isolation: str
) -> tuple[SubmissionResult, str | None]:
    """``grade_task`` with the plan installed on this worker under ``plan_name``."""
    shipped = _runtime.part(WorkerPlans).installed.get(plan_name)
    if shipped is None:
        raise WorkerRefused(
            f"worker {worker_name()} has no grading plan {plan_name!r}: it could not install "
            "it when it joined (see its log); install the coordinator's grader version there",
            worker_address(),
        )
    return grade_task(shipped, name, notebook, isolation)


def grade_task(
    shipped: ShippedPlan, name: str, notebook: bytes, isolation: str
) -> tuple[SubmissionResult, str | None]:
    """Grade one notebook given as bytes; its result (with this worker's sandbox in ``extra``)
    and the executed notebook's text, or None where none was kept."""
    where = worker_name()
    if shipped.version != __version__:
        raise WorkerRefused(
            f"worker {where} runs grader {__version__}, the coordinator {shipped.version}: "
            "install the same version on both",
            worker_address(),
        )
    sandbox = check_isolation(isolation, where)
    try:
        plan = shipped.plan()
    except GraderError as exc:
        raise WorkerRefused(
            f"worker {where} cannot load the assignment: {exc}", worker_address()
        ) from None
    worker = _runtime.part(WorkerPlans)
    if not worker.swept:  # of runs on this machine killed with -9, never of live ones
        worker.swept = True
        _sandbox.sweep_leftovers()
    with tempfile.TemporaryDirectory(prefix="grader-task-") as tmp:
        path = Path(tmp) / f"{name}.ipynb"
        path.write_bytes(notebook)
        result = _worker.grade_safely(plan, path, Path(tmp))
        executed = OutputFolder(Path(tmp)).executed(submission_name(path))
        text = executed.read_text(encoding="utf-8") if executed.exists() else None
    return replace(result, extra={**result.extra, "sandbox": sandbox}), text


def check_isolation(required: str, where: str) -> str:
    """This worker's sandbox description, if it reaches the ``required`` level; else refuse."""
    try:
        level = _sandbox.isolation_level()
    except GraderError as exc:
        raise WorkerRefused(
            f"worker {where} cannot run kernels at the coordinator's isolation level "
            f"{required!r}: {exc}",
            worker_address(),
        ) from None
    if LEVELS.index(level) < LEVELS.index(required):
        raise WorkerRefused(
            f"worker {where} provides only the {level!r} isolation level, weaker than the "
            f"coordinator's {required!r}; it graded nothing. Give it a working bubblewrap "
            f"(and unset {_sandbox.SANDBOX_ENV}=none there)",
            worker_address(),
        )
    return _sandbox.sandbox_description()


def worker_name() -> str:
    """The worker's address (and name, where it has one of its own), for error messages."""
    worker = _this_worker()
    if worker is None:
        return f"pid {os.getpid()}"
    named = str(worker.name)
    return worker.address if named in worker.address else f"{worker.address} ({named})"


def worker_address() -> str:
    """The worker's address, as the scheduler knows it; empty outside a Dask worker."""
    worker = _this_worker()
    return "" if worker is None else str(worker.address)


def _this_worker() -> Any:
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None
