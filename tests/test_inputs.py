"""``grader inputs`` summarises the frozen inputs per check, and ``grader validate`` warns where
they may mislead: public cases that all have one answer, a parameter that is one value in most
inputs. Warnings never fail a validation."""

from __future__ import annotations

import dataclasses

from grader.assignment._plan import GradingPlan
from grader.assignment._spec import load_assignment
from grader.grading._inputs import summarise
from tests.conftest import run_grader

grader = run_grader


def test_inputs_lists_every_check_with_its_counts_and_spreads():
    plan = GradingPlan.build(load_assignment("variational_inference"))
    run = grader("inputs", "variational_inference")
    assert run.returncode == 0, run.stderr
    for check in plan.assignment.checks:
        count = len(plan.cases[check.key])
        assert f"{check.key}: {count} inputs (" in run.stdout, check.key
    assert "    sigma1: " in run.stdout and "value 0.001..1000" in run.stdout
    # j of optimal_factor is 0 in most of its inputs: said, as a warning
    assert "Warning: 1c/optimal_factor: j is 0 in " in run.stdout


def test_public_cases_with_one_answer_are_degenerate():
    """A check whose public answers are all equal lets a constant function pass them."""
    plan = GradingPlan.build(load_assignment("variational_inference"))
    key = "1b/kl_gaussian"
    (before,) = [item for item in summarise(plan) if item.key == key]
    assert not before.public_degenerate
    constant = list(plan.expected[key])
    constant[: before.public] = [0.0] * before.public
    flat = dataclasses.replace(plan, expected={**plan.expected, key: tuple(constant)})
    (after,) = [item for item in summarise(flat) if item.key == key]
    assert after.public_degenerate
    assert any("public case(s) all have the same answer" in w for w in after.warnings())


def test_validate_warns_about_lopsided_inputs_and_still_passes():
    run = grader("validate", "mean_field_vi")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "valid." in run.stdout
    assert "Warning: 2d/cavi: a0 is 1.0 in " in run.stderr
