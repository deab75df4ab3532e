"""The mean-field VI sheet end to end: its examples graded in one batch, in real kernels."""

from __future__ import annotations

import re

import pytest

from grader import grade_batch, load_assignment
from tests.conftest import MEAN_FIELD, MEAN_FIELD_EXAMPLES

FULL = {"2a": 2.0, "2b": 2.0, "2c": 3.0, "2d": 3.0}
#: Example submission -> the question its seeded bug lives in (None: a correct answer).
EXPECTED_BUG = {
    "alice_numpy": None,
    "bob_plain_floats": None,  # the textbook's expanded sums, in plain Python floats
    "carol_scipy": None,
    "dave_variance_for_precision": "2a",
    "erin_shape_without_prior": "2b",
    "frank_elbo_without_entropy": "2c",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("mean_field_report")
    return grade_batch(load_assignment(MEAN_FIELD), [MEAN_FIELD_EXAMPLES], out, workers=2)


def test_every_example_is_graded_on_the_four_automatic_questions(report):
    book = report.gradebook
    # 2e is graded by hand: its column waits (pending) until the instructor's marks are merged.
    assert list(book.columns) == ["submission", *FULL, "2e", "total", "pending"]
    assert book["2e"].isna().all() and (book["pending"] == "2e").all()
    assert sorted(book["submission"]) == sorted(EXPECTED_BUG)


@pytest.mark.parametrize("name", sorted(EXPECTED_BUG))
def test_seeded_bug_costs_marks_in_its_question_only(report, name):
    book = report.gradebook.set_index("submission")
    scores = report.scores
    bug = EXPECTED_BUG[name]
    for question, full in FULL.items():
        points = book.loc[name, question]
        if question == bug:
            assert points == 0
            row = scores[(scores.submission == name) & (scores.question == question)].iloc[0]
            assert row.status == "wrong"
            # names the input, as the function received it
            assert re.search(r"^\w+\(x=(np\.array\()?\[", row.feedback), row.feedback
        else:
            assert points == full, (name, question, points)


@pytest.mark.parametrize(
    ("name", "question", "feedback"),
    [
        (
            "dave_variance_for_precision",
            "2a",
            "field lambda_N: that is not the right value. Hint: the sheet says lambda_N is a "
            "precision",
        ),
        (
            "erin_shape_without_prior",
            "2b",
            "field a_N: that is not the right value. Hint: the sheet says a_N = a0 + (N + 1)/2",
        ),
    ],
)
def test_a_wrong_field_is_named_and_explained_by_the_sheet(report, name, question, feedback):
    scores = report.scores
    row = scores[(scores.submission == name) & (scores.question == question)].iloc[0]
    assert feedback in row.feedback
    assert "Expected" not in row.feedback
