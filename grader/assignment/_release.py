"""The student bundle: the notebook and public checks as precomputed cases, nothing of the oracle.

Public cases are the simplest few frozen cases of each check, with the oracle's answers computed
here; the oracle's source, the solution, the input strategies and the hidden cases stay behind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from grader._files import write_atomic
from grader.assignment._bundle_ci import add_wheel, add_workflow
from grader.assignment._plan import GradingPlan
from grader.assignment._spec import SPEC_FILE, Assignment
from grader.errors import FrozenInputsError, OutputError

PUBLIC_FORMAT = 1


def release_bundle(assignment: Assignment, out: Path, wheel: Path | None = None) -> Path:
    """Write ``out/<assignment name>/`` with spec, student notebook, data files, public.json,
    the grader's wheel (``wheel``, or one built from this checkout) and a CI workflow."""
    plan = GradingPlan.build(assignment)
    folder = out / assignment.name
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file; pass another --out")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SPEC_FILE).write_text(_bundle_spec(assignment), encoding="utf-8")
    shutil.copyfile(assignment.student_notebook, folder / assignment.student_notebook.name)
    for data in assignment.data_files:
        shutil.copyfile(data, folder / data.name)
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
    return folder


#: Spec keys that point at what stays behind: a bundle's spec must not name them.
_PRIVATE_KEYS = ("oracles", "checks", "solution_notebook")


def _bundle_spec(assignment: Assignment) -> str:
    """The spec without comments (meant for instructors) and without the keys naming the
    oracles, the checks module and the solution."""
    lines = (assignment.folder / SPEC_FILE).read_text(encoding="utf-8").splitlines()
    kept = [
        line
        for line in lines
        if not line.lstrip().startswith("#")
        and not any(line.strip().replace(" ", "").startswith(f"{key}=") for key in _PRIVATE_KEYS)
    ]
    return "\n".join(kept) + "\n"


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
