"""The instructor's commands for writing an assignment: ``new``, ``assign``, ``freeze``,
``inputs``, ``validate`` and ``release``, registered on the grader's command group by
``grader._cli`` (kept apart so that each module of the command line stays one job)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader._cli_variants import (
    release_ready,
    release_students,
    secret_option,
    validation_sample,
)
from grader.results._neutralise import neutralise

if TYPE_CHECKING:
    from grader.assignment._spec import Assignment

#: A validation that found problems (the same code as a notebook below full marks).
EXIT_PROBLEMS = 1


@click.command()
@click.argument("assignment")
def freeze(assignment: str) -> None:
    """Draw the inputs of every check of ASSIGNMENT and write frozen.json (regrades follow it)."""
    from grader.assignment._spec import load_assignment

    spec = load_assignment(assignment)
    start = time.monotonic()
    from grader.assignment._frozen import freeze as freeze_inputs

    path = freeze_inputs(spec)
    click.echo(
        f"Froze the inputs of {len(spec.checks)} checks in {path} "
        f"({time.monotonic() - start:.1f} s). Commit it: grades follow these inputs."
    )


@click.command()
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
@click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With [variants]: also write students/KEY.ipynb per roster student, and manifest.csv.",
)
@secret_option
def release(
    assignment: str, out: Path, wheel: Path | None, roster: Path | None, secret_file: Path | None
) -> None:
    """Write the student bundle of ASSIGNMENT: notebook, public checks, the grader's wheel, a
    GitHub Actions workflow running the checks and a README; no answers. A failure leaves no
    half-written bundle. With --roster (an assignment with [variants]), each student's own
    notebook too."""
    from grader.assignment._release import release_bundle
    from grader.assignment._spec import load_assignment

    spec = load_assignment(assignment)
    if roster is not None:
        release_ready(spec, secret_file)  # Error before anything is written
    path = release_bundle(spec, out, wheel)
    click.echo(f"Student bundle written to {path}")
    if roster is not None:
        release_students(spec, path, roster, secret_file)


@click.command()
@click.argument("assignment")
def assign(assignment: str) -> None:
    """Write the student and solution notebooks of ASSIGNMENT from its source.ipynb."""
    from grader.assignment._find import find_assignment
    from grader.assignment._source import assign as split_and_write

    student, solution = split_and_write(find_assignment(assignment))
    click.echo(f"Wrote {student} and {solution} from {student.parent / 'source.ipynb'}.")


@click.command()
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
@click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With [variants]: run the solution on every roster student's variant (default: a "
    "random sample).",
)
@secret_option
def validate(
    assignment: str,
    with_mutants: bool,
    workers: int | None,
    roster: Path | None,
    secret_file: Path | None,
) -> None:
    """Check ASSIGNMENT is ready to grade; exit 1 naming each problem found."""
    from grader.assignment._spec import load_assignment
    from grader.grading._validate import validate as find_problems

    spec = load_assignment(assignment)
    key, students = validation_sample(spec, roster, secret_file)
    problems = find_problems(spec, None, key, students)
    if not problems:
        by_hand = sum(q.points for q in spec.manual_questions)
        click.echo(
            f"{spec.name}: valid. The solution earns all {spec.total_points:g} points, the student "
            f"copy none; the source, the notebooks and the frozen inputs agree."
            + (f" {by_hand:g} more point(s) are graded by hand." if by_hand else "")
        )
        _input_warnings(spec)
    if with_mutants and spec.variants is not None:
        click.echo("Mutants not graded: a sheet with [variants] cannot run them yet.")
    elif with_mutants and not problems:
        problems = _mutants_report(spec, workers)
    elif with_mutants:
        click.echo("Mutants not graded: the solution must validate first.")
    if problems:
        click.echo(f"{spec.name}: {len(problems)} problem(s):")
        for problem in problems:
            click.echo(f"  - {neutralise(problem)}")
        sys.exit(EXIT_PROBLEMS)


def _input_warnings(spec: Assignment) -> None:
    """What the frozen inputs may hide (degenerate public cases, lopsided draws): warnings on
    stderr, never a failure (``grader inputs`` shows the whole summary)."""
    from grader.assignment._plan import GradingPlan
    from grader.grading._inputs import summarise

    for item in summarise(GradingPlan.build(spec)):
        for warning in item.warnings():
            click.echo(f"Warning: {neutralise(warning)}", err=True)


@click.command()
@click.argument("assignment")
def inputs(assignment: str) -> None:
    """Summarise the frozen inputs of ASSIGNMENT per check: how many (edges, draws, duplicates
    dropped), how each parameter varies, the public cases, and what may mislead."""
    from grader.assignment._plan import GradingPlan
    from grader.assignment._spec import load_assignment
    from grader.grading._inputs import lines, summarise

    spec = load_assignment(assignment)
    for line in lines(spec, summarise(GradingPlan.build(spec))):
        click.echo(neutralise(line))


def _mutants_report(spec: Assignment, workers: int | None) -> list[str]:
    from grader._console import MutantsProgress
    from grader.grading._mutation_score import run_mutants

    progress = MutantsProgress()  # on stderr as it goes: a long run is never silent
    try:
        report = run_mutants(spec, workers, progress=progress)
    finally:
        progress.close()
    for line in report.lines():
        click.echo(neutralise(line, keep_newlines=True))
    return report.problems()


@click.command()
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
