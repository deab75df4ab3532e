"""Reasons and statuses are typed data (issue 24): the comparison returns a :class:`Mismatch`
(a code and its fields), never a sentence; the words live in one place (``_wording``) and each
format renders them in one place; results stored before keep loading and rendering."""

from __future__ import annotations

import ast
import json
import math
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any, get_args

import pytest

from grader.grading._compare import mismatch, mismatch_shaped
from grader.report import _render_text, _wording
from grader.report._event_text import letter_events
from grader.report._render_text import check_line, check_text, result_notes
from grader.report._wording import REASON_PHRASES, mismatch_text
from grader.results._context import NO_OPTIONS
from grader.results._model import (
    REASON_CODES,
    STATUSES,
    CheckResult,
    Event,
    EventCode,
    Mismatch,
    MismatchCode,
    QuestionResult,
    Reason,
    Status,
    SubmissionResult,
)
from grader.results._store import Store
from grader.results._values import encode

GRADER = Path(__file__).resolve().parents[1] / "grader"
RECORD = ("record", [("mu", "scalar"), ("lam", ("list", "scalar"))])

#: (expected, got, shape) -> the mismatch, its reason code, and the words the feedback says.
CASES: list[tuple[Any, Any, Any, Mismatch, str, str]] = [
    (0.5, 0.7, "scalar", Mismatch("wrong_value"), "wrong_value", "that is not the right value"),
    (
        0.5,
        math.nan,
        "scalar",
        Mismatch("not_finite"),
        "not_finite",
        "nan is never a correct answer",
    ),
    (
        0.5,
        None,
        "scalar",
        Mismatch("returned_none"),
        "returned_none",
        "is a `return` statement missing?",
    ),
    (
        0.5,
        [0.5, 0.5],
        "scalar",
        Mismatch("list_for_number", got_count=2),
        "wrong_shape",
        "one number was expected, not a list of length 2",
    ),
    (
        0.5,
        True,
        "scalar",
        Mismatch("not_a_number", got_kind="bool"),
        "wrong_type",
        "that is not a number",
    ),
    (
        [0.5, 0.5],
        0.5,
        "vector",
        Mismatch("number_for_vector", got_kind="float"),
        "wrong_type",
        "a vector was expected, not a single number",
    ),
    (
        [0.5, 0.5],
        [[0.5], [0.5]],
        "vector",
        Mismatch("nested_vector"),
        "wrong_shape",
        "a flat vector of numbers was expected, not a nested list",
    ),
    (
        [0.5, 0.5],
        [0.5],
        "vector",
        Mismatch("wrong_length", expected_count=2, got_count=1),
        "wrong_shape",
        "a vector of length 2 was expected, not of length 1",
    ),
    (
        [1, 2],
        [1, 2, 3],
        ("list", "int"),
        Mismatch("wrong_count", expected_count=2, got_count=3),
        "wrong_shape",
        "2 items were expected, not 3",
    ),
    (
        [1, 2],
        "12",
        ("tuple", ["int", "int"]),
        Mismatch("wrong_kind", expected_kind="tuple", got_kind="str"),
        "wrong_type",
        "a tuple was expected, not a string",
    ),
    (
        3,
        3.0,
        "int",
        Mismatch("wrong_kind", expected_kind="int", got_kind="float"),
        "wrong_type",
        "a whole number (int) was expected, not a float",
    ),
    (
        {"mu": 1.0, "lam": [1.0]},
        2,
        RECORD,
        Mismatch("wrong_kind", expected_kind="record", got_kind="int", fields=("mu", "lam")),
        "wrong_type",
        "a dict with the fields mu, lam was expected, not an int",
    ),
    (
        {"mu": 1.0, "lam": [1.0]},
        {"mu": 1.0},
        RECORD,
        Mismatch("field_missing", field="lam"),
        "wrong_shape",
        "the field lam is missing",
    ),
    (
        {"mu": 1.0, "lam": [1.0]},
        {"mu": 1.0, "lam": [1.0], "shape": 2},
        RECORD,
        Mismatch("extra_field", field="shape"),
        "wrong_shape",
        "the sheet asks for no field 'shape'",
    ),
    (
        {"mu": 1.0, "lam": [1.0, 2.0]},
        {"mu": 1.0, "lam": [1.0, 3.0]},
        RECORD,
        Mismatch("wrong_value", path=("lam", 1)),
        "wrong_value",
        "field lam, item 1: that is not the right value",
    ),
    (
        {"mu": 1.0, "lam": [1.0]},
        {"mu": 1.0, "lam": [None]},
        RECORD,
        Mismatch("returned_none", path=("lam", 0)),
        "returned_none",
        "field lam, item 0: it is None",
    ),
    (
        [[1.0, 2.0]],
        [[1.0], [2.0]],
        "array",
        Mismatch("wrong_array_shape", expected_shape=(1, 2), got_shape=(2, 1)),
        "wrong_shape",
        "an array of shape (1, 2) was expected, not of shape (2, 1)",
    ),
    (
        [[1.0, 2.0], [3.0, 4.0]],
        [[1.0, 2.0], [3.0, 5.0]],
        "array",
        Mismatch("wrong_element", index=(1, 1)),
        "wrong_value",
        "element [1, 1] is not the right value",
    ),
]


