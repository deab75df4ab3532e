"""``grader validate``: is an assignment ready to grade a class?

An assignment can be wrong in ways no student notebook reveals until marks are out: an oracle
that disagrees with the model solution, a stub that hands out the answer, a notebook nobody
regenerated after the source changed, inputs frozen for last year's spec. Each is checked here
with the same code that grades students (real kernels, the frozen inputs, the oracles), and each
problem is named, so the instructor knows what to fix before releasing the sheet.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nbformat

from grader.assignment._frozen import load_frozen
from grader.assignment._plan import GradingPlan, plain_answer
from grader.assignment._secret import CourseSecret
from grader.assignment._source import render, source_path, split_source
from grader.assignment._spec import Assignment
from grader.assignment._variants import VARIANT_INPUTS
from grader.errors import FrozenInputsError, SourceNotebookError, SpecError
from grader.grading._diagnosis import never_named
from grader.grading._fragile import fragile_cases
from grader.grading._notebook import grade_notebook
from grader.grading._validate_variants import variant_problems
from grader.kernel._limits import Limits
from grader.report._render_text import question_text
from grader.results._context import FeedbackOptions
from grader.results._manual_questions import automatic_totals

Report = Callable[[str], None]


def validate(
    assignment: Assignment,
    limits: Limits | None = None,
    secret: CourseSecret | None = None,
    students: Sequence[str] = (),
) -> list[str]:
    """Every problem found, each in one sentence naming what to fix; empty when all is well.

    An assignment with ``[variants]`` is graded on the variants of ``students`` (a random
    sample where none are given; ``secret`` is then the course secret that decides theirs)."""
    problems: list[str] = []
    _source_agrees(assignment, problems.append)
    _definitions(assignment, problems.append)
    plan = _plan(assignment, limits, problems.append)
    if plan is not None:
        _oracle_on_public_cases(plan, problems.append)
        problems.extend(never_named(plan))
        problems.extend(fragile_cases(plan))
        if assignment.variants is not None:
            problems.extend(variant_problems(plan, secret, students))
        else:
            _graded(plan, problems.append)
    return problems


def _source_agrees(assignment: Assignment, report: Report) -> None:
    folder = assignment.folder
    try:
        split = split_source(folder)
    except SourceNotebookError as exc:
        report(str(exc) if exc.cell != "the assignment" else f"{exc.path}: no source notebook")
        return
    for question in assignment.manual_questions:
        if question.id not in split.manual:
            report(
                f"question {question.id} is graded by hand, but no markdown cell of "
                f"{source_path(folder).name} is tagged manual and question:{question.id}: "
                "students would have nowhere to answer"
            )
    generated = [(assignment.student_notebook, split.student)]
    if assignment.solution_notebook is not None:
        generated.append((assignment.solution_notebook, split.solution))
    for path, expected in generated:
        if path.read_text(encoding="utf-8") == render(expected):
            continue
        report(
            f"{path.name} is not what {source_path(folder).name} gives "
            f"({_first_difference(path, expected)}); run `grader assign {folder}`"
        )


def _first_difference(path: Path, expected: nbformat.NotebookNode) -> str:
    try:
        actual = nbformat.read(path, as_version=4).cells
    except Exception:
        return "it is not a readable notebook"
    for index, (a, e) in enumerate(zip(actual, expected.cells)):
        if (a.get("id"), a.cell_type, a.source) != (e.get("id"), e.cell_type, e.source):
            return f"first at cell {index + 1}, id {e.get('id')!r}"
    if len(actual) != len(expected.cells):
        return f"{len(actual)} cells instead of {len(expected.cells)}"
    return "only in metadata, outputs or formatting"


def _definitions(assignment: Assignment, report: Report) -> None:
    """Static: the solution defines each function for real; the student copy only stubs it."""
    notebooks = [("student", assignment.student_notebook)]
    if assignment.solution_notebook is not None:
        notebooks.append(("solution", assignment.solution_notebook))
    for role, path in notebooks:
        defined = _top_level_functions(path)
        assigned = _top_level_names(path) if role == "solution" else set()
        for check in assignment.checks:
            where = f"{path.name}: {check.function} (question {check.question})"
            if check.variable:  # the student copy's stub raises instead of assigning it
                if role == "solution" and check.function not in assigned:
                    report(f"{where} is not assigned at the top level of any cell")
                continue
            node = defined.get(check.function)
            if node is None:
                report(f"{where} is not defined by a `def` in any cell")
            elif role == "solution" and _raises_not_implemented(node):
                report(f"{where} is still a stub: it raises NotImplementedError")
            elif role == "student" and not _raises_not_implemented(node):
                report(
                    f"{where} is not stubbed: its body does not raise NotImplementedError, "
                    "so the student copy may hand out the answer"
                )


def _top_level_functions(path: Path) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for tree in _cell_trees(path):
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[node.name] = node  # the last definition wins, as when the notebook runs
    return found


def _top_level_names(path: Path) -> set[str]:
    """Names a cell assigns at its top level (``x = ...``, ``x: T = ...``, ``x += ...``)."""
    names = set()
    for tree in _cell_trees(path):
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", 0)]
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _cell_trees(path: Path) -> list[ast.Module]:
    """Each code cell that parses (magics left out), in order."""
    try:
        cells = nbformat.read(path, as_version=4).cells
    except Exception:
        return []
    trees = []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        lines = [ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            trees.append(ast.parse("\n".join(lines)))
        except SyntaxError:
            continue
    return trees


def _raises_not_implemented(node: ast.AST) -> bool:
    for inner in ast.walk(node):
        if isinstance(inner, ast.Raise) and inner.exc is not None:
            target = inner.exc.func if isinstance(inner.exc, ast.Call) else inner.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def _plan(assignment: Assignment, limits: Limits | None, report: Report) -> GradingPlan | None:
    """The frozen inputs must match the spec, hold every edge case and let the oracle answer."""
    try:
        frozen = load_frozen(assignment)
    except FrozenInputsError as exc:
        report(str(exc))
        return None
    ok = True
    for check in assignment.checks:
        cases = frozen.cases[check.key]
        names = set() if check.inputs == VARIANT_INPUTS else set(check.param_names)
        odd = next((c for c in cases if not isinstance(c, dict) or set(c) != names), None)
        if odd is not None or not cases:
            ok = False
            report(
                f"frozen.json: {check.key} has a case {odd!r} that does not take exactly "
                f"{sorted(names)}; run `grader freeze {assignment.folder}`"
                if odd is not None
                else f"frozen.json: {check.key} has no cases; run `grader freeze`"
            )
            continue
        for edge in () if check.variable else assignment.inputs(check).edges:
            if dict(edge) not in cases:
                ok = False
                report(
                    f"frozen.json: {check.key} lacks the edge case {dict(edge)} of checks.py "
                    f"(stale); run `grader freeze {assignment.folder}`"
                )
    if not ok:
        return None
    try:
        return GradingPlan.build(assignment, limits)
    except (SpecError, FrozenInputsError) as exc:
        report(str(exc))
        return None


def _oracle_on_public_cases(plan: GradingPlan, report: Report) -> None:
    """No answer can match a nan; a hint that fails for the oracle would mislead students."""
    assignment = plan.assignment
    by_function = {c.function: c for c in assignment.checks}
    for check in assignment.checks:
        public = plan.cases[check.key][: check.public]
        for case, answer in zip(plan.cases[check.key], plan.expected[check.key]):
            if _has_nan(answer):
                report(f"the oracle {check.oracle} gives nan on {case}: no answer can match it")
                break
        for name in check.properties:
            prop = assignment.property(name)
            failing = next(
                (c for c in public if not _holds_for_oracle(prop, c, assignment, by_function)),
                None,
            )
            if failing is not None:
                report(
                    f"the property {name!r} ({prop.statement}) of {check.key} does not hold "
                    f"for the oracle on the public case {failing}"
                )


def _has_nan(answer: Any) -> bool:
    """Anywhere in an answer of any shape (numbers, strings, lists, dicts)."""
    if isinstance(answer, dict):
        return any(_has_nan(v) for v in answer.values())
    if isinstance(answer, list):
        return any(_has_nan(v) for v in answer)
    return type(answer) is float and math.isnan(answer)


def _holds_for_oracle(
    prop: Any, case: dict[str, Any], assignment: Assignment, by_function: Any
) -> bool:
    try:
        results = {}
        for label, (function, args) in prop.calls(**case).items():
            check = by_function[function]
            results[label] = plain_answer(assignment.oracle(check)(*args), check.returns)
        return bool(prop.holds(case, results))
    except Exception:
        return False


def _graded(plan: GradingPlan, report: Report) -> None:
    """The solution earns every automatic mark and the student copy none, graded for real."""
    assignment = plan.assignment
    if assignment.solution_notebook is not None:
        result = grade_notebook(plan, assignment.solution_notebook)
        automatic = [q for q in result.questions if not q.manual]
        for q, spec in zip(automatic, assignment.questions):
            if q.max_points != spec.points:
                report(
                    f"question {q.question} is graded out of {q.max_points:g}, "
                    f"the spec says {spec.points:g}"
                )
            if q.points < q.max_points:
                report(
                    f"{assignment.solution_notebook.name}: question {q.question} earns only "
                    f"{q.points:g}/{q.max_points:g} ({q.status}): "
                    f"{question_text(result, q, FeedbackOptions(show_expected=True))}"
                )
        if automatic_totals(result)[1] != assignment.total_points:
            report(
                f"the questions add up to {automatic_totals(result)[1]:g}, "
                f"the spec to {assignment.total_points:g}"
            )
    result = grade_notebook(plan, assignment.student_notebook)
    for q in result.questions:
        if q.points > 0 and not q.manual:
            report(
                f"{assignment.student_notebook.name}: question {q.question} already earns "
                f"{q.points:g}/{q.max_points:g}: a stub passes the checks, or the answer is in it"
            )
