"""Regrades are deterministic: same notebook, same rows, alone or in a batch, after upgrades."""

from __future__ import annotations

import shutil
from dataclasses import asdict

import pytest

from grader import GradingPlan, grade_batch, grade_notebook, load_assignment
from grader.assignment import _frozen
from grader.assignment._misconceptions import descriptions
from grader.errors import FrozenInputsError
from grader.report._render_text import feedback_by_question
from grader.results._context import FeedbackOptions
from tests.conftest import ASSIGNMENT, EXAMPLES

BUGGY = EXAMPLES / "erin_variance_bug.ipynb"


def _rows(result):
    data = asdict(result)
    data.pop("seconds")
    data.pop("usage")  # CPU seconds and memory peak: measurements, like seconds
    return data


def test_grading_twice_gives_identical_rows(plan):
    first = grade_notebook(plan, BUGGY)
    second = grade_notebook(plan, BUGGY)
    assert _rows(first) == _rows(second)
    assert first.total < 10


def test_alone_or_in_a_batch_gives_identical_rows(plan, assignment, tmp_path):
    alone = grade_notebook(plan, BUGGY)
    others = [EXAMPLES / "dave_log2.ipynb", EXAMPLES / "alice_numpy.ipynb", BUGGY]
    report = grade_batch(assignment, others, tmp_path, workers=2)
    batch = report.scores[report.scores.submission == "erin_variance_bug"]
    batch = batch[~batch.question.isin(["1a-prose", "1c-derivation"])]  # pending: marked by hand
    assert list(batch.points) == [q.points for q in alone.questions]
    words = descriptions(assignment.misconceptions)  # erin's mistakes are in the catalogue
    assert list(batch.feedback) == list(
        feedback_by_question(alone, FeedbackOptions(words)).values()
    )
    assert list(batch.status) == [q.status for q in alone.questions]


def test_frozen_inputs_survive_a_change_of_the_seed_to_draws_mapping(assignment, plan, monkeypatch):
    """A Hypothesis upgrade changes what a seed draws; grades follow the frozen file instead."""
    before = grade_notebook(plan, BUGGY)
    check = assignment.checks[0]
    monkeypatch.setattr(_frozen, "check_seed", lambda a, c: 12345)
    redrawn = _frozen.draw_cases(assignment, check)
    assert redrawn != list(plan.cases[check.key])  # the simulated upgrade really moves draws
    after = grade_notebook(GradingPlan.build(assignment), BUGGY)
    assert _rows(after) == _rows(before)


def test_a_frozen_file_that_no_longer_matches_its_spec_is_refused(tmp_path):
    copy = tmp_path / "variational_inference"
    shutil.copytree(ASSIGNMENT, copy)
    spec = copy / "spec.toml"
    spec.write_text(spec.read_text().replace("seed = 20190125", "seed = 20190126"))
    (copy / "spec.toml").write_text(
        spec.read_text().replace('"../../reference/', f'"{ASSIGNMENT.parents[1]}/reference/')
    )
    with pytest.raises(FrozenInputsError, match="changed since these inputs were frozen"):
        GradingPlan.build(load_assignment(copy))


def test_frozen_cases_are_simplest_first_and_include_the_edges(assignment, plan):
    for check in assignment.checks:
        cases = plan.cases[check.key]
        assert len(cases) >= 100
        sizes = [len(_frozen._canonical(c)) for c in cases]
        assert sizes == sorted(sizes)
        for edge in assignment.inputs(check).edges:
            assert dict(edge) in [dict(c) for c in cases]


def test_the_report_records_the_versions_that_graded(assignment, tmp_path):
    report = grade_batch(assignment, [EXAMPLES / "alice_numpy.ipynb"], tmp_path, workers=1)
    for column in ("grader_version", "hypothesis_version", "python_version", "frozen_sha256"):
        assert report.scores[column].notna().all()
