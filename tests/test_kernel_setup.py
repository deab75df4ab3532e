"""The grader's own code in a submission's kernel: the before-cells code and the driver, read
from the kernel's ``conn`` folder (``_protocol.install_request``).

Before: where that code failed in the kernel (Gradescope's umask 077 left its files unreadable
to the kernels' user), the failure was silent: the cells ran without the output cap and every
function was "not defined", 0 marks with feedback blaming the student. Now a failure is the
submission's ``error`` result naming where it failed; and what a notebook names its variables
(``open``, ``compile``) never breaks that code.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader.assignment._plan import GradingPlan
from grader.assignment._spec import load_assignment
from grader.grading._notebook import grade_notebook
from grader.grading._worker import grade_in_turn, grade_safely
from grader.kernel import _protocol
from grader.report._render_text import result_notes
from grader.results._model import SubmissionResult
from tests.conftest import ASSIGNMENT, EXAMPLES


@pytest.fixture(scope="module")
def plan() -> GradingPlan:
    return GradingPlan.build(load_assignment(ASSIGNMENT))


def _marks(result: SubmissionResult) -> list[tuple[str, float, str]]:
    return [(q.question, q.points, q.status) for q in result.questions]


def _alice_with(tmp_path: Path, code: str, first: bool) -> Path:
    notebook = nbformat.read(EXAMPLES / "alice_numpy.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell(code)
    notebook.cells.insert(0 if first else len(notebook.cells), cell)
    path = tmp_path / "alice_plus.ipynb"
    nbformat.write(notebook, path)
    return path


def test_variables_named_after_builtins_leave_the_grading_alone(plan, tmp_path):
    """A notebook's names are the namespace the driver is installed from: ``open = ...`` there
    once made the install fail and every function "not defined"."""
    names = "open = compile = exec = 'mine'\nbuiltins = types = None\n"
    result = grade_notebook(plan, _alice_with(tmp_path, names, first=True))
    alone = grade_notebook(plan, EXAMPLES / "alice_numpy.ipynb")
    assert _marks(result) == _marks(alone)
    assert all(q.status in ("ok", "pending") for q in result.questions), _marks(result)


def test_a_builtin_broken_by_the_notebook_is_an_error_result(plan, tmp_path):
    """After the cells the driver needs the kernel's built-ins; a notebook that broke one gets
    an error saying so, never "not defined" for functions it defines."""
    breaks = "import builtins\nbuiltins.open = None\n"
    result = grade_notebook(plan, _alice_with(tmp_path, breaks, first=False))
    automatic = [q for q in result.questions if q.status != "pending"]
    assert automatic and all(q.status == "error" and q.points == 0 for q in automatic)
    notes = result_notes(result)
    assert "after its cells (TypeError)" in notes and "replaced a built-in" in notes, notes
    assert "no function" not in notes


@pytest.mark.parametrize("ahead", [False, True], ids=["at-its-turn", "launched-ahead"])
def test_before_cells_code_failing_is_an_error_not_a_grade(plan, tmp_path, monkeypatch, ahead):
    """The before-cells code (output cap, seeds) failing in the kernel, whether sent when the
    kernel started or when it was launched ahead: each submission's result is an error naming
    it; no cell ran uncapped to be graded."""
    real = _protocol.before_cells_request
    monkeypatch.setattr(
        _protocol,
        "before_cells_request",
        lambda limit, conn: real(limit, conn) + "raise PermissionError('as under umask 077')\n",
    )
    paths = [EXAMPLES / "alice_numpy.ipynb", EXAMPLES / "dave_log2.ipynb"]
    results: list[SubmissionResult] = []
    if ahead:  # the second one's kernel is launched while the first is graded
        grade_in_turn(plan, paths, tmp_path / "out", results.append)
    else:
        results = [grade_safely(plan, path, tmp_path / "out") for path in paths]
    assert len(results) == 2
    for result in results:
        notes = result_notes(result)
        assert "KernelSetupError" in notes and "before the cells (PermissionError)" in notes
        assert all(q.points == 0 for q in result.questions if q.status != "pending")
        assert "as under umask 077" not in notes  # the kernel's own text is not passed on


#: A cell whose flushes before a display must keep the order of what it shows.
ORDERED = (
    "import sys\nfrom IPython.display import display\n"
    "print('a', end='')\nsys.stdout.flush()\ndisplay('b')\nprint('c')\n"
)
#: Counts what a flush of each stream hands ipykernel's IO thread, with nothing printed.
HANDED = """
import sys

def handed_by_empty_flushes():
    handed = []
    thread = sys.stdout.pub_thread
    real = thread.schedule
    thread.schedule = lambda f: (handed.append(f), real(f))[1]
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        del thread.schedule
    return float(len(handed))

AT_THE_CELLS = handed_by_empty_flushes()

def handed_at_the_cells():
    return AT_THE_CELLS
"""


def test_a_flush_with_nothing_to_send_waits_for_no_thread(tmp_path):
    """A kernel flushes stdout and stderr before every reply, each flush a round trip to
    ipykernel's IO thread even with nothing printed (a third of the kernel's CPU for one of
    the grader's requests; issue 31): from before the cells, one with nothing buffered hands
    the thread nothing. Four hand-overs each before."""
    from grader.kernel._limits import Limits
    from grader.kernel._session import KernelSession

    path = tmp_path / "flushes.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(HANDED), nbformat.v4.new_code_cell(ORDERED)]
    nbformat.write(notebook, path)
    with KernelSession(path, Limits()) as session:
        assert not session.run_notebook().errors
        handed = [session.call(name, [], [[]])[0] for name in ("handed_at_the_cells",)]
        now = session.call("handed_by_empty_flushes", [], [[]])[0]
        shown = session.nb.cells[1].outputs
    assert [(o.kind, o.value) for o in (*handed, now)] == [("value", 0.0), ("value", 0.0)]
    # what has text to send goes the usual way: the cell's output in the order it was made
    texts = [o.get("text") or o.get("data", {}).get("text/plain") for o in shown]
    assert [o.output_type for o in shown] == ["stream", "display_data", "stream"]
    assert texts == ["a", "'b'", "c\n"]
