"""``grader validate`` over variants: the solution run for a sample of students' values (every
roster student's, given the roster and the course secret), and each variant's answers judged.

For each variant the oracles must answer (no exception), the answer must not be degenerate (not
finite, or exactly 0: a student who writes 0 would earn the marks) nor fragile (nudging a value
by a thousandth of the check's tolerance moves the answer beyond it, as ``_fragile`` judges a
frozen input); the solution rendered with the values must earn every automatic point and the
student copy none.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat

from grader.assignment._plan import GradingPlan, StudentPart, student_part
from grader.assignment._secret import CourseSecret
from grader.assignment._source import render
from grader.assignment._variant_notebook import render_notebook
from grader.assignment._variants import Variant, derive, oracle_values
from grader.errors import SpecError, VariantError
from grader.grading._fragile import _moves
from grader.grading._notebook import grade_notebook
from grader.results._manual_questions import automatic_totals

#: Variants tried without a roster: students ``sample-1`` ... under a random secret.
SAMPLE = 6


def sample_keys(students: Sequence[str]) -> list[str]:
    return list(students) or [f"sample-{i}" for i in range(1, SAMPLE + 1)]


def variant_problems(
    plan: GradingPlan, secret: CourseSecret | None, students: Sequence[str] = ()
) -> list[str]:
    """Every problem of the variants of ``students`` (a random sample where none are given)."""
    assignment = plan.assignment
    assert assignment.variants is not None
    key = secret or CourseSecret(secrets.token_bytes(32), Path("(a random sample)"))
    modules = (assignment.oracles, assignment.hooks)
    problems: list[str] = []
    variants: dict[str, tuple[Variant, StudentPart]] = {}
    for student in sample_keys(students):
        try:
            variant = derive(assignment.variants, key, assignment.name, student, modules)
            part = student_part(assignment, plan.dependent, variant.values)
        except (SpecError, VariantError) as exc:
            problems.append(f"the variant of {student}: {getattr(exc, 'problem', exc)}")
            continue
        problems += _judged(plan, student, variant, part)
        variants[student] = (variant, part)
    if variants:
        problems += _graded(plan, variants)
    return problems


def _shown(values: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in values.items())


def _judged(plan: GradingPlan, student: str, variant: Variant, part: StudentPart) -> list[str]:
    """The dependent answers of one variant: degenerate or fragile ones named."""
    assignment, problems = plan.assignment, []
    for check in assignment.checks:
        if check.key not in plan.dependent:
            continue
        (answer,) = part.expected[check.key]
        where = f"{check.key} on the variant of {student} ({_shown(variant.values)})"
        if _not_finite(answer):
            problems.append(f"{where}: the oracle's answer {answer!r} is not finite")
        elif type(answer) in (int, float) and answer == 0:
            problems.append(f"{where}: the answer is 0, a degenerate variant (0 earns the marks)")
        arguments = oracle_values(assignment.oracle(check), variant.values) or {}
        if _moves(assignment, check, arguments, answer):
            problems.append(
                f"{where}: numerically fragile (a value nudged by a thousandth of the tolerance "
                "moves the answer beyond it); change the values' sources"
            )
    return problems


def _not_finite(answer: Any) -> bool:
    if isinstance(answer, list):
        return any(_not_finite(a) for a in answer)
    if isinstance(answer, dict):
        return any(_not_finite(a) for a in answer.values())
    return type(answer) is float and (answer != answer or answer in (float("inf"), -float("inf")))


def _graded(plan: GradingPlan, variants: dict[str, tuple[Variant, StudentPart]]) -> list[str]:
    """The solution, rendered with each variant, earns every point; the student copy, with the
    first, none."""
    assignment, problems = plan.assignment, []
    parts = {student: part for student, (_, part) in variants.items()}
    with_parts = replace(plan, students=parts)
    with tempfile.TemporaryDirectory(prefix="grader-variants-") as tmp:
        if assignment.solution_notebook is not None:
            solution = nbformat.read(assignment.solution_notebook, as_version=4)
            for student, (variant, _) in variants.items():
                path = _written(Path(tmp) / "solution", student, solution, variant)
                earned, possible = automatic_totals(grade_notebook(with_parts, path, student))
                if earned < possible:
                    problems.append(
                        f"{assignment.solution_notebook.name} with the variant of {student} "
                        f"({_shown(variant.values)}) earns only {earned:g}/{possible:g}"
                    )
        student, (variant, _) = next(iter(variants.items()))
        template = nbformat.read(assignment.student_notebook, as_version=4)
        path = _written(Path(tmp) / "student", student, template, variant)
        earned, _ = automatic_totals(grade_notebook(with_parts, path, student))
        if earned > 0:
            problems.append(
                f"{assignment.student_notebook.name} with the variant of {student} already "
                f"earns {earned:g} points"
            )
    return problems


def _written(folder: Path, student: str, nb: Any, variant: Variant) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{student}.ipynb"
    path.write_text(render(render_notebook(nb, variant)), encoding="utf-8")
    return path
