"""Grading a batch: worker processes, one fresh kernel per submission, results stored as they come.

One bad submission costs only its own marks: anything that goes wrong while grading it becomes
its rows, a worker that crashes is replaced, and the report is always written in full.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import pandas as pd

from grader.assignment._marks_identity import marks_hash
from grader.assignment._plan import GradingPlan
from grader.assignment._secret import CourseSecret
from grader.assignment._spec import Assignment
from grader.course._annotation import Annotation
from grader.errors import OutputError
from grader.grading import _pool, _sources
from grader.grading._intake import Entry, collect_submissions, examine
from grader.grading._ungraded import zero_result
from grader.grading._variants import with_variants
from grader.kernel import _phases, _sandbox, _warm
from grader.kernel._limits import Limits
from grader.report._outputs import write_outputs
from grader.report._tables import GradedBatch
from grader.results._context import context_for
from grader.results._extensions import extensions_info, kept_extensions
from grader.results._folder import OutputFolder
from grader.results._late import Extension
from grader.results._manual_questions import marked_results
from grader.results._model import NOT_SUBMITTED, SubmissionResult
from grader.results._roster import kept_roster
from grader.results._scores import ClassTotals

Progress = Callable[[SubmissionResult], None]


@dataclass(frozen=True)
class Batch:
    """What a runner grades: the notebooks still to do, for one plan, into one store."""

    plan: GradingPlan
    todo: tuple[Path, ...]
    folder: OutputFolder
    #: The coordinator's isolation level: wherever a notebook is graded, none weaker.
    isolation: str
    #: Stores a result (the coordinator is the store's only writer) and shows progress.
    record: Callable[[SubmissionResult], None]


class Runner(Protocol):
    """Where a batch's notebooks are graded. The default is this module's process pool; other
    runners (a Dask cluster, in ``grader.integrations``) plug in here, so the core never
    imports them. ``run`` returns once every notebook in ``batch.todo`` was recorded, and on
    KeyboardInterrupt records what is already graded, stops the rest and re-raises."""

    def run(self, batch: Batch) -> None: ...


@dataclass(frozen=True)
class BatchReport:
    """Where the report went, and the tables themselves."""

    out: Path
    scores: pd.DataFrame
    gradebook: pd.DataFrame
    graded_now: int
    resumed: int
    seconds: float
    #: The class's totals, as every output shows them.
    totals: ClassTotals = field(default_factory=lambda: ClassTotals(()))

    @property
    def scores_csv(self) -> Path:
        return OutputFolder(self.out).scores_csv

    @property
    def gradebook_csv(self) -> Path:
        return OutputFolder(self.out).gradebook_csv


def grade_batch(
    assignment: Assignment,
    submissions: Sequence[Path],
    out: Path,
    *,
    workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    limits: Limits | None = None,
    progress: Progress | None = None,
    runner: Runner | None = None,
    roster: dict[str, dict[str, str]] | None = None,
    course: Course | None = None,
    extensions: dict[str, Extension] | None = None,
    secret: CourseSecret | None = None,
) -> BatchReport:
    """Grade every submission into the output folder ``out`` and write its outputs.

    A folder belongs to one assignment, and its class is the set of submissions in its store.
    Where ``out`` holds no class yet, these submissions become it. Where it holds one,
    ``resume`` adds them to it, grading only those not stored yet (none is graded again, and
    one that changed since it was graded raises OutputError); ``overwrite`` starts over: every
    file the grader computed there is removed (files it did not write stay) and these
    submissions are the new class, with the marks given by hand kept and applied to it; with
    neither, OutputError says what is there; both together are an OutputError too. Every
    output then lists exactly the class.

    ``progress`` is called with each result as it is stored; where it has a method
    ``begin(todo, resumed)``, that is called first with how many notebooks are graded now and
    how many of the class were graded before. ``runner`` grades the notebooks elsewhere
    (``workers`` then has no say); the store, the report and ``resume`` stay here, so they work
    the same whoever graded. ``roster`` (``grader.results._roster.load_roster``) joins the
    gradebook exports; with ``resume`` and no roster, the one the folder kept joins them.
    ``course`` (an LMS download resolved by ``grader.course``) adds each roster student who
    handed nothing in as a row, and what the layout said of each submission to its result.
    ``extensions`` (``grader.results._extensions.load_extensions``) are kept in the store and
    judge lateness; with ``resume`` and none given, the ones the store kept apply again.
    ``secret`` (an assignment with ``[variants]``) grades each submission on its own values."""
    start = time.monotonic()
    files = collect_submissions(submissions)
    folder = OutputFolder(out)
    folder.check_reuse(resume, overwrite)  # before a worker starts or anything is cleared
    if roster is None and resume:
        roster = kept_roster(folder)
    workers = min(workers or os.cpu_count() or 1, len(files))
    # The pool starts while the plan is built.
    pool = _pool.start_pool(workers) if workers > 1 and runner is None else None
    if runner is None and pool is None:
        _warm.prestart()  # this process grades: its zygote imports while the plan is built
    where = runner or _PoolRunner(pool, workers)
    try:
        course = replace(course or Course(), extensions=extensions, secret=secret)
        graded = _grade_into(
            assignment, files, folder, where, resume, limits, progress, roster, course
        )
        return replace(graded, seconds=round(time.monotonic() - start, 3))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _grade_into(
    assignment: Assignment,
    files: list[Path],
    folder: OutputFolder,
    runner: Runner,
    resume: bool,
    limits: Limits | None,
    progress: Progress | None,
    roster: dict[str, dict[str, str]] | None = None,
    course: Course | None = None,
    extensions: dict[str, Extension] | None = None,
) -> BatchReport:
    course = course or Course()
    plan = GradingPlan.build(assignment, limits)
    isolation = _sandbox.isolation_level()  # a forced but missing sandbox stops here, once
    _sandbox.sweep_leftovers()  # of runs killed with -9 or by a reboot, never of live ones
    entries = {entry.name: entry for entry in map(examine, files)}  # read as regular files only
    entries.update({name: _absent(name) for name in course.absent if name not in entries})
    plan, course = with_variants(plan, course, entries)  # each student's own answers
    meta = {
        "assignment": assignment.name,
        "spec_marks_sha256": marks_hash(assignment),  # [late] and title left out
        **plan.versions(),
        "limits": repr(plan.limits),
        "isolation": isolation,
    }
    folder.claim(resume)
    store = folder.open_store(meta, resume)
    try:
        todo = _still_to_grade(store.done(), entries, resume)
        names = _class_of(store, list(entries), resume)
        _begin(progress, len(todo), len(names) - len(todo))
        template = _sources.template_cells(assignment.student_notebook)
        record = _recorder(store, entries, progress, folder, template, course.annotations)
        _grade_todo(Batch(plan, (), folder, isolation, record), todo, runner)
        versions = {**plan.versions(), "sandbox": _sandbox.sandbox_description()}
        stored = list(store.results(names))
        extensions = course.extensions
        if extensions is None:  # kept from before on --resume, else none
            extensions = kept_extensions(store.info()) if resume else {}
        store.set_info(
            {
                "assignment_folder": str(assignment.folder.resolve()),
                "versions": json.dumps(versions),
                "submissions": json.dumps(names),
                **extensions_info(extensions),
            }
        )
    finally:
        store.close()
    batch = _write_report(folder, assignment, stored, versions, roster, extensions)
    graded_now, resumed = len(todo), len(names) - len(todo)
    return BatchReport(
        folder.root, batch.scores, batch.gradebook, graded_now, resumed, 0.0, batch.totals
    )


def _class_of(store: object, names: list[str], resume: bool) -> list[str]:
    """The folder's class once this batch is stored, in order: a new run's submissions; a
    resumed one adds them to the class stored (its order kept, then any graded before an
    interruption left it unsaid)."""
    if not resume:
        return names
    before = json.loads(store.info().get("submissions", "[]"))  # type: ignore[attr-defined]
    ordered = before + [name for name in names if name not in before]
    done = store.done()  # type: ignore[attr-defined]
    return ordered + sorted(set(done) - set(ordered))


def _begin(progress: Progress | None, todo: int, resumed: int) -> None:
    begin = getattr(progress, "begin", None)
    if begin is not None:
        begin(todo, resumed)


def _still_to_grade(done: dict[str, str], entries: dict[str, Entry], resume: bool) -> list[Entry]:
    """The submissions not in the store, and every one not to be read (its row costs nothing);
    a resumed batch refuses any that changed since it was graded."""
    changed = [
        name
        for name, sha in done.items()
        if name in entries and not entries[name].problem and entries[name].sha256 != sha
    ]
    if resume and changed:
        raise OutputError(
            f"cannot --resume: submission(s) {', '.join(sorted(changed))} changed since they "
            "were graded; run again with --overwrite instead of --resume to regrade everything"
        )
    return [entry for entry in entries.values() if entry.name not in done]


def _not_read(plan: GradingPlan, entry: Entry) -> SubmissionResult:
    """The row of an entry the grader does not read: no marks, and why (as the sentence of an
    unreadable notebook, with what the entry is or its size as data)."""
    return zero_result(plan, entry.name, entry.status, entry.problem, params=entry.params)


@dataclass(frozen=True)
class Course:
    """What a resolved LMS download adds to a batch: the keys of the roster's students who
    handed nothing in (each gets a ``not_submitted`` row), and per key what the layout and
    roster said of it (kept in the result's ``extra``, with its events)."""

    absent: tuple[str, ...] = ()
    annotations: dict[str, Annotation] = field(default_factory=dict)
    #: The extensions granted (``--extensions``; None: those the store kept, on --resume).
    extensions: dict[str, Extension] | None = None
    #: The course secret, for an assignment with ``[variants]`` (see ``grading._variants``).
    secret: CourseSecret | None = None


def _absent(name: str) -> Entry:
    why = "Nothing was handed in for this student."
    return Entry(Path(os.devnull), name, "", why, {}, NOT_SUBMITTED)


def _write_report(
    folder: OutputFolder,
    assignment: Assignment,
    stored: list[tuple[SubmissionResult, str]],
    versions: dict[str, str],
    roster: dict[str, dict[str, str]] | None = None,
    extensions: dict[str, Extension] | None = None,
) -> GradedBatch:
    """Every output file, from the batch's scores built once; the API and the terminal read
    the same batch."""
    graded = {r.submission: sha for r, sha in stored}
    context = context_for(assignment, versions, graded, roster, extensions)
    results = marked_results(folder, [result for result, _ in stored], assignment, graded)
    return write_outputs(folder, results, context)


def _recorder(
    store: object,
    entries: dict[str, Entry],
    progress: Progress | None,
    folder: OutputFolder,
    template: tuple[str, _sources.Cells],
    annotations: dict[str, Annotation] | None = None,
) -> Callable[[SubmissionResult], None]:
    """Stores each result with the cells it was graded on (for ``grader similarity``), and
    with what the LMS download said of it (``annotations``)."""
    since = time.time()  # an executed notebook older than this is another batch's
    notes = annotations or {}

    def record(result: SubmissionResult) -> None:
        with _phases.phase("store"):
            _store(result)
        _phases.flush(result.submission)

    def _store(result: SubmissionResult) -> None:
        entry = entries[result.submission]
        if result.submission in notes:
            result = notes[result.submission].applied(result)
        store.put(result, entry.sha256)  # type: ignore[attr-defined]
        cells: _sources.Cells = []
        if not entry.problem:
            executed = folder.executed(result.submission)
            cells = _sources.graded_cells(entry.path, executed, since)
        store.put_sources(result.submission, template, cells)  # type: ignore[attr-defined]
        if progress is not None:
            progress(result)

    return record


def _grade_todo(batch: Batch, todo: list[Entry], runner: Runner) -> None:
    """Each entry not to be read gets its row here (no runner ever sees it); the runner grades
    the rest."""
    for entry in todo:
        if entry.problem:
            batch.record(_not_read(batch.plan, entry))
    gradable = tuple(entry.path for entry in todo if not entry.problem)
    if gradable:
        runner.run(replace(batch, todo=gradable))


@dataclass(frozen=True)
class _PoolRunner:
    """The default: worker processes on this machine (or this process, for one worker)."""

    pool: ProcessPoolExecutor | None
    workers: int

    def run(self, batch: Batch) -> None:
        if self.pool is None or len(batch.todo) <= 1:
            # Here only: a coordinator whose pool grades never imports what grading needs.
            from grader.grading import _worker

            todo = list(batch.todo)  # each next kernel launched while one is graded
            _worker.grade_in_turn(batch.plan, todo, batch.folder.root, batch.record)
            return
        todo = list(batch.todo)
        _pool.run_pool(batch.plan, todo, batch.folder.root, self.pool, self.workers, batch.record)
