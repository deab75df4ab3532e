"""Several checks of one function in a question, per-field credit, comparators in their own
file shipped in the student bundle, and the feedback they give (issue 27, items 1, 3 and 7).

A small sheet (tests/files/sheet_checks) is assigned, frozen and graded for real, in kernels;
its submissions are the solution with one line changed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from grader.assignment._frozen import freeze
from grader.assignment._plan import GradingPlan
from grader.assignment._release import release_bundle
from grader.assignment._source import assign
from grader.assignment._spec import check_spec, load_assignment
from grader.errors import SpecError
from grader.grading._notebook import grade_notebook
from grader.grading._selfcheck import run_check
from grader.kernel._limits import Limits
from grader.report._render_text import PLAIN, all_agree, check_line, question_text
from grader.results._context import NO_OPTIONS
from grader.results._values import decode
from tests.conftest import ASSIGNMENT, EXAMPLES, FILES, MEAN_FIELD, MEAN_FIELD_EXAMPLES, ROOT

SHEET = FILES / "sheet_checks"
SUMMARY = "    return Summary(float(np.mean(x)), float(np.max(x) - np.min(x)))"
ENDS = "    return [float(np.min(x)), float(np.max(x))]"
BOUNDS = "    return (float(np.min(x)), float(np.max(x)))"
#: Each submission: the solution with lines replaced.
CHANGES = {
    "solution": {},
    # A dict for the dataclass, the ends the other way round: only the comparator accepts it.
    "other_order": {
        SUMMARY: '    return {"mean": float(np.mean(x)), "spread": float(np.ptp(x))}',
        ENDS: "    return [float(np.max(x)), float(np.min(x))]",
    },
    "std_spread": {SUMMARY: "    return Summary(float(np.mean(x)), float(np.std(x)))"},
    "same_ends": {ENDS: "    return [float(np.min(x)), float(np.min(x))]"},
    # ends wrong on two numbers only, bounds wrong on longer samples only: the property that
    # relates them breaks on inputs bounds passed too, and the hint must not quote those.
    "crossed": {
        ENDS: "    return [float(np.min(x)), float(np.max(x))] if len(x) > 2 else [0.0, 0.0]",
        BOUNDS: "    return (float(np.min(x)), float(np.max(x)) + (len(x) > 2))",
    },
}


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from grader._cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sheet") / "sheet_checks"
    shutil.copytree(SHEET, folder)
    assign(folder)
    freeze(load_assignment(folder))
    return folder


@pytest.fixture(scope="module")
def notebooks(sheet: Path) -> dict[str, Path]:
    made = {}
    for name, changes in CHANGES.items():
        nb = nbformat.read(sheet / "solution.ipynb", as_version=4)
        for old, new in changes.items():
            assert any(old in cell.source for cell in nb.cells), old
            for cell in nb.cells:
                cell.source = cell.source.replace(old, new)
        path = sheet.parent / f"{name}.ipynb"
        nbformat.write(nb, path)
        made[name] = path
    return made


@pytest.fixture(scope="module")
def graded(sheet: Path, notebooks: dict[str, Path]) -> dict[str, object]:
    plan = GradingPlan.build(load_assignment(sheet))
    return {name: grade_notebook(plan, path) for name, path in notebooks.items()}


def test_extra_checks_have_their_own_keys_and_the_others_keep_theirs(sheet):
    import json

    frozen = json.loads((sheet / "frozen.json").read_text())["checks"]
    assert list(frozen) == [
        "1/summary#mean",
        "1/summary#spread",
        "1/summary#far",
        "2/ends",
        "2/bounds#1",
        "3/answer",
        "3/double",
    ]
    bundled = json.loads((ASSIGNMENT / "frozen.json").read_text())["checks"]
    assert "1a/entropy" in bundled and all("#" not in key for key in bundled)


def test_the_solution_earns_every_point_and_a_dict_is_a_dataclass(graded):
    assert graded["solution"].total == 8
    assert graded["other_order"].total == 8  # a dict for the dataclass; ends in another order


def test_each_field_earns_its_own_weight(graded):
    q1 = graded["std_spread"].questions[0]
    assert q1.points == 1.0  # mean right (1 of 4); spread and the far inputs wrong
    assert [(c.label, c.passed) for c in q1.checks] == [
        ("summary#mean", True),
        ("summary#spread", False),
        ("summary#far", False),
    ]
    text = question_text(graded["std_spread"], q1)
    assert "field spread: that is not the right value" in text
    line = check_line(q1.checks[2], NO_OPTIONS, PLAIN)
    assert line.startswith("summary#far (right on ") and "field spread" in line, line


def test_a_comparator_sentence_is_the_letter_s_reason(graded):
    q2 = graded["same_ends"].questions[1]
    assert q2.checks[0].reason.code == "comparator"
    assert "these are not the smallest and the largest values of x" in question_text(
        graded["same_ends"], q2
    )


def test_a_question_with_a_value_says_so_when_all_agree(graded):
    text = question_text(graded["solution"], graded["solution"].questions[2])
    assert text == "All 2 checks agree with the reference: 1 function on every input and 1 value."
    assert "function(s)" not in question_text(graded["solution"], graded["solution"].questions[0])


def test_one_check_that_agrees_is_said_in_the_singular(graded):
    """One check: "The one ... agrees", never "All 1 checks" or "function(s)"."""
    question = graded["solution"].questions[2]
    function = next(c for c in question.checks if not c.variable)
    value = next(c for c in question.checks if c.variable)
    named = replace(function, name="first")
    assert all_agree((named,)) == "The one check agrees with the reference on every input."
    assert all_agree((value,)) == "The one check agrees with the reference: the value is right."
    unnamed = replace(function, name=None)
    assert all_agree((unnamed,)) == "The one function agrees with the reference on every input."
    assert all_agree((unnamed, replace(unnamed, function="other"))) == (
        "All 2 functions agree with the reference on every input."
    )


def test_the_hint_quotes_an_input_the_check_failed(graded):
    bounds = graded["crossed"].questions[1].checks[1]
    assert not bounds.passed
    hint = bounds.reason.params["hint"]
    assert len(decode(hint["args"]["x"])) > 2, hint  # bounds passed every sample of two
    assert len(decode(bounds.failing_input["x"])) > 2


# -- one validation for assign, freeze and validate ----------------------------------------


BAD_SPECS = {
    "a function twice without names": (
        [('  field = "mean"\n', ""), ('  field = "spread"\n', "")],
        "more than once",
    ),
    "a field the answer lacks": ([('field = "spread"', 'field = "sd"')], "not one of the fields"),
    "an item past the tuple": ([("field = 1", "field = 2")], "not an item of a 2-tuple"),
    "a name that breaks the key": ([('name = "far"', 'name = "far/away"')], "name must be"),
    "params that differ": (
        [
            (
                'name = "far"\n  params = { x = "vector" }',
                'name = "far"\n  params = { y = "vector" }',
            )
        ],
        "different params",
    ),
}


@pytest.mark.parametrize("edit", BAD_SPECS.values(), ids=list(BAD_SPECS))
def test_assign_freeze_and_validate_refuse_the_same_specs(tmp_path, edit):
    edits, said = edit
    folder = tmp_path / "sheet_checks"
    shutil.copytree(SHEET, folder)
    spec = (folder / "spec.toml").read_text()
    for old, new in edits:
        assert old in spec
        spec = spec.replace(old, new, 1)
    (folder / "spec.toml").write_text(spec)
    for command in ("assign", "freeze", "validate"):
        run = _cli(command, folder)
        assert run.returncode != 0 and said in run.stderr + run.stdout, (command, run.stderr)


def test_assign_freeze_and_validate_accept_the_sheet(tmp_path):
    folder = tmp_path / "sheet_checks"
    shutil.copytree(SHEET, folder)
    for command in ("assign", "freeze", "validate"):
        run = _cli(command, folder)
        assert run.returncode == 0, (command, run.stdout, run.stderr)


# -- comparators in their own file ---------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "import oracles",
        "from oracles import ends",
        "from checks import INPUTS",
        "import grader.assignment._spec",
        "from grader import load_assignment",
        "import grader\nSHEET = grader.load_assignment('.')",
        'import runpy\nrunpy.run_path("oracles.py")',
    ],
)
def test_comparators_may_not_reach_the_oracles_or_checks(tmp_path, line):
    folder = tmp_path / "sheet_checks"
    shutil.copytree(SHEET, folder)
    comparators = folder / "comparators.py"
    comparators.write_text(line + "\n" + comparators.read_text())
    with pytest.raises(SpecError, match="ships to students in the bundle"):
        check_spec(folder)


def test_a_comparator_defined_twice_is_refused(tmp_path):
    folder = tmp_path / "sheet_checks"
    shutil.copytree(SHEET, folder)
    checks = folder / "checks.py"
    checks.write_text(checks.read_text() + "\nCOMPARATORS = {'any_order': lambda e, g: True}\n")
    with pytest.raises(SpecError, match=r"in both the comparators file and checks\.py"):
        check_spec(folder)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in wheel: these tests run the bundle's check with this checkout's grader."""
    path = tmp_path_factory.mktemp("wheel") / "grader-0.1.0-py3-none-any.whl"
    path.write_bytes(b"")
    return path


