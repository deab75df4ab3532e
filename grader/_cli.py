"""The ``grader`` command line.

Exit status: 0 success (``check``: full marks); 1 ``check`` without full marks; 2 a usage error
or bad input (missing assignment, no submissions, stale frozen inputs), printed as one
``Error: ...`` line, never a traceback; 130 interrupted (results so far are kept).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click

from grader._cli_export import export
from grader._console import Progress, say_exports, say_extensions, summary
from grader._lms import Prepared, prepare
from grader.assignment._frozen import freeze as freeze_inputs
from grader.assignment._spec import Assignment, load_assignment
from grader.errors import GraderError
from grader.grading import _batch
from grader.grading._selfcheck import Checked
from grader.kernel._limits import Limits
from grader.kernel._sandbox import isolation_notice
from grader.report._render_text import result_notes
from grader.results._extensions import load_extensions
from grader.results._folder import OutputFolder
from grader.results._late import Extension
from grader.results._model import PENDING
from grader.results._neutralise import neutralise
from grader.results._roster import kept_roster, load_roster

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
    spec = load_assignment(assignment)
    granted = load_extensions(extensions) if extensions is not None else None  # before grading
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
        )
    finally:
        if download is not None:
            download.cleanup()


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
) -> None:
    """``grade`` once its download (if any) is staged."""
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
    from grader.report._rebuild import rebuild, unanswered_rows

    students = load_roster(roster) if roster is not None else kept_roster(OutputFolder(out))
    granted = load_extensions(extensions) if extensions is not None else None
    batch = rebuild(out, manual, students, granted, pending or "warn")
    results = batch.results
    if manual is not None:
        by_hand = [q for r in results for q in r.questions if q.manual]
        unmarked = sum(q.status == PENDING for q in by_hand)
        click.echo(
            f"Merged {manual}: {len(by_hand) - unmarked} answer(s) marked by hand, "
            f"{unmarked} pending."
        )
        _say_unanswered(unanswered_rows(out, manual))
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


def _say_unanswered(rows: list[tuple[str, str]]) -> None:
    """The rows of a marks file whose answer is still the notebook's placeholder text."""
    if rows:
        shown = neutralise(", ".join(f"{s} {q}" for s, q in rows[:10]))
        more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
        click.echo(
            f"Unanswered: {len(rows)} row(s) whose answer is still the notebook's placeholder "
            f"text: {shown}{more}."
        )


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

    notice = isolation_notice()
    if notice:
        click.echo(f"Note: {notice}", err=True)
    checked = run_check(notebook, assignment, _limits(cell_timeout, call_cpu, memory_mb))
    _write_check_outputs(checked, junit, json_path)
    if checked.invalid:
        raise click.UsageError(
            neutralise(f"{notebook} cannot be graded: {result_notes(checked.result)}")
        )
    print_check(checked, click.echo)
    sys.exit(0 if checked.passed else EXIT_NOT_FULL_MARKS)


def _write_check_outputs(checked: Checked, junit: Path | None, json_path: Path | None) -> None:
    """JUnit, JSON and (where GitHub Actions asks for it) the step summary."""
    import os

    from grader._files import write_atomic
    from grader.report import _ci

    args = (checked.result, checked.assignment.name, checked.public, checked.feedback)
    try:
        if junit is not None:
            write_atomic(junit, _ci.junit_xml(*args))
        if json_path is not None:
            write_atomic(json_path, _ci.check_json(*args))
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as stream:
                stream.write(_ci.step_summary(*args))
    except OSError as exc:
        raise click.UsageError(f"cannot write the check's output: {exc}") from None


@main.command()
@click.argument("assignment")
def freeze(assignment: str) -> None:
    """Draw the inputs of every check of ASSIGNMENT and write frozen.json (regrades follow it)."""
    spec = load_assignment(assignment)
    start = time.monotonic()
    path = freeze_inputs(spec)
    click.echo(
        f"Froze the inputs of {len(spec.checks)} checks in {path} "
        f"({time.monotonic() - start:.1f} s). Commit it: grades follow these inputs."
    )


