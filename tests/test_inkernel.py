"""``selfcheck()`` in a real Jupyter kernel: finds the saved notebook from the session, agrees with
``grader check`` on it, and says when the kernel ran something the saved file does not hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel

from grader.assignment._release import release_bundle
from tests.conftest import EXAMPLES, ROOT

CHECK = 'from grader import selfcheck\nreport = selfcheck("1b")\nreport'


@pytest.fixture(scope="module")
def bundle(assignment, tmp_path_factory):
    return release_bundle(assignment, tmp_path_factory.mktemp("bundle"))


def saved(bundle, name, counts=None):
    """Erin's notebook saved in the bundle as if its code cells ran with ``counts``
    (1, 2, ... top to bottom by default); the sources, in order."""
    nb = nbformat.read(EXAMPLES / "erin_variance_bug.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell, count in zip(code, counts or range(1, len(code) + 1)):
        cell.execution_count = count
    nbformat.write(nb, bundle / name)
    return [c.source for c in code]


class Kernel:
    """A student's kernel, started the way jupyter-server starts one for ``name``."""

    def __init__(self, bundle, name):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if name:
            env["JPY_SESSION_NAME"] = str(bundle / name)
        self.manager, self.client = start_new_kernel(cwd=str(bundle), env=env)

    def run(self, code):
        outputs = []
        reply = self.client.execute_interactive(
            code, timeout=300, output_hook=outputs.append, store_history=True
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        data = [o["content"]["data"] for o in outputs if o["msg_type"] == "execute_result"]
        return data[-1] if data else None

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel_for(bundle):
    kernels = []

    def start(name):
        kernels.append(Kernel(bundle, name))
        return kernels[-1]

    yield start
    for kernel in kernels:
        kernel.close()


def _check_json(bundle, name, tmp_path):
    subprocess.run(
        [sys.executable, "-m", "grader", "check", name, "--json", str(tmp_path / "c.json")],
        cwd=bundle,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=300,
    )
    document = json.loads((tmp_path / "c.json").read_text())
    return {c["function"]: c for q in document["questions"] for c in q["checks"]}


def test_a_table_of_the_public_checks_that_agrees_with_grader_check(bundle, kernel_for, tmp_path):
    sources = saved(bundle, "erin.ipynb")
    kernel = kernel_for("erin.ipynb")
    for source in sources:
        kernel.run(source)
    shown = kernel.run(CHECK)
    table, text = shown["text/html"], shown["text/plain"]
    assert table.count("<tr>") == 4  # the header and the three checks of 1b
    assert "entropy" not in text  # only the question asked for
    expected = _check_json(bundle, "erin.ipynb", tmp_path)
    for function in ("kl_gaussian", "kl_gaussian_same_mean", "kl_gaussian_same_variance"):
        assert expected[function]["status"] == "wrong"
        assert f"{function}  wrong  {expected[function]['feedback']}" in text
    assert "Warning" not in text
    assert text.splitlines()[-1] == "3 of 8 public checks fail; hidden checks also count"


def test_it_says_when_the_kernel_ran_what_the_saved_file_does_not_hold(bundle, kernel_for):
    sources = saved(bundle, "edited.ipynb")
    kernel = kernel_for("edited.ipynb")
    for source in sources:
        kernel.run(source)
    kernel.run(sources[4].replace("0.5 *", "0.5 * 1.0 *"))  # re-run, edited, not saved
    text = kernel.run(CHECK)["text/plain"]
    assert "changes that are not saved" in text


def test_it_says_when_cells_ran_out_of_order(bundle, kernel_for):
    sources = saved(bundle, "shuffled.ipynb", counts=[1, 2, 3, 4, 6, 5, 7, 8, 9])
    kernel = kernel_for("shuffled.ipynb")
    order = [0, 1, 2, 3, 5, 4, 6, 7, 8]
    for index in order:
        kernel.run(sources[index])
    text = kernel.run(CHECK)["text/plain"]
    assert "cells ran out of order" in text
    assert "changes that are not saved" not in text


def test_without_a_session_it_asks_for_the_path_in_one_sentence(bundle, kernel_for):
    saved(bundle, "nameless.ipynb")
    kernel = kernel_for(None)
    text = kernel.run(CHECK)["text/plain"]
    assert text == (
        "Cannot tell which notebook this kernel runs: save it, then call "
        'selfcheck(notebook="your_notebook.ipynb") with its file name.'
    )
    text = kernel.run('selfcheck("1a", notebook="nameless.ipynb")')["text/plain"]
    assert text.splitlines()[0] == "1a  entropy  pass"


LEFT_IN = [
    "from grader import selfcheck\nselfcheck()",
    'import grader\nreport = grader.selfcheck("1b", notebook="student.ipynb")\nx_after = 1',
]


def test_selfcheck_cells_left_in_a_handed_in_notebook_do_nothing_in_grading(plan, tmp_path):
    """The grading kernel's ``grader`` is a stand-in: the cells run, print one line, and the
    grade is what it is without them; the grader's own package is not importable there."""
    from nbformat.v4 import new_code_cell

    from grader import grade_notebook
    from grader.kernel._before_cells import SELFCHECK_NOTE

    nb = nbformat.read(ROOT / "assignments" / "variational_inference" / "solution.ipynb", 4)
    probe = "import grader\nprint(sorted(vars(grader)), hasattr(grader, '__path__'))"
    for index, source in enumerate([*LEFT_IN, probe]):
        nb.cells.insert(2 + index, new_code_cell(source, id=f"left-{index}"))
    path = tmp_path / "handed_in.ipynb"
    nbformat.write(nb, path)
    executed = tmp_path / "executed.ipynb"
    result = grade_notebook(plan, path, keep_executed=executed)
    automatic = [q for q in result.questions if not q.manual]
    assert all(q.points == q.max_points for q in automatic), result
    assert not [e for e in result.events if e.code == "cell_failed"], result.events
    cells = {c.get("id"): c for c in nbformat.read(executed, 4).cells}
    for index in range(len(LEFT_IN)):
        texts = [o.get("text", "") for o in cells[f"left-{index}"].outputs]
        assert texts == [SELFCHECK_NOTE + "\n"], texts
    (shown,) = [o.get("text", "") for o in cells[f"left-{len(LEFT_IN)}"].outputs]
    # Nothing of the grader's package: no path to import its modules from, no other name.
    assert "'selfcheck'" in shown and "'grade_notebook'" not in shown and shown.endswith("False\n")


def test_outside_a_bundle_it_says_so_in_one_sentence(tmp_path):
    """No spec.toml around the notebook: nothing to check it against, said as a message (the
    CLI's advice, --assignment, means nothing in a cell)."""
    from grader import selfcheck

    notebook = tmp_path / "mine.ipynb"
    notebook.write_bytes((EXAMPLES / "erin_variance_bug.ipynb").read_bytes())
    report = selfcheck(notebook=notebook)
    assert repr(report) == (
        "mine.ipynb is not in a student bundle (no spec.toml in its folder or the folders above "
        "it): selfcheck() checks a notebook inside the folder your course gave you; move it there."
    )
    assert not report.passed
