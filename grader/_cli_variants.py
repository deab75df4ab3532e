"""The command line of per-student variants: ``grader secret new``, and the ``--secret-file``
option ``release``, ``validate`` and ``grade`` share (registered by ``grader._cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grader.assignment._secret import SECRET_ENV, CourseSecret, load_secret, new_secret

if TYPE_CHECKING:
    from grader.assignment._spec import Assignment

secret_option = click.option(
    "--secret-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"The course secret of an assignment with [variants] (default: ${SECRET_ENV}); "
    "`grader secret new FILE` creates one.",
)


def secret_for(spec: Assignment, given: Path | None) -> CourseSecret | None:
    """The course secret where the assignment has variants (Error without one), else None."""
    if spec.variants is None:
        return None
    return load_secret(given, f"{spec.name} has [variants]")


@click.group()
def secret() -> None:
    """The course secret from which each student's variant is derived."""


@secret.command("new")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def secret_new(path: Path) -> None:
    """Create a course secret in PATH (64 random bytes, mode 0600); never over a file."""
    where = new_secret(path)
    click.echo(f"Wrote a new course secret to {where} (mode 0600).")
    click.echo(
        "Keep it out of the repository and out of every bundle, and keep a backup: losing it "
        "means the students' numbers cannot be re-derived (their signed notebooks and "
        "manifest.csv still say what each got). Use it with --secret-file or "
        f"{SECRET_ENV}={where}."
    )


def release_ready(spec: Assignment, given: Path | None) -> CourseSecret:
    """``release --roster``: the sheet has variants and the secret is at hand, or Error before
    anything is written."""
    from grader.errors import VariantError

    if spec.variants is None:
        raise VariantError(
            f"--roster: {spec.name} has no [variants], every student gets one notebook"
        )
    return load_secret(given, f"{spec.name} has [variants]")


def release_students(spec: Assignment, folder: Path, roster: Path, given: Path | None) -> Any:
    """Write each roster student's notebook into the bundle ``folder`` and say where."""
    from grader.course._roster import load_class_roster
    from grader.course._variants import release_students as write_students

    key = release_ready(spec, given)
    released = write_students(spec, load_class_roster(roster), key, folder)
    click.echo(
        f"Wrote {len(released.variants)} student notebooks to {folder / 'students'} and "
        f"{released.manifest} (the course secret is not in the bundle). Hand each student "
        "their own file; publish the bundle without students/ and manifest.csv, which hold "
        "every student's numbers."
    )
    return released


def validation_sample(
    spec: Assignment, roster: Path | None, given: Path | None
) -> tuple[CourseSecret | None, list[str]]:
    """What ``validate`` grades the variants of: every roster student's (the course secret
    needed), else a random sample (no secret needed)."""
    if roster is None or spec.variants is None:
        return None, []
    from grader.course._roster import load_class_roster
    from grader.course._variants import roster_keys

    key = load_secret(given, f"validate --roster: {spec.name} has [variants]")
    return key, roster_keys(load_class_roster(roster))