@pytest.mark.parametrize(("expected", "got", "shape", "found", "code", "words"), CASES)
def test_each_mismatch_is_a_typed_code_with_its_fields(expected, got, shape, found, code, words):
    compare = mismatch if shape in ("scalar", "vector") else mismatch_shaped
    result = compare(expected, got, shape)
    assert result == found
    assert result.code in get_args(MismatchCode)
    assert result.reason_code == code and code in REASON_CODES
    assert mismatch_text(result) == words


def test_every_code_has_its_words_in_one_place():
    """Each mismatch code is worded, each reason code is worded for a letter and phrased for
    the class report, and a code no renderer knows (an older or newer grader) still renders."""
    assert set(get_args(MismatchCode)) == set(_wording._MISMATCH)
    worded = set(_render_text._WORDING)
    passing = {"imported", "unpublished"}  # worded by check_line: they pass
    assert set(REASON_CODES) - passing - {"invalid_notebook", "grader_failed"} <= worded
    assert set(REASON_CODES) <= set(REASON_PHRASES)
    assert mismatch_text(Mismatch("comparator", message="the sign is flipped")) == (
        "the sign is flipped"
    )


def test_a_stochastic_or_strict_mismatch_says_which_statistic_and_what_was_compared():
    std = Mismatch("wrong_value", statistic="std", rtol=0.1, atol=0.01)
    assert mismatch_text(std, encode([2.5, 1.0])) == (
        "the standard deviation of its answers is [2.5, 1.0], not the reference's "
        "(rtol 0.1, atol 0.01)"
    )
    mean = Mismatch("not_finite", statistic="mean")
    assert mismatch_text(mean) == "the mean of its answers: nan is never a correct answer"
    strict = Mismatch("wrong_value", path=("a",), strict=True)
    assert mismatch_text(strict) == (
        "field a: that is not the right value (compared as the reference gives it; the final "
        "grade accepts the answers the sheet calls equal)"
    )


def test_no_sentence_is_parsed_back_into_a_code():
    """The grading side builds no feedback sentence and reads none back by substring."""
    for path in (GRADER / "grading").glob("*.py"):
        text = path.read_text()
        assert "value_code" not in text, path.name
        assert "not the right value" not in text, path.name
        assert " in why" not in text and "why.endswith" not in text, path.name
    # the mismatch sentences are written in one module only
    holders = [
        p.relative_to(GRADER).as_posix()
        for p in GRADER.rglob("*.py")
        if "was expected, not" in p.read_text()
    ]
    assert holders == ["report/_wording.py"]


def test_markdown_and_html_take_their_words_from_the_one_plain_wording():
    """The letters in Markdown and HTML style the plain renderer's sentences; they word
    nothing of a check themselves."""
    for name in ("_render_markdown.py", "_render_html.py"):
        tree = ast.parse((GRADER / "report" / name).read_text())
        strings = [
            n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is str
        ]
        for phrase in ("returned", "raised", "was expected", "right on", "not implemented"):
            assert not any(phrase in s for s in strings), (name, phrase)


def test_the_count_of_inputs_is_said_once_in_a_letter():
    check = CheckResult(
        "entropy",
        "partial",
        1.0,
        share=0.75,
        cases_run=40,
        cases_passed=30,
        failing_input={"p": encode([1.0])},
        returned=encode(2.0),
        reason=Reason("wrong_value", mismatch=Mismatch("wrong_value")),
    )
    line = check_line(check, NO_OPTIONS, _render_text.PLAIN)
    assert line.count("30 of 40") == 1, line
    assert line == (
        "entropy (right on 30 of 40 inputs): entropy(p=[1.0]) returned 2.0: that is not the "
        "right value."
    )
    assert check_text(check).count("30 of 40") == 1  # the CSV column says it, once


def _result(reason: Reason) -> SubmissionResult:
    check = CheckResult(
        "entropy",
        "wrong",
        1.0,
        cases_run=3,
        failing_input={"p": encode([1.0])},
        returned=encode([2.0]),
        reason=reason,
    )
    return SubmissionResult("bob", (QuestionResult("1a", 0.0, 2.0, "wrong", (check,)),))


