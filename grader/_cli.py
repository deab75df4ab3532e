"""The ``grader`` command line.

Exit status: 0 success (``check``: full marks); 1 ``check`` without full marks; 2 a usage error
or bad input (missing assignment, no submissions, stale frozen inputs), printed as one
``Error: ...`` line, never a traceback; 130 interrupted (results so far are kept).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader._cli_author import assign, freeze, inputs, new, release, validate
from grader._cli_class import serve, similarity
from grader._cli_export import export
from grader._cli_variants import secret, secret_for, secret_option
from grader._console import (
    Progress,
    say_exports,
    say_extensions,
    say_unanswered,
    summary,
    write_check_outputs,
)
from grader.errors import GraderError
from grader.kernel._limits import Limits
from grader.kernel._sandbox import isolation_notice
from grader.results._folder import OutputFolder
from grader.results._model import PENDING
from grader.results._neutralise import neutralise

if TYPE_CHECKING:  # imported where a command needs them: `grader --help` loads no pandas
    from grader._lms import Prepared
    from grader.assignment._secret import CourseSecret
    from grader.assignment._spec import Assignment
    from grader.grading import _batch
    from grader.results._late import Extension

EXIT_NOT_FULL_MARKS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Group(click.Group):
    """Turns the grader's own errors into ``Error: ...`` and exit status 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GraderError as exc:
            raise click.UsageError(neutralise(str(exc))) from None
        except KeyboardInterrupt:
            click.echo("Interrupted: results graded so far are kept; use --resume.", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=_Group)
@click.version_option(package_name="grader")
def main() -> None:
    """Grade Jupyter-notebook exercise sheets against reference oracles."""


_limit_options = [
    click.option(
        "--cell-timeout",
        type=click.FloatRange(min=1),
        default=Limits.cell_timeout,
        show_default=True,
        help="Seconds one notebook cell may run.",
    ),
    click.option(
        "--call-cpu",
        type=click.FloatRange(min=0.01),
        default=Limits.call_cpu_seconds,
        show_default=True,
        help="CPU seconds one call of a student function may use.",
    ),
    click.option(
        "--memory-mb",
        type=click.IntRange(min=0),
        default=Limits.memory_mb,
        show_default=True,
        help="Address-space cap of each kernel in MiB (0: none).",
    ),
]


_roster_option = click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The class: a CSV with student_id (name, email, section, submission optional), or a "
    "Canvas gradebook, Moodle grading worksheet or GitHub Classroom roster export.",
)


_extensions_option = click.option(
    "--extensions",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Extensions granted: a CSV of student_id,due (a new due time, ISO 8601) or "
    "student_id,days (days added to the spec's [late] due time); kept in OUT's store, so "
    "grader report applies them again.",
)


def _with_limits(func):  # type: ignore[no-untyped-def]
    for option in reversed(_limit_options):
        func = option(func)
    return func


def _limits(cell_timeout: float, call_cpu: float, memory_mb: int) -> Limits:
    return Limits(cell_timeout=cell_timeout, call_cpu_seconds=call_cpu, memory_mb=memory_mb)


@main.command()
@click.argument("assignment")
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder of one assignment's class: scores.csv, gradebook.csv, the results store.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Submissions graded at once (default: the number of cores).",
)
@click.option(
    "--resume", is_flag=True, help="Add to the class in --out: what is graded there stays."
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Start --out over: its computed files are removed; hand marks are kept.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT|local:N",
    help="Grade on a Dask cluster: a scheduler's address, or local:N worker processes here.",
)
@_roster_option
@_extensions_option
@secret_option
@_with_limits
def grade(
    assignment: str,
    submissions: tuple[Path, ...],
    out: Path,
    workers: int | None,
    resume: bool,
    overwrite: bool,
    scheduler: str | None,
    roster: Path | None,
    extensions: Path | None,
    secret_file: Path | None,
    cell_timeout: float,
    call_cpu: float,
    memory_mb: int,
) -> None:
    """Grade SUBMISSIONS (notebooks, folders of them, or an LMS download: a zip or folder from
    Moodle, Canvas, Gradescope or GitHub Classroom) for ASSIGNMENT (a folder or a name)."""
    if scheduler is not None and workers is not None:
        raise click.UsageError("--workers sizes the local pool; with --scheduler, local:N does")
    folder = OutputFolder(out)
    folder.check_reuse(resume, overwrite)  # both, or a class there: Error (before a cluster)
    if scheduler is None:
        from grader.kernel import _warm

        _warm.prestart()  # its zygote (its own kernels', or its pool's) imports meanwhile
        if workers != 1 and (workers or os.cpu_count() or 1) > 1:
            from grader.grading import _pool

            _pool.prestart()  # and the fork server of its pool's workers
    with _collection_off():
        from grader._lms import prepare
        from grader.assignment._spec import load_assignment
        from grader.grading import _batch  # noqa: F401 (imported here, collection off)
        from grader.results._extensions import load_extensions

        spec = load_assignment(assignment, defer_oracles=True)  # answers cached: never run
    granted = load_extensions(extensions) if extensions is not None else None  # before grading
    key = secret_for(spec, secret_file)  # [variants]: the course secret, or Error now
    download = prepare(submissions, roster)  # None: notebooks or a plain folder, as always
    try:
        _grade(
            spec,
            submissions,
            out,
            workers,
            resume,
            overwrite,
            scheduler,
            roster,
            download,
            _limits(cell_timeout, call_cpu, memory_mb),
            granted,
            key,
        )
    finally:
        if download is not None:
            download.cleanup()


