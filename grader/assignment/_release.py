"""The student bundle: the notebook and public checks as precomputed cases, nothing of the oracle.

Public cases are the simplest few frozen cases of each check, with the oracle's answers computed
here; the oracle's source, the solution, the input strategies and the hidden cases stay behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grader._files import write_atomic
from grader.assignment._bundle_ci import add_wheel, add_workflow
from grader.assignment._bundle_readme import README_FILE, bundle_files, bundle_readme
from grader.assignment._plan import GradingPlan
from grader.assignment._spec import SPEC_FILE, Assignment
from grader.errors import FrozenInputsError, OutputError

PUBLIC_FORMAT = 1


def release_bundle(assignment: Assignment, out: Path, wheel: Path | None = None) -> Path:
    """Write ``out/<assignment name>/`` with spec, student notebook, data files, the
    comparators (``compare`` must judge there as it does in the batch), public.json,
    the grader's wheel (``wheel``, or one built from this checkout), a CI workflow and a README.

    The bundle is written into a folder beside it and renamed into place at the end: a failure
    (a wheel that cannot be built, a full disk) leaves no half-written bundle for an instructor
    to push, and an earlier bundle there stays as it was."""
    plan = GradingPlan.build(assignment)
    folder = out / assignment.name
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file; pass another --out")
    with _staging(folder) as staging:
        _write_bundle(assignment, plan, staging, wheel)
    return folder


def _write_bundle(
    assignment: Assignment, plan: GradingPlan, folder: Path, wheel: Path | None
) -> None:
    """Every file of the bundle, the README last (it names each of the others)."""
    (folder / SPEC_FILE).write_text(_bundle_spec(assignment), encoding="utf-8")
    shutil.copyfile(assignment.student_notebook, folder / assignment.student_notebook.name)
    for data in assignment.data_files:
        shutil.copyfile(data, folder / data.name)
    if assignment.comparators is not None and assignment.comparators.__file__:
        shutil.copyfile(assignment.comparators.__file__, folder / COMPARATORS_FILE)
    checks: dict[str, Any] = {}
    for check in assignment.checks:
        count = check.public
        checks[check.key] = {
            "cases": list(plan.cases[check.key][:count]),
            "expected": list(plan.expected[check.key][:count]),
        }
    document = {"format": PUBLIC_FORMAT, "assignment": assignment.name, "checks": checks}
    write_atomic(folder / "public.json", json.dumps(document, indent=1, allow_nan=True) + "\n")
    built = add_wheel(folder, wheel)
    add_workflow(folder, assignment.student_notebook.name, built.name)
    files = sorted([*bundle_files(folder), README_FILE])
    readme = bundle_readme(assignment, files, built.name)
    (folder / README_FILE).write_text(readme, encoding="utf-8")


@contextlib.contextmanager
def _staging(folder: Path) -> Iterator[Path]:
    """A fresh folder beside ``folder`` to write the bundle in; renamed to ``folder`` when the
    block ends well, removed (with ``out`` if this made it) when it raises."""
    out = folder.parent
    made_out = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = _fresh(out, f".{folder.name}.partial-")
    try:
        yield staging
        _replace(folder, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if made_out:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if empty
        raise


def _replace(folder: Path, staging: Path) -> None:
    """Rename ``staging`` to ``folder``. An earlier bundle there is moved aside first and
    removed last; its ``.git`` (a template repository's checkout) moves into the new one."""
    if not folder.exists():
        os.rename(staging, folder)
        return
    aside = _fresh(folder.parent, f".{folder.name}.old-")
    old = aside / folder.name
    os.rename(folder, old)
    try:
        os.rename(staging, folder)
    except BaseException:
        os.rename(old, folder)
        aside.rmdir()
        raise
    if (old / ".git").exists():
        os.rename(old / ".git", folder / ".git")
    shutil.rmtree(aside, ignore_errors=True)


def _fresh(parent: Path, prefix: str) -> Path:
    """A new folder in ``parent``, made with the umask's mode (a bundle is meant to be shared:
    not mkdtemp's 0700)."""
    while True:
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


#: Spec keys that point at what stays behind: a bundle's spec must not name them.
_PRIVATE_KEYS = ("oracles", "checks", "solution_notebook")


#: What the comparators file is called in a bundle (the spec's key is rewritten to it).
COMPARATORS_FILE = "comparators.py"


def _bundle_spec(assignment: Assignment) -> str:
    """The spec without comments (meant for instructors) and without the keys naming the
    oracles, the checks module and the solution; the comparators are named as the bundle
    holds them, beside the spec."""
    lines = (assignment.folder / SPEC_FILE).read_text(encoding="utf-8").splitlines()
    kept = [
        f'comparators = "{COMPARATORS_FILE}"' if _sets(line, "comparators") else line
        for line in lines
        if not line.lstrip().startswith("#") and not any(_sets(line, k) for k in _PRIVATE_KEYS)
    ]
    return "\n".join(kept) + "\n"


def _sets(line: str, key: str) -> bool:
    return line.strip().replace(" ", "").startswith(f"{key}=")


def public_plan(assignment: Assignment, plan_limits: Any) -> GradingPlan:
    """A plan from a bundle's public.json: the expected answers are shown, they are public."""
    path = assignment.public_path
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        checks = document["checks"]
        cases = {c.key: tuple(checks[c.key]["cases"]) for c in assignment.checks}
        expected = {c.key: tuple(checks[c.key]["expected"]) for c in assignment.checks}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FrozenInputsError(path, f"unreadable public checks ({exc!r})") from None
    return GradingPlan(assignment, cases, expected, plan_limits, "public", show_expected=True)
