"""``uses``: a check that relies on another student function names it first when that function
fails its own check. The marks stay as the sheet defines them; the feedback points to the cause."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import GradingPlan, grade_notebook, load_assignment
from grader.errors import SpecError
from grader.report._render_text import question_text
from tests.conftest import ASSIGNMENT, EXAMPLES, ROOT

KL = '  function = "kl_divergence"\n'


def _sheet(tmp_path: Path, uses: str) -> Path:
    """The Variational Inference sheet with ``uses`` on kl_divergence (its inputs unchanged:
    ``uses`` decides no draw, so frozen.json stays current)."""
    folder = tmp_path / "assignments" / "variational_inference"
    shutil.copytree(ASSIGNMENT, folder)
    (tmp_path / "reference").mkdir()
    shutil.copy(ROOT / "reference" / "variational_inference.py", tmp_path / "reference")
    spec = folder / "spec.toml"
    text = spec.read_text(encoding="utf-8")
    assert KL in text
    spec.write_text(text.replace(KL, KL + f"  uses = {uses}\n"), encoding="utf-8")
    return folder


def test_a_failing_used_function_is_named_first_and_the_marks_stay(tmp_path):
    sheet = load_assignment(_sheet(tmp_path, '["entropy", "cross_entropy"]'))
    dave = EXAMPLES / "dave_log2.ipynb"  # log2 for ln: entropy and cross_entropy are wrong
    with_uses = grade_notebook(GradingPlan.build(sheet), dave)
    plain = grade_notebook(GradingPlan.build(load_assignment(ASSIGNMENT)), dave)
    assert [q.points for q in with_uses.questions] == [q.points for q in plain.questions]
    q1a = next(q for q in with_uses.questions if q.question == "1a")
    checks = {c.function: c for c in q1a.checks}
    assert checks["kl_divergence"].failed_uses == ("entropy", "cross_entropy")
    assert checks["entropy"].failed_uses == ()  # it uses nothing
    text = question_text(with_uses, q1a)
    cause = "kl_divergence relies on entropy, cross_entropy, and they fail their own checks"
    assert cause in text
    assert text.index(cause) < text.index("kl_divergence(p=")  # the cause comes first
    assert "relies on" not in question_text(plain, next(q for q in plain.questions))


def test_a_passing_used_function_is_not_blamed(tmp_path):
    sheet = load_assignment(_sheet(tmp_path, '["entropy"]'))
    erin = EXAMPLES / "erin_variance_bug.ipynb"  # 1a right, 1b wrong
    result = grade_notebook(GradingPlan.build(sheet), erin)
    assert all(not c.failed_uses for q in result.questions for c in q.checks)


@pytest.mark.parametrize(
    ("uses", "says"),
    [
        ('["m_step"]', "uses ['m_step'] but the spec checks no such function"),
        ('["kl_divergence"]', "uses names the function itself"),
        ('"entropy"', "uses must be a list of function names"),
    ],
)
def test_uses_names_functions_the_spec_checks(tmp_path, uses, says):
    with pytest.raises(SpecError, match=says.replace("[", r"\[").replace("]", r"\]")):
        load_assignment(_sheet(tmp_path, uses))