@main.command()
@click.argument("assignment")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to write the student bundle to.",
)
@click.option(
    "--wheel",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The grader's wheel to put in the bundle (default: built from this checkout).",
)
def release(assignment: str, out: Path, wheel: Path | None) -> None:
    """Write the student bundle of ASSIGNMENT: notebook, public checks, the grader's wheel, a
    GitHub Actions workflow running the checks and a README; no answers. A failure leaves no
    half-written bundle."""
    from grader.assignment._release import release_bundle

    path = release_bundle(load_assignment(assignment), out, wheel)
    click.echo(f"Student bundle written to {path}")


@main.command()
@click.argument("assignment")
def assign(assignment: str) -> None:
    """Write the student and solution notebooks of ASSIGNMENT from its source.ipynb."""
    from grader.assignment._source import assign as split_and_write
    from grader.assignment._spec import find_assignment

    student, solution = split_and_write(find_assignment(assignment))
    click.echo(f"Wrote {student} and {solution} from {student.parent / 'source.ipynb'}.")


@main.command()
@click.argument("assignment")
@click.option(
    "--mutants",
    "with_mutants",
    is_flag=True,
    help="Also grade mutants of the solution and report how many the checks catch.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Mutants graded at once (default: the number of cores).",
)
def validate(assignment: str, with_mutants: bool, workers: int | None) -> None:
    """Check ASSIGNMENT is ready to grade; exit 1 naming each problem found."""
    from grader.grading._validate import validate as find_problems

    spec = load_assignment(assignment)
    problems = find_problems(spec)
    if not problems:
        by_hand = sum(q.points for q in spec.manual_questions)
        click.echo(
            f"{spec.name}: valid. The solution earns all {spec.total_points:g} points, the student "
            f"copy none; the source, the notebooks and the frozen inputs agree."
            + (f" {by_hand:g} more point(s) are graded by hand." if by_hand else "")
        )
        _input_warnings(spec)
    if with_mutants and not problems:
        problems = _mutants_report(spec, workers)
    elif with_mutants:
        click.echo("Mutants not graded: the solution must validate first.")
    if problems:
        click.echo(f"{spec.name}: {len(problems)} problem(s):")
        for problem in problems:
            click.echo(f"  - {neutralise(problem)}")
        sys.exit(EXIT_NOT_FULL_MARKS)


def _input_warnings(spec: Assignment) -> None:
    """What the frozen inputs may hide (degenerate public cases, lopsided draws): warnings on
    stderr, never a failure (``grader inputs`` shows the whole summary)."""
    from grader.assignment._plan import GradingPlan
    from grader.grading._inputs import summarise

    for item in summarise(GradingPlan.build(spec)):
        for warning in item.warnings():
            click.echo(f"Warning: {neutralise(warning)}", err=True)


@main.command()
@click.argument("assignment")
def inputs(assignment: str) -> None:
    """Summarise the frozen inputs of ASSIGNMENT per check: how many (edges, draws, duplicates
    dropped), how each parameter varies, the public cases, and what may mislead."""
    from grader.assignment._plan import GradingPlan
    from grader.grading._inputs import lines, summarise

    spec = load_assignment(assignment)
    for line in lines(spec, summarise(GradingPlan.build(spec))):
        click.echo(neutralise(line))


def _mutants_report(spec: Assignment, workers: int | None) -> list[str]:
    from grader.grading._mutation_score import run_mutants

    report = run_mutants(spec, workers)
    for line in report.lines():
        click.echo(neutralise(line, keep_newlines=True))
    return report.problems()


