"""The kernel protocol and the comparisons, in isolation (the kernel side is plain Python)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from grader.grading._compare import close, mismatch, normalise
from grader.kernel import _driver
from grader.kernel._protocol import (
    call_inputs,
    install_request,
    kernel_files,
    parse_outcomes,
    parse_survey,
    run_request,
)
from grader.results._model import Mismatch

SCALARS = _driver._scalar_types(np)


def plain(value):
    return _driver._plain(value, np, SCALARS)


class Rigged(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, 0.5),
        (3, 3),
        (np.float64(0.25), 0.25),
        (np.float32(0.5), 0.5),
        (np.int64(2), 2),
        (np.array(1.5), 1.5),
        (np.array([1.0, 2.0]), [1.0, 2.0]),
        ([np.float64(1.0), 2], [1.0, 2]),
        ((1.0, 2.0), [1.0, 2.0]),
        (None, None),
    ],
)
def test_plain_numbers_and_arrays_cross_as_json_data(value, expected):
    converted = plain(value)
    assert converted == expected
    assert json.loads(json.dumps(converted)) == expected


@pytest.mark.parametrize(
    "value",
    [
        True,
        np.bool_(True),
        Rigged(0.0),
        "0.5",
        {"kl": 0.5},
        np.array(["a"]),
        np.array([True]),
        np.array([1 + 2j]),
        1 + 2j,
        np.ma.masked_array([1.0]),
        [[[[[[[[[[1.0]]]]]]]]]],
    ],
)
def test_anything_else_is_refused_by_exact_type(value):
    with pytest.raises(_driver._Unsupported):
        plain(value)


def test_driver_runs_every_case_and_stops_a_check_at_its_first_failure():
    def kl(p, q):
        if len(p) == 3:
            raise ZeroDivisionError("boom")
        return float(np.sum(p))

    cases = [[[0.5, 0.5], [0.5, 0.5]], [[0.2, 0.3, 0.5], [1, 0, 0]], [[1.0], [1.0]]]
    out = json.loads(_driver.run({"kl": kl}, "kl", ["vector", "vector"], cases, 1.0, 5.0))
    assert out == [{"value": 1.0}, {"error": "ZeroDivisionError: boom"}, {"skipped": True}]


def test_driver_limits_cpu_time_per_call():
    def spin(x):
        while True:
            pass

    out = json.loads(_driver.run({"spin": spin}, "spin", ["float"], [[1.0], [2.0]], 0.2, 5.0))
    assert out == [{"timeout": 0.2}, {"skipped": True}]


def test_a_call_that_takes_the_timers_signals_does_not_free_the_next_from_its_limit():
    """The driver sets its timers' handlers once per request, and again before a call only
    where the call before changed them: a function that ignores SIGPROF once still has the
    next call stopped at its CPU limit; the handlers found before the request are put back."""
    import signal

    def mine(signum: int, frame: object) -> None:
        pass

    calls = []

    def sly(x: float) -> float:
        calls.append(x)
        if len(calls) == 1:
            signal.signal(signal.SIGPROF, signal.SIG_IGN)
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            return 1.0
        while True:
            pass

    before = signal.signal(signal.SIGALRM, mine), signal.getsignal(signal.SIGPROF)
    try:
        out = json.loads(
            _driver.run({"sly": sly}, "sly", ["float"], [[1.0], [2.0]], 0.2, 5.0, every=True)
        )
        assert out == [{"value": 1.0}, {"timeout": 0.2}]
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getsignal(signal.SIGPROF) == before[1]
    finally:
        signal.signal(signal.SIGALRM, before[0])


def test_arguments_arrive_as_the_notebook_states():
    seen = {}

    def f(p, joint, factors, sigma, j):
        seen.update(p=p, joint=joint, factors=factors, sigma=sigma, j=j)
        return 0.0

    kinds = ["vector", "array", "vector_list", "float", "int"]
    _driver.run({"f": f}, "f", kinds, [[[0.5, 0.5], [[1.0]], [[1.0]], 2, 0]], 1.0, 5.0)
    assert seen["p"].dtype == np.float64 and seen["p"].shape == (2,)
    assert seen["joint"].shape == (1, 1)
    assert type(seen["factors"]) is list and seen["factors"][0].dtype == np.float64
    assert type(seen["sigma"]) is float and type(seen["j"]) is int


def test_requests_embed_data_as_literals_only():
    code = run_request("f'); import os; ('", ["vector"], [[[1.0]]], 1.0, 5.0)
    compile(code, "<request>", "exec")
    assert "import os" in code and code.count("\n") == 0


def _installed(conn) -> dict:
    """A namespace with the driver installed as the kernel installs it: from ``conn``'s files."""
    for name, content in kernel_files().items():
        (conn / name).write_bytes(content)
    namespace: dict = {}
    exec(install_request(conn), namespace)
    return namespace


