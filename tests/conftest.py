"""Shared fixtures: the real assignment, graded in real kernels."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import GradingPlan, load_assignment

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "assignments" / "variational_inference"
EXAMPLES = ROOT / "examples" / "submissions"
MEAN_FIELD = ROOT / "assignments" / "mean_field_vi"
MEAN_FIELD_EXAMPLES = ROOT / "examples" / "mean_field_vi"
FILES = Path(__file__).resolve().parent / "files"


@pytest.fixture(scope="session")
def assignment():
    return load_assignment(ASSIGNMENT)


@pytest.fixture(scope="session")
def plan(assignment):
    return GradingPlan.build(assignment)
