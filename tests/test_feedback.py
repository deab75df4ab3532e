"""Feedback rendered from the results' data: the letters, checks.csv, and `grader report`.

A small class of real notebooks is graded once; each test reads what the batch wrote.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from grader import grade_batch
from tests.conftest import EXAMPLES, FILES
from tests.test_cli import _one_clear_error, grader

CLASS = [
    EXAMPLES / "dave_log2.ipynb",
    EXAMPLES / "heidi_syntax_error.ipynb",
    FILES / "hostile_html_in_feedback.ipynb",
    FILES / "broken_negative_zero_in_hint.ipynb",
    FILES / "broken_error_ends_with_stop.ipynb",
    FILES / "broken_imported_function.ipynb",
    FILES / "broken_error_names_install_path.ipynb",
    FILES / "broken_missing_function_beside_failing_cell.ipynb",
]
OUTPUTS = ("scores.csv", "gradebook.csv", "checks.csv", "feedback")


@pytest.fixture(scope="module")
def graded(assignment, tmp_path_factory):
    out = tmp_path_factory.mktemp("class")
    report = grade_batch(assignment, CLASS, out, workers=2)
    return out, report.scores.set_index(["submission", "question"])


def _letter(out: Path, name: str, kind: str) -> str:
    return (out / "feedback" / f"{name}.{kind}").read_text(encoding="utf-8")


class _Tags(HTMLParser):
    """Every tag and attribute value of a page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.values: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.values += [value or "" for _, value in attrs]


def _inert(page: str) -> None:
    tags = _Tags(page)
    assert not tags.tags & {"script", "img", "a", "iframe", "link"}, tags.tags
    assert not any("evil.example" in value for value in tags.values), tags.values
    assert "&lt;script&gt;alert(" in page  # shown, as text


def test_a_script_or_remote_image_in_a_notebook_stays_inert_text(graded):
    out, _ = graded
    page = _letter(out, "hostile_html_in_feedback", "html")
    _inert(page)
    assert page.count("evil.example/img.png") == 2  # the function's error and the cell's
    markdown = _letter(out, "hostile_html_in_feedback", "md")
    _inert(MarkdownIt("commonmark").render(markdown))


def test_a_letter_names_the_failing_input_and_what_came_back_never_the_expected(graded):
    out, scores = graded
    letter = _letter(out, "dave_log2", "md")
    assert "## Question 1a: 0 / 3 points (wrong)" in letter
    assert "`entropy(p=np.array([0.5, 0.5]))` returned `1.0`" in letter
    assert "right on 11 of 101 inputs" in letter
    assert "## Question 1b: 4 / 4 points (ok)" in letter
    # The reference's answer for that input, log 2, appears nowhere.
    assert "0.693" not in letter and "Expected" not in letter
    assert "0.693" not in _letter(out, "dave_log2", "html")
    assert not scores.loc["dave_log2"].feedback.str.contains("0.693").any()


def test_a_letter_says_what_happened_to_the_notebook(graded):
    out, _ = graded
    letter = _letter(out, "heidi_syntax_error", "md")
    assert "## Your notebook" in letter
    assert "- cell 9: error (`SyntaxError: incomplete input (cell 9, line 17)`)" in letter
    assert "Cell 9, which defines it, did not run" in letter


def test_a_failing_cell_is_not_blamed_for_a_function_it_does_not_define(graded):
    _, scores = graded
    row = scores.loc[("broken_missing_function_beside_failing_cell", "1c")]
    assert row.feedback == (
        "kl_to_factorized: the notebook defines no function with this exact name. "
        "Similar names found: kl_to_factorised."
    )
    assert "ZeroDivisionError" in row.notes  # the cell that failed is still noted
    assert (row.status, row.points) == ("partial", 1.5)


def test_the_inputs_are_shown_as_the_function_received_them_and_zero_unsigned(graded):
    _, scores = graded
    text = scores.loc[("broken_negative_zero_in_hint", "1a"), "feedback"]
    assert "for p=np.array([1.0, 0.0]), q=np.array([0.5, 0.5]) your functions give" in text
    assert "h=0.0." in text and "-0.0" not in text


def test_a_message_ending_in_a_full_stop_gets_no_second_one(graded):
    _, scores = graded
    text = scores.loc[("broken_error_ends_with_stop", "1a"), "feedback"]
    assert text.endswith("raised ValueError: p and q must have the same length.")
    assert not scores.feedback.str.contains(r"[^.]\.\.(?!\.)").any()


def test_an_imported_function_is_said_not_taken_silently(graded):
    out, scores = graded
    notes = scores.loc[("broken_imported_function", "1a"), "notes"]
    assert "entropy is imported from scipy.stats" in notes
    letter = _letter(out, "broken_imported_function", "md")
    assert "- `entropy`: right on every input, but imported from `scipy.stats" in letter
    checks = pd.read_csv(out / "checks.csv", keep_default_na=False)
    row = checks[(checks.submission == "broken_imported_function") & (checks.function == "entropy")]
    assert list(zip(row.status, row.reason)) == [("ok", "imported")]


def test_notes_never_show_where_the_grader_or_its_python_is_installed(graded):
    _, scores = graded
    notes = scores.loc[("broken_error_names_install_path", "1a"), "notes"]
    assert "numpy is at <python>/" in notes
    assert sys.prefix not in notes
    assert not scores.notes.fillna("").str.contains(re.escape(sys.prefix)).any()


def test_checks_csv_has_a_row_per_check_with_its_data(graded):
    out, _ = graded
    checks = pd.read_csv(out / "checks.csv", keep_default_na=False)
    assert list(checks.columns[:6]) == [
        "submission",
        "question",
        "function",
        "status",
        "cases_passed",
        "cases_run",
    ]
    assert len(checks) == len(CLASS) * 8
    row = checks[(checks.submission == "dave_log2") & (checks.function == "entropy")].iloc[0]
    assert (row.status, row.reason, row.failing_input, row.returned) == (
        "wrong",
        "wrong_value",
        "p=np.array([0.5, 0.5])",
        "1.0",
    )
    assert (row.cases_passed, row.cases_run, row.earned) == (11, 101, 0)
    missing = checks[
        (checks.submission == "heidi_syntax_error") & (checks.function == "kl_gaussian")
    ]
    assert list(missing.reason) == ["syntax_error"]


def test_report_rebuilds_every_output_byte_identical(graded):
    out, _ = graded
    before = _outputs(out)
    assert len(before) == 3 + 2 * len(CLASS)
    for name in OUTPUTS:
        path = out / name
        if path.is_dir():
            for file in path.iterdir():
                file.unlink()
        else:
            path.unlink()
    run = grader("report", out)
    assert run.returncode == 0, run.stderr
    assert f"{len(CLASS)} submission(s)" in run.stdout
    assert _outputs(out) == before


def test_report_without_a_store_is_one_clear_error(tmp_path):
    run = grader("report", tmp_path)
    _one_clear_error(run)
    assert "no results store" in run.stderr


def _outputs(out: Path) -> dict[str, bytes]:
    files = [out / n for n in OUTPUTS if (out / n).is_file()]
    files += sorted((out / "feedback").iterdir())
    return {str(p.relative_to(out)): p.read_bytes() for p in files}
