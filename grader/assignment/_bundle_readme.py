"""The README of a student bundle: what a student reads first, written by ``grader release``.

A student gets a folder from a course, not a link to the grader's documentation: the folder
itself must say what each file is, how to install the grader (never from PyPI, where the name
belongs to someone else), how to check a notebook in a terminal, in Jupyter and with pytest,
and what the public checks do not promise. Each file is named from the list of what was
written, so a file added to the bundle later cannot be left unexplained (a test reads both).
"""

from __future__ import annotations

from pathlib import Path

from grader.assignment._bundle_ci import WORKFLOW_PATH, install_command
from grader.assignment._spec import SPEC_FILE, Assignment
from grader.kernel._limits import Limits

README_FILE = "README.md"


def bundle_readme(assignment: Assignment, files: list[str], wheel: str) -> str:
    """The bundle's README.md; ``files``: every file the bundle holds, as relative paths."""
    notebook = assignment.student_notebook.name
    first = assignment.questions[0].id if assignment.questions else "1"
    parts = [
        f"# {assignment.title}\n\nThis folder holds the exercise sheet `{notebook}` and what "
        "you need to check your answers against the sheet's public checks before you hand it "
        "in.\n",
        _files_section(assignment, files, wheel),
        _install_section(wheel),
        _check_section(notebook, first),
        _promise_section(assignment),
    ]
    return "\n".join(parts)


def _describe(assignment: Assignment, name: str, wheel: str) -> str:
    """One line per kind of file; a file nobody described still gets a line (never skipped)."""
    known = {
        assignment.student_notebook.name: "the exercise sheet: write your answers in it",
        SPEC_FILE: "the questions, their points and the functions checked (read by the grader)",
        "public.json": "the public checks: a few inputs of each function with their answers",
        "comparators.py": (
            "how the sheet decides that two answers are equal where it is not plain equality "
            "(read by the grader)"
        ),
        wheel: "the grader itself, to install (see below)",
        WORKFLOW_PATH.as_posix(): (
            "runs the public checks on GitHub on each push to `main` and each pull request"
        ),
        README_FILE: "this file",
    }
    data = {d.name for d in assignment.data_files}
    if name in data:
        return "data the notebook reads; keep it beside the notebook"
    return known.get(name, "part of the bundle")


def _files_section(assignment: Assignment, files: list[str], wheel: str) -> str:
    rows = "\n".join(f"| `{name}` | {_describe(assignment, name, wheel)} |" for name in files)
    return f"## What is in this folder\n\n| file | what it is |\n| --- | --- |\n{rows}\n"


def _install_section(wheel: str) -> str:
    return f"""## Install

In this folder, in a virtual environment (Python 3.10 or later):

```bash
python -m venv .venv
source .venv/bin/activate        # on Windows: .venv\\Scripts\\activate
{install_command(wheel)}
```

That one line installs the grader from the wheel in this folder, with everything the checks
below need (pytest among them). Never run `pip install grader`: that name on PyPI belongs to an
unrelated package. To check in Jupyter, start Jupyter from this environment (if it has none
yet: `python -m pip install jupyterlab`), so that the notebook's kernel can import `grader`.
"""


def _check_section(notebook: str, first: str) -> str:
    return f"""## Check your work

Save the notebook first: every check reads the saved file, not what your kernel holds.

- **In a terminal**, in this folder: `grader check {notebook}`. It prints each question's
  points on the public checks and, for a failing check, the input, what was expected and what
  your function returned. Exit status 0 when every public check passes, 1 when some fail, 2
  when the notebook cannot be checked (the message says why).
- **In Jupyter**: a cell `from grader import selfcheck; selfcheck()` shows a table of the
  public checks of the saved notebook (`selfcheck("{first}")` for one question). It warns when
  the kernel ran cells the saved file does not hold, or ran them out of order. Where it cannot
  tell which notebook it runs in, pass it: `selfcheck(notebook="{notebook}")`.
- **With pytest**: `pytest --grade {notebook}` (one test per check; `-k {first}` for one
  question). Run it in this folder only: pytest trusts the configuration of the folder it runs
  in.
- **On GitHub**, if this folder is your repository: every push to `main` and every pull request
  runs the public checks (the Actions tab shows the result and a table of the checks).

You may leave `selfcheck()` cells in the notebook you hand in: while it is graded,
`selfcheck()` does nothing but print one line.
"""


def _promise_section(assignment: Assignment) -> str:
    manual = assignment.manual_questions
    by_hand = (
        "- Questions graded by hand ("
        + ", ".join(q.id for q in manual)
        + ") are not checked here at all.\n"
        if manual
        else ""
    )
    timeout = Limits().cell_timeout
    return f"""## What the public checks promise, and what they do not

- They call your functions on the few inputs in `public.json` and compare the answers with the
  expected ones exactly as the grading does: the same comparisons, tolerances and feedback.
- Passing them all is **not** a promise of full marks: the grade also uses hidden checks, on
  many more inputs (edge cases among them). A function that is right only on the public inputs
  still loses points.
{by_hand}- The grade reruns your saved notebook from the top in a fresh kernel, with a limit of
  {timeout:g} s per cell: before you hand it in, restart the kernel and run all cells.
- Functions are found by name: keep the names the sheet gives.
"""


def bundle_files(folder: Path) -> list[str]:
    """Every file under ``folder`` as a relative POSIX path, sorted: what the README lists."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
