"""Public cases chosen by the author, and kept out of proportional credit (issue 27, item 4).

The small sheet of tests/files/sheet_checks is copied and its ``double`` check given
``public_cases`` and proportional credit; it is frozen, bundled and graded for real, in kernels.
A submission that looks the public answers up (they are in the bundle) must earn nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.assignment._frozen import freeze, inputs_hash
from grader.assignment._plan import GradingPlan
from grader.assignment._release import release_bundle
from grader.assignment._source import assign
from grader.assignment._spec import load_assignment
from grader.grading._notebook import grade_notebook
from grader.report._render_text import PLAIN, check_line, feedback_by_question
from grader.results._context import NO_OPTIONS
from tests.conftest import ASSIGNMENT, FILES, ROOT

SHEET = FILES / "sheet_checks"
DOUBLE = '  function = "double"\n'
CHOSEN = 'public_cases = [{ x = 2.5 }, { x = -4.0 }]\n  credit = "proportional"\n'
#: What a student could write with the bundle's public.json open beside them.
LOOKUP = "def double(x):\n    return {2.5: 5.0, -4.0: -8.0}.get(x, 2.0 * x + 1.0)"


def _sheet(root: Path, extra: str = CHOSEN) -> Path:
    folder = root / "sheet_checks"
    shutil.copytree(SHEET, folder)
    spec = (folder / "spec.toml").read_text()
    assert spec.count(DOUBLE) == 1
    (folder / "spec.toml").write_text(spec.replace(DOUBLE, DOUBLE + "  " + extra))
    return folder


def _with_double(sheet: Path, source: str, name: str) -> Path:
    nb = nbformat.read(sheet / "solution.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if "def double" in c.source]
    cell.source = cell.source[: cell.source.index("def double")] + source
    path = sheet.parent / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _sheet(tmp_path_factory.mktemp("public"))
    assign(folder)
    freeze(load_assignment(folder))
    return folder


def _double(sheet: Path, name: str, source: str):
    plan = GradingPlan.build(load_assignment(sheet))
    result = grade_notebook(plan, _with_double(sheet, source, name))
    (check,) = [c for c in result.questions[2].checks if c.function == "double"]
    return plan, result, check


def test_chosen_public_cases_come_first_in_their_order_and_ship_in_the_bundle(sheet, tmp_path):
    cases = json.loads((sheet / "frozen.json").read_text())["checks"]["3/double"]["cases"]
    assert cases[:2] == [{"x": 2.5}, {"x": -4.0}]
    assert {"x": 0.0} in cases[2:]  # the edge is still graded, after them
    assert len(cases) == len({json.dumps(c) for c in cases})
    bundle = release_bundle(load_assignment(sheet), tmp_path / "bundle")
    public = json.loads((bundle / "public.json").read_text())["checks"]["3/double"]
    assert public["cases"] == [{"x": 2.5}, {"x": -4.0}]
    assert public["expected"] == [5.0, -8.0]  # the oracle's: 2x
    assert load_assignment(sheet).checks[-1].public == 2


def test_a_lookup_of_the_public_answers_earns_nothing(sheet):
    plan, result, check = _double(sheet, "lookup", LOOKUP)
    total = len(plan.cases["3/double"])
    assert (check.cases_passed, check.cases_run) == (2, total)
    assert check.share == 0.0 and check.uncounted == 2
    assert result.questions[2].points == pytest.approx(1.0)  # the variable's point only
    text = feedback_by_question(result, NO_OPTIONS)["3"]
    assert f"double is right on 2 of {total} inputs; its share comes from the other " in text
    assert "the 2 public ones, whose answers you can see, earn nothing" in text
    line = check_line(check, NO_OPTIONS, PLAIN)  # the letters' line
    assert line.startswith(f"double (right on 2 of {total} inputs; the 2 public ones earn nothing)")


def test_a_function_wrong_on_some_hidden_inputs_earns_their_share(sheet):
    wrong_when_negative = "def double(x):\n    return 2.0 * x if x >= 0 else 2.0 * x + 1.0"
    plan, _, check = _double(sheet, "half_right", wrong_when_negative)
    hidden = plan.cases["3/double"][2:]
    right = sum(1 for case in hidden if case["x"] >= 0)
    assert 0 < right < len(hidden)
    assert check.share == pytest.approx(right / len(hidden))


def test_public_credit_counts_the_public_cases_when_the_author_says_so(tmp_path):
    folder = _sheet(tmp_path, CHOSEN + "  public_credit = true\n")
    assign(folder)
    freeze(load_assignment(folder))
    plan, _, check = _double(folder, "lookup", LOOKUP)
    assert check.uncounted == 0
    assert check.share == pytest.approx(2 / len(plan.cases["3/double"]))


def test_a_check_without_chosen_cases_keeps_its_frozen_inputs():
    """The bundled sheets were frozen before public_cases existed: same hash, no redraw."""
    frozen = json.loads((ASSIGNMENT / "frozen.json").read_text())
    assert frozen["inputs_sha256"] == inputs_hash(load_assignment(ASSIGNMENT))


BAD = {
    "an argument missing": ("public_cases = [{ y = 1.0 }]\n", "must give exactly the arguments"),
    "not finite": ("public_cases = [{ x = inf }]\n", "use finite numbers and lists"),
    "a string": ('public_cases = [{ x = "2" }]\n', "use finite numbers and lists"),
    "twice": ("public_cases = [{ x = 1.0 }, { x = 1.0 }]\n", "lists one case twice"),
    "a count that disagrees": (
        "public_cases = [{ x = 1.0 }]\n  public = 3\n",
        "public is 3 but public_cases lists 1",
    ),
}


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


@pytest.mark.parametrize("edit", BAD.values(), ids=list(BAD))
def test_assign_freeze_and_validate_refuse_the_same_bad_public_cases(tmp_path, edit):
    extra, said = edit
    folder = _sheet(tmp_path, extra)
    for command in ("assign", "freeze", "validate"):
        run = _cli(command, folder)
        assert run.returncode == 2 and said in run.stderr, (command, run.stderr)
        assert "Traceback" not in run.stderr


def test_grader_inputs_names_the_chosen_public_cases(sheet):
    from grader.grading._inputs import lines, summarise

    plan = GradingPlan.build(load_assignment(sheet))
    text = lines(plan.assignment, summarise(plan))
    (double,) = [n for n, line in enumerate(text) if "3/double:" in line]
    count = len(plan.cases["3/double"])
    assert text[double].startswith(
        f"3/double: {count} inputs (1 edges + 2 chosen public + 10 drawn, "
    )
    assert text[double].endswith("the first 2 public (chosen by the author)")
    shown = [line.strip() for line in text[double:] if line.startswith("    public: ")][:2]
    assert shown == ['public: {"x": 2.5} -> 5.0', 'public: {"x": -4.0} -> -8.0']
