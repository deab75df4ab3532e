"""``grader validate`` names frozen inputs where the reference's own answer moves beyond the
tolerance when the input is nudged by almost nothing: correct code may be refused there."""

from __future__ import annotations

from pathlib import Path

from grader import GradingPlan, load_assignment
from grader.grading._fragile import _nudge, fragile_cases
from tests.conftest import run_grader


def test_the_bundled_sheets_have_no_fragile_inputs():
    for name in ("variational_inference", "mean_field_vi"):
        assert fragile_cases(GradingPlan.build(load_assignment(name))) == []


def test_a_step_in_the_reference_makes_its_inputs_fragile(tmp_path: Path):
    """``grader new``'s mean, made a step (the floor of twice the mean): on [1.0], a nudge down
    gives 1 instead of 2, so a student's rounding could cost the mark."""
    assert run_grader("new", "demo", "--root", tmp_path).returncode == 0
    oracle = tmp_path / "reference" / "demo.py"
    text = oracle.read_text(encoding="utf-8")
    stepped = text.replace("return float(np.mean(x))", "return float(np.floor(2 * np.mean(x)))")
    assert stepped != text
    oracle.write_text(stepped, encoding="utf-8")
    problems = fragile_cases(GradingPlan.build(load_assignment(tmp_path / "assignments" / "demo")))
    assert len(problems) == 1, problems
    assert problems[0].startswith("1/mean: ") and "mean(x=[1.0])" in problems[0]
    assert "centre" not in problems[0]  # the other check of the sheet is smooth


def test_a_nudge_moves_non_zero_floats_only_and_both_ways():
    case = {"p": [0.0, 0.5, 0.5], "n": 3, "q": {"a": 2.0}}
    up = _nudge(case, 1e-6)
    assert up["p"][0] == 0.0 and up["n"] == 3  # support and sizes stay
    assert up["p"][1] != 0.5 and up["p"][2] != 0.5 and up["q"]["a"] != 2.0
    assert (up["p"][1] - 0.5) * (up["p"][2] - 0.5) < 0  # alternating: a difference moves too