@main.command()
@click.argument("name")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create assignments/NAME/ and reference/NAME.py in.",
)
def new(name: str, root: Path) -> None:
    """Start assignment NAME from a small working example, ready to grade: its notebooks are
    written and its inputs frozen."""
    from grader.assignment._scaffold import scaffold

    for path in scaffold(name, root):
        click.echo(f"Wrote {path}")
    click.echo(
        f"Ready to grade (`grader validate {name}` says so). After each edit run "
        f"`grader assign {name}`, `grader freeze {name}` and `grader validate {name}` "
        "(see docs/authoring.md)."
    )


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--min-tokens",
    type=click.IntRange(10, 10_000),
    default=100,
    show_default=True,
    help="Normalised tokens of rare shared code (beyond the first 20 of each fragment, "
    "weighed by rarity) that make a likely copy.",
)
@click.option(
    "--common-share",
    type=click.FloatRange(0.0, 1.0),
    default=0.1,
    show_default=True,
    help="Code in more than this share of the notebooks (and more than 5) is common: no evidence.",
)
@click.option(
    "--show",
    type=click.Choice(["likely", "look", "all"]),
    default="likely",
    show_default=True,
    help="Bands written: likely copies; also pairs to look at; also those probably independent.",
)
@click.option(
    "--against",
    type=click.Path(exists=True, path_type=Path),
    help="Earlier years or public solutions: a folder or zip of notebooks, or an earlier OUT.",
)
@click.option(
    "--index",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --against's fingerprints are kept (default: beside them).",
)
def similarity(
    out: Path,
    min_tokens: int,
    common_share: float,
    show: str,
    against: Path | None,
    index: Path | None,
) -> None:
    """Flag pairs of submissions graded into OUT whose code or prose is alike (never a grade)."""
    from grader.similarity._pairs import BANDS, Settings
    from grader.similarity._run import label
    from grader.similarity._run import similarity as compare

    bands = BANDS[: {"likely": 1, "look": 2, "all": 3}[show]]
    settings = Settings(min_tokens=min_tokens, common_share=common_share, show=bands)
    found = compare(out, settings, against, index)
    for note in found.notes:
        click.echo(f"Note: {neutralise(note)}")
    earlier = f" and {found.earlier} earlier notebook(s)" if against else ""
    likely = sum(1 for pair in found.pairs if pair.verdict == BANDS[0])
    click.echo(
        f"Compared {found.compared} submission(s){earlier}: {likely} likely copy pair(s), "
        f"{len(found.pairs)} pair(s) shown ({', '.join(bands)}), {len(found.clusters)} "
        f"cluster(s) of three or more; code in more than {found.cutoff} notebooks ignored."
    )
    if found.without_cells:
        names = neutralise(", ".join(found.without_cells))
        click.echo(f"Warning: not compared (graded by an older grader, no cells kept): {names}")
    for pair in found.pairs[:10]:
        names = neutralise(f"{label(pair.a)} ~ {label(pair.b)}")
        click.echo(f"  {pair.score:5.2f}  {pair.verdict:<20} {names}")
    folder = OutputFolder(out)
    click.echo(f"Pairs: {folder.similarity_csv}")
    click.echo(f"Clusters: {folder.similarity_clusters_csv}")
    click.echo(f"Side by side: {folder.similarity_html}")
    _report_similar(out)


def _report_similar(out: Path) -> None:
    """The class report shows the flagged pairs: written again from the store. A store the
    report cannot be rebuilt from (its assignment folder not on this machine) leaves it as is."""
    from grader.report._rebuild import rebuild_report

    try:
        rebuild_report(out)
    except GraderError as exc:
        click.echo(f"Warning: {OutputFolder(out).report_html} not rewritten: {exc}")
        return
    click.echo(f"Class report: {OutputFolder(out).report_html}")


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0: any free."
)
@click.option("--add-ta", "ta", default=None, help="Print a new login link for this TA and exit.")
def serve(out: Path, host: str, port: int, ta: str | None) -> None:
    """Mark answers by hand in a web app: prints the login link (one line on stdout)."""
    from grader.serve import _run

    if ta is not None:
        click.echo(_run.add_ta(out, ta, host, port))
        return
    _run.serve(out, host, port)


main.add_command(export)