@contextlib.contextmanager
def _collection_off() -> Iterator[None]:
    """No collection while ``grade`` imports pandas, Hypothesis and the sheet's modules: what
    imports make is kept, so their collections find nothing, a tenth of their CPU (issue 31)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _grade(
    spec: Assignment,
    submissions: tuple[Path, ...],
    out: Path,
    workers: int | None,
    resume: bool,
    overwrite: bool,
    scheduler: str | None,
    roster: Path | None,
    download: Prepared | None,
    limits: Limits,
    granted: dict[str, Extension] | None = None,
    key: CourseSecret | None = None,
) -> None:
    """``grade`` once its download (if any) is staged."""
    from grader.grading import _batch
    from grader.results._roster import kept_roster, load_roster

    folder = OutputFolder(out)
    if download is not None:
        for line in download.lines():
            click.echo(neutralise(line))
        students = download.roster
    else:
        students = load_roster(roster) if roster is not None else None  # refused before grading
    if students is None and resume:
        students = kept_roster(folder)  # the exports join the class's roster, as before
    files = _batch.collect_submissions(list(download.files if download else submissions))
    notice = isolation_notice()
    if notice:
        click.echo(f"Warning: {notice}", err=True)
    with _runner(scheduler, lazy=resume) as runner:
        progress = Progress()
        try:
            report = _batch.grade_batch(
                spec,
                files,
                out,
                workers=workers,
                resume=resume,
                overwrite=overwrite,
                limits=limits,
                progress=progress,
                runner=runner,
                roster=students,
                course=download.course if download else None,
                extensions=granted,
                secret=key,
            )
        finally:
            progress.close()
    click.echo(summary(spec, report))
    if download is not None:
        click.echo(f"Intake: {download.finish(out)}")
    click.echo(f"Scores: {report.scores_csv}")
    click.echo(f"Gradebook: {report.gradebook_csv}")
    click.echo(f"Class report: {folder.report_html}")
    pending = sorted(set(report.scores.loc[report.scores["status"] == PENDING, "submission"]))
    say_exports(out, students, pending)
    if granted:
        say_extensions(granted, [t.submission for t in report.totals.totals], students)


@contextlib.contextmanager
def _runner(scheduler: str | None, lazy: bool) -> Iterator[_batch.Runner | None]:
    """The Dask runner for ``--scheduler`` (distributed is imported only then), else None;
    ``lazy`` (``--resume``): a local cluster starts only if something is left to grade."""
    if scheduler is None:
        yield None
        return
    from grader.integrations._dask import DaskRunner

    with DaskRunner.start(scheduler, lazy) as runner:
        yield runner


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--manual",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A filled copy of OUT/manual-template.csv: marks to merge into the store first.",
)
@_roster_option
@_extensions_option
@click.option(
    "--pending",
    type=click.Choice(["zero", "omit"]),
    default=None,
    help="What the Canvas and Moodle exports do with a total still waiting for hand marks: "
    "send it with those answers as 0, or leave the student's row out (default: a blank cell, "
    "and a warning naming the students).",
)
def report(
    out: Path,
    manual: Path | None,
    roster: Path | None,
    extensions: Path | None,
    pending: str | None,
) -> None:
    """Write every output in OUT again from OUT/results.sqlite, without grading."""
    from grader.report._late_text import class_late_text
    from grader.report._rebuild import merge_file, rebuild, unanswered_rows
    from grader.results._extensions import load_extensions
    from grader.results._roster import kept_roster, load_roster

    students = load_roster(roster) if roster is not None else kept_roster(OutputFolder(out))
    granted = load_extensions(extensions) if extensions is not None else None
    merged = merge_file(out, manual) if manual is not None else 0
    batch = rebuild(out, None, students, granted, pending or "warn")
    results = batch.results
    if manual is not None:
        by_hand = [q for r in results for q in r.questions if q.manual]
        unmarked = sum(q.status == PENDING for q in by_hand)
        click.echo(
            f"Merged {manual}: {merged} new or changed mark(s); now "
            f"{len(by_hand) - unmarked} answer(s) marked by hand, {unmarked} pending."
        )
        say_unanswered(unanswered_rows(out, manual))
    click.echo(
        f"Wrote the outputs of {len(results)} submission(s) in {out} from its results store."
    )
    late = class_late_text(batch.totals)
    if late:
        click.echo(late)
    waiting = [t.submission for t in batch.totals.totals if not t.final]
    say_exports(out, students, waiting, pending or "warn")
    if granted:
        say_extensions(granted, [t.submission for t in batch.totals.totals], students)


@main.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--assignment",
    "assignment",
    default=None,
    help="Assignment folder or name (default: the bundle this notebook sits in).",
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write JUnit XML here: one test case per check.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the result as JSON here.",
)
@_with_limits
def check(
    notebook: Path,
    assignment: str | None,
    junit: Path | None,
    json_path: Path | None,
    cell_timeout: float,
    call_cpu: float,
    memory_mb: int,
) -> None:
    """Check one NOTEBOOK: exit 0 when every check passes, 1 when some fail, 2 when it cannot
    be graded. In a student bundle only the public checks run."""
    from grader.grading._selfcheck import print_check, run_check
    from grader.report._render_text import result_notes

    notice = isolation_notice()
    if notice:
        click.echo(f"Note: {notice}", err=True)
    checked = run_check(notebook, assignment, _limits(cell_timeout, call_cpu, memory_mb))
    write_check_outputs(checked, junit, json_path)
    if checked.invalid:
        raise click.UsageError(
            neutralise(f"{notebook} cannot be graded: {result_notes(checked.result)}")
        )
    print_check(checked, click.echo)
    sys.exit(0 if checked.passed else EXIT_NOT_FULL_MARKS)


main.add_command(export)
main.add_command(secret)
for _command in (new, assign, freeze, inputs, validate, release, similarity, serve):
    main.add_command(_command)
