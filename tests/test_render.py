"""The renderers on results built by hand: what the other parts of issue 13 fill in (a matched
misconception, a manual mark, an expected value the spec shows) reaches every format."""

from __future__ import annotations

import numpy as np

from grader.report._render_html import render_html
from grader.report._render_markdown import render_markdown
from grader.report._render_text import feedback_by_question
from grader.results._context import FeedbackOptions
from grader.results._model import CheckResult, QuestionResult, Reason, SubmissionResult
from grader.results._values import encode

WRONG = CheckResult(
    "kl_gaussian",
    "wrong",
    1.0,
    cases_run=100,
    cases_passed=40,
    failing_input={"mu1": 0.0, "sigma1": 2.0, "mu2": 0.0, "sigma2": 1.0},
    returned=encode(0.15),
    reason=Reason("wrong_value"),
    misconception="sigma_as_variance",
    expected=encode(np.float64(0.8181)),
)
RESULT = SubmissionResult(
    "zoe",
    (
        QuestionResult("1b", 0.0, 4.0, "wrong", (WRONG,)),
        QuestionResult("1a_prose", 0.0, 2.0, "pending", manual=True),
        QuestionResult("1c_proof", 1.5, 2.0, "partial", manual=True, comment="Good <b>start</b>."),
    ),
)
DESCRIPTIONS = {"sigma_as_variance": "sigma is used as if it were the variance"}


def test_a_matched_misconception_is_named_in_every_format():
    text = feedback_by_question(RESULT, FeedbackOptions(DESCRIPTIONS))["1b"]
    assert text == (
        "kl_gaussian(mu1=0.0, sigma1=2.0, mu2=0.0, sigma2=1.0) returned 0.15: that is not the "
        "right value. This looks like a known mistake: sigma is used as if it were the variance."
    )
    assert "sigma is used as if it were the variance" in render_markdown(
        RESULT, FeedbackOptions(DESCRIPTIONS)
    )
    assert "sigma is used as if it were the variance" in render_html(
        RESULT, FeedbackOptions(DESCRIPTIONS)
    )
    assert "known mistake" not in feedback_by_question(RESULT)["1b"]  # no catalogue, no claim


def test_the_expected_value_shows_only_where_the_spec_says_so():
    assert "0.8181" not in feedback_by_question(RESULT, FeedbackOptions(DESCRIPTIONS))["1b"]
    assert "0.8181" not in render_markdown(RESULT, FeedbackOptions(DESCRIPTIONS))
    assert "0.8181" not in render_html(RESULT, FeedbackOptions(DESCRIPTIONS))
    shown = feedback_by_question(RESULT, FeedbackOptions(DESCRIPTIONS, show_expected=True))["1b"]
    assert "Expected 0.8181." in shown


def test_manual_questions_show_the_mark_or_pending_never_zero():
    text = feedback_by_question(RESULT)
    assert text["1a_prose"] == "Graded by hand: not marked yet."
    assert text["1c_proof"] == "Good <b>start</b>."
    letter = render_markdown(RESULT)
    assert "## Question 1a\\_prose: not marked yet, out of 2 (pending)" in letter
    assert "Good \\<b\\>start\\</b\\>." in letter
    page = render_html(RESULT)
    assert "Good &lt;b&gt;start&lt;/b&gt;." in page and "0 / 2" not in page


def test_a_total_with_answers_still_to_mark_says_so_in_both_letters():
    said = "Total: 1.5 / 8 points so far (2 more to be marked by hand)"
    assert f"**{said}**" in render_markdown(RESULT)
    assert f"<strong>{said}</strong>" in render_html(RESULT)
    marked = SubmissionResult("amy", (QuestionResult("1b", 4.0, 4.0, "ok", (), manual=True),))
    assert "**Total: 4 / 4 points**" in render_markdown(marked)
