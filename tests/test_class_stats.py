"""The class report's figures on results built by hand: misconception groups, item analysis
where it is undefined, pending marks. (The graded class is in test_class_report.py.)"""

from __future__ import annotations

import pytest

from grader.results._class_report import render_report
from grader.results._class_stats import check_points, class_stats
from grader.results._model import CheckResult, QuestionResult, Reason, SubmissionResult

SIGMA = "sigma_as_variance"
DESCRIPTIONS = {SIGMA: "treats sigma as a variance"}


def _check(function: str, ok: bool, misconception: str | None = None, code: str = "wrong_value"):
    return CheckResult(
        function,
        "ok" if ok else "wrong",
        1.0,
        reason=None if ok else Reason(code),
        misconception=misconception,
    )


def _submission(name: str, gaussian: bool, entropy: bool, mis: str | None = SIGMA):
    wrong_why = None if gaussian else mis
    checks = (_check("kl_gaussian", gaussian, wrong_why), _check("entropy", entropy))
    points = 2.0 * gaussian + 2.0 * entropy
    status = "ok" if gaussian and entropy else "partial" if points else "wrong"
    questions = (
        QuestionResult("1", points, 4.0, status, checks),
        QuestionResult("2", 0.0, 3.0, "pending", manual=True),
    )
    return SubmissionResult(name, questions, seconds=float(len(name)))


CLASS = [
    _submission("a", True, True),
    _submission("b", False, True),
    _submission("c", False, False),
    _submission("d", True, False),
    _submission("e", False, True, mis=None),
]


def test_failures_group_by_misconception_then_reason():
    groups = class_stats(CLASS).failures
    found = [(g.function, g.misconception, g.reason, g.submissions) for g in groups]
    assert found == [
        ("kl_gaussian", SIGMA, "", ("b", "c")),
        ("entropy", None, "wrong_value", ("c", "d")),
        ("kl_gaussian", None, "wrong_value", ("e",)),
    ]


def test_the_page_says_the_misconception_in_words_with_its_count():
    html = render_report(CLASS, "Sheet", DESCRIPTIONS, {})
    said = '{} submission{}:</span> <code>kl_gaussian</code> <span class="what">{}</span>'
    assert said.format(2, "s", "treats sigma as a variance") in html
    assert said.format(1, "", "returns a wrong value") in html
    assert "5 still wait for questions marked by hand (pending, not zero)" in html
    assert '<td class="num">pending</td><td class="num">pending</td>' in html


def test_item_analysis():
    stats = class_stats(CLASS)
    gaussian = next(c for c in stats.checks if c.function == "kl_gaussian")
    assert (gaussian.passed, gaussian.graded, gaussian.difficulty) == (2, 5, 0.4)
    # Rest of the total: a 2, b 2, c 0, d 0, e 2; passing: a, d. r = -1/6 by hand.
    assert gaussian.discrimination == pytest.approx(-1 / 6, abs=1e-6)
    assert check_points(CLASS[0].questions[0], CLASS[0].questions[0].checks[0]) == 2.0


def test_discrimination_is_blank_where_undefined():
    everyone = [_submission(n, True, ok) for n, ok in [("a", True), ("b", False)]]
    gaussian = next(c for c in class_stats(everyone).checks if c.function == "kl_gaussian")
    assert gaussian.difficulty == 1.0 and gaussian.discrimination is None


def test_pending_marks_count_neither_as_passed_nor_as_zero():
    stats = class_stats(CLASS)
    manual = next(q for q in stats.questions if q.question == "2")
    assert manual.statuses == {"pending": 5}
    assert manual.mean is None and manual.pass_rate is None  # shown as pending, not 0
    assert stats.pending == 5 and stats.full_marks == 0
    assert stats.slowest[0] == ("a", 1.0)  # ties broken by name: the same page every time
