"""End to end: real notebooks in real kernels, scored against the oracles."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from grader import grade_batch, grade_notebook
from grader.report._render_text import feedback_by_question
from tests.conftest import ASSIGNMENT, EXAMPLES

QUESTIONS = ["1a", "1b", "1c"]
FULL = {"1a": 3.0, "1b": 4.0, "1c": 3.0}
#: Example submission -> the question its seeded bug lives in (None: a correct answer).
EXPECTED_BUG = {
    "alice_numpy": None,
    "bob_loops": None,
    "carol_scipy": None,
    "dave_log2": "1a",
    "erin_variance_bug": "1b",
    "frank_wrong_axis": "1c",
    "grace_zero_terms": "1a",
    "heidi_syntax_error": "1b",
}


def test_solution_scores_full_marks(plan):
    result = grade_notebook(plan, ASSIGNMENT / "solution.ipynb")
    assert [(q.question, q.points, q.status) for q in result.questions] == [
        ("1a", 3.0, "ok"),
        ("1b", 4.0, "ok"),
        ("1c", 3.0, "ok"),
    ]
    assert result.total == 10.0


def test_untouched_student_notebook_scores_zero(plan):
    result = grade_notebook(plan, ASSIGNMENT / "student.ipynb")
    assert result.total == 0.0
    assert {q.status for q in result.questions} == {"error"}
    assert "NotImplementedError" in feedback_by_question(result)["1a"]


@pytest.fixture(scope="module")
def example_report(assignment, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return grade_batch(assignment, [EXAMPLES], out, workers=2)


def test_report_files_have_the_documented_columns(example_report):
    scores = pd.read_csv(example_report.scores_csv)
    assert list(scores.columns[:6]) == [
        "submission",
        "question",
        "points",
        "max_points",
        "status",
        "feedback",
    ]
    book = pd.read_csv(example_report.gradebook_csv)
    by_hand = ["1a-prose", "1c-derivation"]  # graded by hand, after the automatic ones
    assert list(book.columns) == ["submission", *QUESTIONS, *by_hand, "total", "pending"]
    assert sorted(book["submission"]) == sorted(p.stem for p in EXAMPLES.glob("*.ipynb"))
    assert len(scores) == 5 * len(book)


@pytest.mark.parametrize("name", sorted(EXPECTED_BUG))
def test_seeded_bug_costs_marks_in_its_question_only(example_report, name):
    book = example_report.gradebook.set_index("submission")
    scores = example_report.scores
    bug = EXPECTED_BUG[name]
    for question in QUESTIONS:
        points = book.loc[name, question]
        if question == bug:
            assert points < FULL[question]
            row = scores[(scores.submission == name) & (scores.question == question)].iloc[0]
            # The feedback names a failing input: a call with its arguments.
            assert re.search(r"\w+\(\w+=", row.feedback) or "defines no function" in row.feedback
        else:
            assert points == FULL[question], (name, question, points)


def test_unfinished_notebook_keeps_its_finished_question(example_report):
    book = example_report.gradebook.set_index("submission")
    assert list(book.loc["ivan_unfinished", QUESTIONS]) == [3.0, 0.0, 0.0]


def test_missing_function_feedback_names_similar_names_and_the_failed_cell(example_report):
    scores = example_report.scores
    row = scores[(scores.submission == "heidi_syntax_error") & (scores.question == "1b")].iloc[0]
    # 2 of 4 points: the question is partial, never "missing" beside its points.
    assert (row.status, row.points) == ("partial", 2.0)
    assert "kl_gaussian" in row.feedback and "SyntaxError" in row.feedback
    # The cell that defines it is named, and its line is given by cell, not by ipykernel's file.
    assert "Cell 11, which defines it, did not run" in row.feedback
    assert "(cell 11, line 17)" in row.feedback and ".py, line" not in row.feedback


def test_feedback_does_not_show_expected_values_by_default(example_report):
    scores = example_report.scores
    assert not scores.feedback.str.contains("Expected").any()


def test_an_answer_of_zero_everywhere_earns_nothing_though_it_satisfies_properties(plan, tmp_path):
    """KL >= 0 and KL(p||p) = 0 hold for 0.0; marks come only from agreeing with the oracle."""
    import nbformat

    nb = nbformat.read(ASSIGNMENT / "student.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "raise NotImplementedError()" in cell.source:
            returns = "[0.0]" if "optimal_factor" in cell.source else "0.0"
            cell.source = cell.source.replace("raise NotImplementedError()", f"return {returns}")
    path = tmp_path / "zeros.ipynb"
    nbformat.write(nb, path)
    result = grade_notebook(plan, path)
    assert result.total == 0.0
    assert {q.status for q in result.questions} == {"wrong"}


def test_report_cells_that_look_like_formulas_are_neutralised():
    from grader.report._tables import neutralise

    frame = pd.DataFrame({"feedback": ["=HYPERLINK(1)", "+1", "-x", "@a", "fine"], "n": range(5)})
    assert list(neutralise(frame).feedback) == ["'=HYPERLINK(1)", "'+1", "'-x", "'@a", "fine"]