def test_the_bundle_ships_the_comparators_and_no_answers(sheet, wheel, tmp_path):
    bundle = release_bundle(load_assignment(sheet), tmp_path, wheel)
    names = {p.name for p in bundle.iterdir()}
    assert "comparators.py" in names
    assert not names & {"oracles.py", "checks.py", "solution.ipynb", "frozen.json"}
    assert 'comparators = "comparators.py"' in (bundle / "spec.toml").read_text()
    assert "comparators.py" in (bundle / "README.md").read_text()


def _verdicts(result: object) -> list[tuple[str, str, bool]]:
    return [(q.question, c.label, c.passed) for q in result.questions for c in q.checks]


def _public_batch(folder: Path) -> GradingPlan:
    """The batch's plan (the oracles, checks.py and all) cut to the public cases."""
    plan = GradingPlan.build(load_assignment(folder))
    checks = plan.assignment.checks
    cases = {c.key: plan.cases[c.key][: c.public] for c in checks}
    expected = {c.key: plan.expected[c.key][: c.public] for c in checks}
    return replace(plan, cases=cases, expected=expected)


def _sheets() -> list[tuple[str, Path | None, list[Path]]]:
    return [
        ("variational_inference", ASSIGNMENT, sorted(EXAMPLES.glob("*.ipynb"))),
        ("mean_field_vi", MEAN_FIELD, sorted(MEAN_FIELD_EXAMPLES.glob("*.ipynb"))),
        ("sheet_checks", None, []),
    ]


