"""``grader new``: a small assignment that grades out of the box, to edit into a real one.

Starting from a working example teaches the format faster than a reference page: every file an
assignment needs, every marker of the source notebook, and a spec that passes ``grader validate``
at once: ``new`` also writes the notebooks (``assign``) and freezes the inputs (``freeze``), so
the example grades as it stands, and the first edit shows what ``validate`` says when a step is
missed.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.assignment._source import SOURCE_NOTEBOOK, render
from grader.assignment._spec import SPEC_FILE
from grader.errors import ScaffoldError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_SPEC = """\
# The assignment's questions, points and checks: the single source of what is graded.
# After editing this file or checks.py, run `grader freeze {name}` to redraw frozen.json.

name = "{name}"
title = "{name}: a first exercise sheet"
student_notebook = "student.ipynb"    # written by `grader assign {name}` from source.ipynb
solution_notebook = "solution.ipynb"  # likewise
oracles = "../../reference/{name}.py" # the reference answers; never given to students
checks = "checks.py"                  # input strategies and hint properties
seed = 1
show_expected = false                 # feedback on hidden checks hides the expected value
kernel_packages = ["numpy"]

[[questions]]
id = "1"
title = "The mean of a sample"
points = 2

  [[questions.checks]]
  function = "mean"
  params = {{ x = "vector" }}
  returns = "scalar"
  inputs = "sample"
  properties = ["mean_within_range"]

[[questions]]
id = "2"
title = "Centring a sample"
points = 3

  [[questions.checks]]
  function = "centre"
  params = {{ x = "vector" }}
  returns = "vector"
  inputs = "sample"
  examples = 50

[[questions]]
id = "3"
title = "Why centre a sample?"
points = 1
manual = true                         # graded by hand: see OUT/manual-template.csv
"""

_CHECKS = '''\
"""Inputs and hint properties of {name} (run by the grader, never in a student's kernel)."""

from __future__ import annotations

from hypothesis import strategies as st

from grader import Inputs, Property

_values = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_subnormal=False)

INPUTS = {{
    # A strategy of argument dicts, plus the edge cases that are always graded.
    "sample": Inputs(
        st.builds(lambda x: {{"x": x}}, st.lists(_values, min_size=1, max_size=20)),
        edges=({{"x": [1.0]}}, {{"x": [-1.0, 1.0]}}, {{"x": [0.0, 0.0, 3.0]}}),
    ),
}}


def _within(case, results) -> bool:
    m = results["m"]
    if type(m) not in (int, float):  # no number at all: the comparison already says so
        return True
    slack = 1e-6 * (1 + max(abs(v) for v in case["x"]))
    return min(case["x"]) - slack <= m <= max(case["x"]) + slack


PROPERTIES = {{
    # Tried only when a check fails, to give a hint; properties never earn marks.
    "mean_within_range": Property(
        "the mean lies between the smallest and the largest value",
        lambda x: {{"m": ("mean", (x,))}},
        _within,
    ),
}}
'''

_ORACLES = '''\
"""Reference answers of {name}: the grader compares every student answer with these."""

import numpy as np


def mean(x):
    return float(np.mean(x))


def centre(x):
    return np.asarray(x, dtype=np.float64) - np.mean(x)
'''


_METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}


def _source(name: str) -> nbformat.NotebookNode:
    question = [{"tags": [f"question:{n}"]} for n in (1, 2, 3)]
    cells = [
        new_markdown_cell(f"# {name}\n\nFill in each function; keep its name.", id="title"),
        new_code_cell("import numpy as np", id="imports"),
        new_markdown_cell(
            "## Question 1\n\nReturn the mean of `x`.", id="q1", metadata=question[0]
        ),
        new_code_cell(
            'def mean(x):\n    """The arithmetic mean of the numbers in x."""\n'
            "    # BEGIN SOLUTION\n    return sum(x) / len(x)\n    # END SOLUTION",
            id="mean",
            metadata=question[0],
        ),
        new_markdown_cell(
            "## Question 2\n\nReturn `x` minus its mean.", id="q2", metadata=question[1]
        ),
        new_code_cell(
            'def centre(x):\n    """x shifted so that its mean is 0."""\n'
            "    return np.asarray(x) - mean(x)  # SOLUTION",
            id="centre",
            metadata=question[1],
        ),
        new_markdown_cell(
            "## Question 3 (graded by hand)\n\nWhat is the mean of a centred sample, and why?",
            id="q3",
            metadata=question[2],
        ),
        new_markdown_cell(
            "It is 0: subtracting the mean moves every value, and so the mean, by that amount.",
            id="answer-3",
            metadata={"tags": ["question:3", "manual"]},
        ),
        new_code_cell(
            "# Try your functions here, e.g.\n# mean([1.0, 2.0, 3.0])",
            id="try-it",
            metadata={"tags": ["student-only"]},
        ),
        new_code_cell(
            "assert mean([1.0, 3.0]) == 2.0\nassert list(centre([1.0, 3.0])) == [-1.0, 1.0]",
            id="self-test",
            metadata={"tags": ["solution-only"]},
        ),
    ]
    return new_notebook(cells=cells, metadata=_METADATA)


def scaffold(name: str, root: Path) -> list[Path]:
    """Write ``root/assignments/NAME/`` and ``root/reference/NAME.py``, ready to grade; never
    overwrite."""
    if not _NAME.match(name):
        raise ScaffoldError(
            f"{name!r} cannot name an assignment: use lower-case letters, digits and _, "
            "starting with a letter (it also names the oracles' Python file)"
        )
    folder = root / "assignments" / name
    oracles = root / "reference" / f"{name}.py"
    for path in (folder, oracles):
        if path.exists():
            raise ScaffoldError(f"{path} already exists; pick another name or remove it")
    folder.mkdir(parents=True)
    oracles.parent.mkdir(parents=True, exist_ok=True)
    files = {
        folder / SOURCE_NOTEBOOK: render(_source(name)),
        folder / SPEC_FILE: _SPEC.format(name=name),
        folder / "checks.py": _CHECKS.format(name=name),
        oracles: _ORACLES.format(name=name),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return [*files, *_make_ready(folder)]


def _make_ready(folder: Path) -> list[Path]:
    """What ``grader assign`` and ``grader freeze`` write, so the scaffold grades as it stands:
    the student and solution notebooks, and ``frozen.json``."""
    from grader.assignment._frozen import freeze
    from grader.assignment._source import assign
    from grader.assignment._spec import load_assignment

    student, solution = assign(folder)
    frozen = freeze(load_assignment(folder))
    return [student, solution, folder / frozen.name]
