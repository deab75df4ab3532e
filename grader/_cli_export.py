"""``grader export``: packages for course platforms built from an assignment (not from graded
results: those are under ``OUT/export/`` after ``grader grade``)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def export() -> None:
    """Packages that grade on a course platform."""


@export.command("gradescope-autograder")
@click.argument("assignment")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write ASSIGNMENT-autograder.zip to.",
)
@click.option(
    "--wheel",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The grader's wheel to put in the package (default: built from this checkout).",
)
def gradescope_autograder(assignment: str, out: Path, wheel: Path | None) -> None:
    """Write OUT/ASSIGNMENT-autograder.zip for Gradescope's "Zip file upload": setup.sh and
    run_autograder at its root, the grader's wheel, the spec, frozen inputs and oracles. It
    holds the answers: upload it to Gradescope only, never to students."""
    from grader.assignment._autograder import autograder_package
    from grader.assignment._spec import load_assignment

    path = autograder_package(load_assignment(assignment), out, wheel)
    click.echo(f"Gradescope autograder written to {path}")