@pytest.mark.parametrize("name, folder, books", _sheets(), ids=[s[0] for s in _sheets()])
def test_the_bundle_check_and_the_batch_agree_on_the_public_cases(
    name, folder, books, sheet, notebooks, wheel, tmp_path
):
    folder = folder or sheet
    books = books or list(notebooks.values())
    bundle = release_bundle(load_assignment(folder), tmp_path, wheel)
    batch = _public_batch(folder)
    for book in books:
        inside = bundle / book.name
        shutil.copyfile(book, inside)
        checked = run_check(inside, None, Limits())
        assert checked.public
        graded = grade_notebook(batch, book)
        assert _verdicts(checked.result) == _verdicts(graded), book.name
        assert [q.points for q in checked.result.questions if not q.manual] == [
            q.points for q in graded.questions
        ], book.name


def test_the_bundle_checks_a_value_s_type_and_says_it_holds_no_answer(
    sheet, notebooks, wheel, tmp_path
):
    """A value's answer is never public: the bundle's check cannot pass it as right, only say
    it has the right type; an unanswered one (``answer = ...``) fails, as every check of an
    untouched sheet should."""
    bundle = release_bundle(load_assignment(sheet), tmp_path, wheel)
    nb = nbformat.read(notebooks["solution"], as_version=4)
    (cell,) = [c for c in nb.cells if c.source.startswith("answer = ")]
    answers = {"typed": "answer = 41.0", "unanswered": "answer = ..."}
    lines = {}
    for name, line in answers.items():
        cell.source = line + cell.source[cell.source.index("\n") :]
        path = bundle / f"{name}.ipynb"
        nbformat.write(nb, path)
        (check,) = [
            c for c in run_check(path, None, Limits()).result.questions[2].checks if c.variable
        ]
        lines[name] = (check.passed, check_line(check, NO_OPTIONS, PLAIN))
    assert lines["typed"] == (
        True,
        "answer: of the right type; its value is compared with the reference only when it is "
        "graded.",
    )
    passed, line = lines["unanswered"]
    assert not passed and line.startswith("answer"), line
    assert "42" not in line  # the answer is not in the bundle, nor in what it says