def test_a_call_reads_its_inputs_from_a_file_and_answers_as_with_literals(tmp_path):
    """A call's inputs go to the kernel as a file of ``conn``: ipykernel hashes every request's
    code in pure Python, so a hundred cases in the code cost the kernel milliseconds a check.
    The answers are those of the same inputs written as literals, NaN, infinities and seeds
    included."""
    namespace = _installed(tmp_path)
    namespace["f"] = lambda p, k: [float(np.sum(p)) * k, float(np.random.random())]
    cases = [[[0.5, float("nan")], 2], [[float("inf"), 1.0], 3]] * 50
    seeds = list(range(100))
    path = tmp_path / "call-1.json"
    path.write_bytes(call_inputs(cases, seeds))
    args = ("f", ["vector", "int"], cases, 1.0, 5.0, False, True, seeds)
    short = run_request(*args, inputs=path)
    literal = run_request(*args)
    assert len(short) < 400 < len(literal) and str(path) in short
    answers = []
    for code in (short, literal):
        exec(code, namespace)
        answers.append(namespace["__grader_out__"])
    assert answers[0] == answers[1]
    assert len(parse_outcomes(answers[0], 100)) == 100


def test_the_driver_is_installed_from_its_files_without_touching_the_notebook(tmp_path):
    namespace = _installed(tmp_path)
    assert set(namespace) == {"__builtins__", "__grader__"}
    assert len(install_request(tmp_path)) < 1000  # the sources are read, not sent


@pytest.mark.parametrize("text", [None, "", "{}", "[1]", '["{}", "{}", "{}"]', "[[], []]"])
def test_a_survey_that_makes_no_sense_finds_nothing(text):
    assert parse_survey(text) == ({}, {})


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "not json",
        "[1, 2]",
        '[{"value": true}]',
        '[{"value": {"a": 1}}]',
        '[{"value": 1, "error": "x"}]',
        '[{"expected": 1}]',
        "[" * 100000,
    ],
)
def test_replies_that_make_no_sense_are_unreadable(text):
    (outcome,) = parse_outcomes(text, 1)
    assert outcome.kind == "unreadable"


def test_infinities_and_nans_are_spelled_out_and_parsed():
    (a, b) = parse_outcomes('[{"value": Infinity}, {"value": [NaN, -Infinity]}]', 2)
    assert a.value == math.inf and math.isnan(b.value[0]) and b.value[1] == -math.inf


@pytest.mark.parametrize(
    ("expected", "got", "ok"),
    [
        (1.0, 1.0 + 1e-7, True),
        (1.0, 1.0 + 1e-5, False),
        (0.0, 1e-10, True),
        (0.0, 1e-8, False),
        (math.inf, math.inf, True),
        (math.inf, -math.inf, False),
        (math.inf, 1e308, False),
        (math.nan, math.nan, False),
    ],
)
def test_tolerances(expected, got, ok):
    assert close(expected, got) is ok


def test_shapes_and_types_must_match():
    assert mismatch(0.5, [0.5], "scalar") == Mismatch("list_for_number", got_count=1)
    assert mismatch(0.5, None, "scalar") == Mismatch("returned_none")
    assert mismatch(0.5, math.nan, "scalar") == Mismatch("not_finite")
    assert mismatch([0.5, 0.5], [0.5], "vector") == Mismatch(
        "wrong_length", expected_count=2, got_count=1
    )
    assert mismatch([0.5, 0.5], 0.5, "vector") == Mismatch("number_for_vector", got_kind="float")
    assert mismatch([0.5, 0.5], [[0.5, 0.5]], "vector") == Mismatch("nested_vector")
    assert mismatch([0.5, 0.5], [0.5, 0.5], "vector") is None
    assert mismatch(2.0, 2, "scalar") is None


def test_feedback_is_normalised_and_capped():
    text = normalise("at 0x7f3a2b1c9d00 in /tmp/grader-abc123/work/submission.ipynb " + "x" * 3000)
    assert "0x7f" not in text and "grader-abc123" not in text and len(text) <= 1500
