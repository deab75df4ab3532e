"""Tagged JSON of inputs and answers, and results stored by an earlier schema."""

import json
import math
import sqlite3

import numpy as np

from grader.results._model import CheckResult, Event, Reason, SubmissionResult
from grader.results._store import Store
from grader.results._values import decode, encode, show


def test_arrays_and_non_finite_floats_survive_json_and_show_as_received():
    value = {"p": np.array([0.5, 0.5]), "x": -0.0, "q": [np.float64("nan"), math.inf], "j": 2}
    data = json.loads(json.dumps(encode(value), allow_nan=False))
    assert data["p"] == {"__ndarray__": [0.5, 0.5], "dtype": "float64"}
    assert data["q"] == [{"__float__": "nan"}, {"__float__": "inf"}]
    back = decode(data)
    assert isinstance(back["p"], np.ndarray) and back["p"].tolist() == [0.5, 0.5]
    assert math.isnan(back["q"][0]) and back["j"] == 2
    assert show(data["p"]) == "np.array([0.5, 0.5])"
    assert show(data["x"]) == "0.0"
    assert show(data["q"]) == "[nan, inf]"
    assert show(encode(np.array([[1.0, 2.0]]))) == "np.array([[1.0, 2.0]])"


def test_values_too_large_or_tag_like_are_kept_as_their_rendering():
    big = encode(list(range(100_000)))
    assert set(big) == {"__shown__"} and big["__shown__"].endswith("...")
    assert len(show(big)) <= 200
    sneaky = encode({"__float__": "rm -rf"})
    assert set(sneaky) == {"__shown__"}
    assert show(encode(10**400)) == "an int of about 400 digits"


def test_rows_of_the_earlier_schema_load_with_defaults(tmp_path):
    old = {
        "submission": "alice",
        "questions": [
            {
                "question": "1a",
                "points": 1.0,
                "max_points": 2.0,
                "status": "wrong",
                "feedback": "entropy(p=[1.0]) returned 2.0: that is not the right value.",
                "checks": [
                    {"function": "entropy", "status": "wrong", "weight": 1.0, "feedback": "x"},
                    {"function": "cross", "status": "ok", "weight": 1.0, "share": None},
                ],
            }
        ],
        "notes": "cell 2: error (ValueError: x)",
        "seconds": 1.5,
    }
    path = tmp_path / "results.sqlite"
    Store(path, {"a": "1"}, resume=False).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO results VALUES (?, ?, ?)", ("alice", "sha", json.dumps(old)))
    store = Store(path, {"a": "1"}, resume=True)
    ((result, sha),) = store.results(["alice"])
    store.close()
    assert sha == "sha" and result.events == () and result.usage == {}
    (question,) = result.questions
    assert question.manual is False and question.comment == ""
    wrong, right = question.checks
    assert (wrong.cases_run, wrong.reason, wrong.properties_broken) == (0, None, ())
    assert right.passed and not wrong.passed


def test_new_fields_round_trip_through_the_store(tmp_path):
    check = CheckResult(
        "entropy",
        "wrong",
        1.0,
        cases_run=3,
        cases_passed=2,
        failing_input={"p": encode(np.array([1.0]))},
        returned=encode(math.nan),
        reason=Reason("not_finite", {"detail": "nan"}),
        properties_broken=("kl_nonnegative",),
    )
    from grader.results._model import QuestionResult

    result = SubmissionResult(
        "bob",
        (QuestionResult("1a", 0.0, 2.0, "wrong", (check,)),),
        events=(Event("cell_failed", {"cell": 3}),),
    )
    store = Store(tmp_path / "r.sqlite", {}, resume=False)
    store.put(result, "sha")
    ((back, _),) = store.results(["bob"])
    store.close()
    assert back == result
