"""The class report's figures on results built by hand: misconception groups, item analysis
where it is undefined, pending marks. (The graded class is in test_class_report.py.)"""

from __future__ import annotations

import re

import pytest

from grader.report._class_report import render_report
from grader.report._class_stats import check_points, class_stats
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


def test_failures_group_by_question_then_misconception_then_reason():
    groups = class_stats(CLASS, DESCRIPTIONS).failures
    found = [(g.question, g.misconception, g.reason, g.functions, g.submissions) for g in groups]
    assert found == [
        ("1", "treats sigma as a variance", "", ("kl_gaussian",), ("b", "c")),
        ("1", None, "wrong_value", ("entropy", "kl_gaussian"), ("c", "d", "e")),
    ]
    assert groups[0].keys == (SIGMA,) and groups[1].count == 3


def _failures(html: str) -> str:
    return html[html.index('id="failures"') : html.index('id="checks"')]


def test_one_mistake_in_several_functions_is_one_row_counting_each_student_once():
    """The catalogue names a mistake once per function (log2 in entropy, in cross_entropy, in
    kl_divergence) with the same words: the report has one row for it per question."""
    log2 = "takes logarithms in base 2"
    words = {"entropy_log2": log2, "cross_entropy_log2": log2, "kl_log2": log2}

    def student(name, functions):
        checks = tuple(
            _check(f, False, f"{f.removesuffix('_divergence')}_log2")
            if f in functions
            else _check(f, True)
            for f in ("entropy", "cross_entropy", "kl_divergence")
        )
        return SubmissionResult(name, (QuestionResult("1a", 0.0, 3.0, "wrong", checks),))

    dave = student("dave", ("entropy", "cross_entropy", "kl_divergence"))
    copy = student("dave_copy", ("entropy", "cross_entropy", "kl_divergence"))
    half = student("half", ("entropy",))
    (group,) = class_stats([dave, copy, half], words).failures
    assert (group.question, group.misconception, group.count) == ("1a", log2, 3)
    assert group.functions == ("entropy", "cross_entropy", "kl_divergence")
    assert group.keys == ("entropy_log2", "cross_entropy_log2", "kl_log2")
    html = render_report([dave, copy, half], "Sheet", words, {})
    assert html.count(log2) == 1
    row = re.search(r"<tr><td>1a</td>.*?</tr>", _failures(html), re.S).group()
    assert "<strong>Misconception:</strong> takes logarithms in base 2" in row
    assert '<td class="num count">3</td>' in row


def test_the_page_says_the_misconception_in_words_with_its_count():
    html = render_report(CLASS, "Sheet", DESCRIPTIONS, {})
    rows = re.findall(r"<tr><td>1</td>(.*?)</tr>", _failures(html), re.S)
    assert len(rows) == 2, rows
    assert "Misconception:</strong> treats sigma as a variance" in rows[0]
    assert "<code>kl_gaussian</code>" in rows[0] and '"num count">2<' in rows[0]
    assert "returns a wrong value" in rows[1] and '"num count">3<' in rows[1]
    assert "<code>entropy</code>, <code>kl_gaussian</code>" in rows[1]
    assert "no advice of its own" in html
    assert "5 wait for 5 answer(s) to be marked by hand (pending, not zero)" in html
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
