"""Notebooks that try to fool the grader score nothing in the question they attack.

Each attack sits in one question of an otherwise correct notebook; the honest questions keep
their marks. All run in real kernels.
"""

from __future__ import annotations

import dataclasses

import pytest

from grader import Limits, grade_batch, grade_notebook
from grader.report._render_text import feedback_by_question
from tests.conftest import FILES

FULL = {"1a": 3.0, "1b": 4.0, "1c": 3.0}


def _points(result):
    return {q.question: q.points for q in result.questions}


def _attacked_question_only(result, question, lost):
    points = _points(result)
    for q, full in FULL.items():
        expected = full - lost if q == question else full
        assert points[q] == pytest.approx(expected), (q, points)


def test_float_subclass_with_rigged_eq_is_refused(plan):
    result = grade_notebook(plan, FILES / "tamper_float_subclass_eq.ipynb")
    _attacked_question_only(result, "1a", 1.0)
    row = result.questions[0]
    assert row.status == "partial" and "subclass" in feedback_by_question(result)["1a"]


def test_monkeypatched_comparisons_gain_nothing(plan):
    result = grade_notebook(plan, FILES / "tamper_monkeypatch_comparisons.ipynb")
    # kl_gaussian (weight 2 of 4 in 1b) returns 0.0 with isclose & co. patched to say True.
    _attacked_question_only(result, "1b", 2.0)
    assert result.questions[1].status == "partial"  # 2 of its 4 points: not "wrong"
    assert "returned 0.0" in feedback_by_question(result)["1b"]


def test_printed_scores_and_written_csvs_are_ignored(assignment, tmp_path):
    report = grade_batch(assignment, [FILES / "tamper_fake_scores.ipynb"], tmp_path, workers=1)
    book = report.gradebook.set_index("submission")
    assert book.loc["tamper_fake_scores", "1a"] == pytest.approx(2.0)
    assert book.loc["tamper_fake_scores", "total"] == pytest.approx(9.0)
    scores = (tmp_path / "scores.csv").read_text()
    assert "great" not in scores
    assert not (FILES / "scores.csv").exists() and not (FILES.parent / "scores.csv").exists()


def test_searching_for_the_oracle_finds_nothing(plan):
    from grader.kernel import _sandbox

    level = getattr(_sandbox, "isolation_level", lambda: "process")()
    if level != "bwrap":
        pytest.skip(
            "needs the bubblewrap sandbox: without it an editable install leaves the oracles "
            "readable (README, 'Isolation')"
        )
    quick = dataclasses.replace(plan, limits=Limits(call_wall_seconds=5))
    result = grade_notebook(quick, FILES / "tamper_find_oracle.ipynb")
    points = _points(result)
    assert points["1c"] == 0.0
    assert points["1a"] == FULL["1a"] and points["1b"] == FULL["1b"]
