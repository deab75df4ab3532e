"""Exceptions raised by the grader.

Everything the grader raises on purpose derives from :class:`GraderError`, so a caller (the CLI,
a CI script) can tell "the instructor's input is wrong" from a bug. Each exception carries the
data it is about as fields, and its message says what was wrong and what to do next.

Nothing a *submission* does raises these: a broken notebook is a graded result, not an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal


class GraderError(Exception):
    """Root of every error the grader raises on purpose."""


class AssignmentNotFoundError(GraderError):
    """An assignment name or folder does not lead to a ``spec.toml``."""

    def __init__(self, name: str, searched: list[Path], near: tuple[str, ...] = ()) -> None:
        self.name = name
        self.searched = searched
        #: Names of assignments that do exist and are spelt like ``name``: a typo's likely fix.
        self.near = near
        where = ", ".join(str(p) for p in searched) or "nowhere"
        hint = f" Did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
        super().__init__(
            f"No assignment {name!r}: looked for a spec.toml in {where}.{hint} "
            "Pass the assignment's folder or the name of a folder under assignments/."
        )


class NotInBundleError(AssignmentNotFoundError):
    """``grader check`` (or ``selfcheck()``) was given a notebook outside a student bundle and
    no assignment: there is nothing to check it against until one is named."""

    def __init__(self, notebook: Path, searched: list[Path]) -> None:
        GraderError.__init__(
            self,
            f"{notebook} is not in a student bundle (no spec.toml in its folder or the folders "
            "above it): pass --assignment with the assignment's folder or its name, e.g. "
            f"`grader check {notebook} --assignment NAME`.",
        )
        self.name, self.searched, self.near = str(notebook), searched, ()


class SpecError(GraderError):
    """An assignment's spec is invalid; raised when it loads, never half-way through grading."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class FrozenInputsError(GraderError):
    """The frozen inputs of an assignment are missing, unreadable or out of date."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class SourceNotebookError(GraderError):
    """An assignment's source notebook cannot be split into the student and solution copies."""

    def __init__(self, path: Path, cell: str, problem: str) -> None:
        self.path = path
        self.cell = cell
        self.problem = problem
        super().__init__(f"{path}: {cell}: {problem}")


class ScaffoldError(GraderError):
    """``grader new`` cannot write the assignment asked for (a bad name, or it exists)."""


class SubmissionsError(GraderError):
    """The set of submissions handed to a batch cannot be graded as given."""


class OutputError(GraderError):
    """The output folder cannot hold a report (it is a file, or belongs to another run)."""


class RosterError(GraderError):
    """A ``--roster`` file cannot be read or joined: the message names the file and the row."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class ExtensionsError(RosterError):
    """An ``--extensions`` file cannot be read: the message names the file and the row."""


class KernelStartError(GraderError):
    """No kernel could be started at all: the grader's own environment is broken."""


class KernelSetupError(GraderError):
    """The grader's own code failed in a submission's kernel: what runs before the notebook's
    cells (``when="before the cells"``: the grader's environment is at fault, such as a file
    the kernel cannot read), or the driver installed after them (``when="after the cells"``:
    the notebook may also have broken what it needs, such as a built-in it replaced). That
    submission's result says so (status ``error``) rather than grading a kernel half set up;
    the batch goes on. ``error``: the type name of what the kernel raised."""

    def __init__(self, when: Literal["before the cells", "after the cells"], error: str) -> None:
        self.when = when
        self.error = error
        super().__init__(f"the grader's code failed in the kernel {when} ({error})")


class SandboxUnavailableError(KernelStartError):
    """No sandbox can run kernels here, and running them without one was not asked for."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}.")


class ManualMarksError(GraderError):
    """A file of manual marks cannot be merged: nothing of it was, and each problem names its row
    (as a spreadsheet numbers them: the header is row 1). Every problem is listed, so a file
    with several is fixed in one pass, not one run per row."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        shown = "; ".join(problems)
        super().__init__(f"{path}: {shown}. Nothing was merged; fix the file and run again.")


class ReleaseError(GraderError):
    """The student bundle cannot be completed (no wheel of the grader to put in it)."""


class VariantError(GraderError):
    """Per-student variants cannot be made or graded: no course secret, a secret file too short
    or unreadable, or a value that cannot be derived. ``path`` is the file concerned, if any."""

    def __init__(self, problem: str, path: Path | None = None) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path is not None else problem)