def test_a_mismatch_round_trips_through_the_store(tmp_path):
    found = Mismatch("wrong_value", path=("lam", 1), statistic="mean", rtol=1e-6, atol=1e-9)
    result = _result(Reason("wrong_value", {"samples": 5}, mismatch=found))
    store = Store(tmp_path / "r.sqlite", {}, resume=False)
    store.put(result, "sha")
    ((back, _),) = store.results(["bob"])
    store.close()
    assert back == result
    assert back.questions[0].checks[0].reason.mismatch == found


def test_a_reason_stored_by_the_previous_version_loads_and_renders_its_sentence(tmp_path):
    """Before mismatches were data, the comparison's sentence was stored as ``detail``."""
    old = asdict(_result(Reason("wrong_shape")))
    old["questions"][0]["checks"][0]["reason"] = {
        "code": "wrong_shape",
        "params": {"detail": "a vector of length 2 was expected, not of length 1"},
    }
    path = tmp_path / "results.sqlite"
    Store(path, {"a": "1"}, resume=False).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO results VALUES (?, ?, ?)", ("bob", "sha", json.dumps(old)))
    store = Store(path, {"a": "1"}, resume=True)
    ((back, _),) = store.results(["bob"])
    store.close()
    check = back.questions[0].checks[0]
    assert check.reason.mismatch is None
    assert check_text(check) == (
        "entropy(p=[1.0]) returned [2.0]: a vector of length 2 was expected, not of length 1."
    )


def test_statuses_have_one_typed_definition():
    assert get_args(Status) == STATUSES
    assert len(set(STATUSES)) == len(STATUSES)


#: Files whose bare statuses are still to be switched (none: every status is a named constant).
NOT_YET: set[str] = set()


RESULTS = ("CheckResult", "QuestionResult", "zero_result")


def _bare_statuses(tree: ast.AST) -> list[int]:
    """Lines comparing a ``status`` with a status written as a string, or passing one to a
    result or ``zero_result``."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = any(
                (isinstance(s, ast.Attribute) and s.attr == "status")
                or (isinstance(s, ast.Name) and s.id == "status")
                or (isinstance(s, ast.Subscript) and getattr(s.slice, "value", None) == "status")
                for s in sides
            )
            bare = any(isinstance(s, ast.Constant) and s.value in STATUSES for s in sides)
            if named and bare:
                lines.append(node.lineno)
        called = isinstance(node, ast.Call) and getattr(node.func, "id", "") in RESULTS
        if called and any(isinstance(a, ast.Constant) and a.value in STATUSES for a in node.args):
            lines.append(node.lineno)
    return lines


def test_no_status_is_a_bare_string_outside_the_model():
    found = {}
    for path in GRADER.rglob("*.py"):
        name = path.relative_to(GRADER).as_posix()
        if name in NOT_YET or name.startswith("kernel/"):
            continue
        lines = _bare_statuses(ast.parse(path.read_text()))
        if lines:
            found[name] = lines
    assert not found


def test_notes_are_rendered_from_the_events_and_not_stored(tmp_path):
    """A result's notes are its events in words: the store keeps the events only, and a row the
    previous version stored (its notes beside its events) reads the same, never twice."""
    events = (
        Event("output_dropped"),
        Event("mark_stale", {"question": "2", "points": 1, "max": 2}),
    )
    result = SubmissionResult("amy", (), events=events)
    assert result_notes(result) == (
        "output beyond the cap was dropped; 2 was marked 1/2 on an earlier version of this "
        "notebook: mark it again"
    )
    assert "notes" not in asdict(result)
    assert letter_events(result) == [events[0]]  # the stale mark is for the instructor
    previous = {**asdict(result), "notes": "output beyond the cap was dropped"}
    path = tmp_path / "results.sqlite"
    Store(path, {"a": "1"}, resume=False).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO results VALUES (?, ?, ?)", ("amy", "sha", json.dumps(previous)))
    store = Store(path, {"a": "1"}, resume=True)
    ((back, _),) = store.results(["amy"])
    store.close()
    assert back == result and result_notes(back) == result_notes(result)
    older = SubmissionResult("bo", (), "cell 2: error (ValueError: x)")  # before events
    assert result_notes(older) == "cell 2: error (ValueError: x)"


def test_every_event_the_grader_makes_has_a_typed_code():
    made = set()
    for path in GRADER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Event":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant):
                    made.add(first.value)
    assert made and made <= set(get_args(EventCode)), made - set(get_args(EventCode))
