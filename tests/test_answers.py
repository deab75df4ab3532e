"""Richer answers: each shape, tolerances, partial credit and comparators, graded in real kernels.

A small assignment is written in tmp_path (spec, checks.py, oracles), its inputs frozen with
``grader.freeze``, and two notebooks graded: one right everywhere (in forms the oracle does not
use: numpy ints, tuples for lists, a negated eigenvector) and one wrong in a known way per check.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader import GradingPlan, freeze, grade_notebook, load_assignment
from grader.errors import SpecError
from grader.report._render_text import feedback_by_question
from grader.results._context import FeedbackOptions
from grader.results._model import QuestionResult

CHECKS = """
from hypothesis import strategies as st
from grader import Inputs, Property

INPUTS = {
    "n": Inputs(st.fixed_dictionaries({"n": st.integers(1, 6)}), edges=({"n": 1}, {"n": 2})),
    "v": Inputs(st.fixed_dictionaries({"v": st.lists(st.integers(-5, 5), min_size=1, max_size=4)
        .map(lambda xs: [float(x) for x in xs])})),
}
PROPERTIES = {
    "n_counts": Property(
        "n counts the values of v",
        lambda v: {"m": ("moments", (v,))},
        lambda case, r: type(r["m"]["n"]) is int and r["m"]["n"] == len(case["v"]),
    ),
}


def up_to_sign(expected, got):
    same = all(abs(e - g) < 1e-9 for e, g in zip(expected, got))
    flipped = all(abs(e + g) < 1e-9 for e, g in zip(expected, got))
    return len(expected) == len(got) and (same or flipped)


COMPARATORS = {"up_to_sign": up_to_sign, "any_order": lambda e, g: sorted(e) == sorted(g)}
"""

ORACLES = """
import random
import numpy as np

def count(n): return 2 * n
def is_even(n): return n % 2 == 0
def parity(n): return "even" if n % 2 == 0 else "odd"
def grid(n): return np.full((n, 2), float(n))
def moments(v): return {"mu": float(np.mean(v)), "n": len(v)}
def pair(n): return (n, n / 2)
def divisors(n): return [d for d in range(1, n + 1) if n % d == 0]
def nested(n): return {"items": list(range(n)), "flag": n > 3}
def loose(n): return n / 3
def strict(n): return n / 3
def half(n): return n / 2
def half_all(n): return n / 2
def eigvec(n): return [n / 5.0, -1.0]
def eigvec_exact(n): return [n / 5.0, -1.0]
def unordered(n): return divisors(n)
def noise(n): return np.random.normal() + random.random() * n
def draw(n): return np.random.normal(n, 1.0, size=2)
def labels(n): return ["a"] * n
def total(): return 6.0
def fit(): return {"mu": 1.0, "lam": 2.0}
"""

# (question, function, params, returns, extra keys)
CHECK_ROWS = [
    ("int", "count", '{ n = "int" }', '"int"', ""),
    ("bool", "is_even", '{ n = "int" }', '"bool"', ""),
    ("str", "parity", '{ n = "int" }', '"str"', ""),
    ("array", "grid", '{ n = "int" }', '"array"', ""),
    (
        "record",
        "moments",
        '{ v = "vector" }',
        '{ mu = "scalar", n = "int" }',
        'properties = ["n_counts"]',
    ),
    ("tuple", "pair", '{ n = "int" }', '["int", "scalar"]', ""),
    ("list", "divisors", '{ n = "int" }', '{ list_of = "int" }', ""),
    ("nested", "nested", '{ n = "int" }', '{ items = { list_of = "int" }, flag = "bool" }', ""),
    ("loose", "loose", '{ n = "int" }', '"scalar"', "rtol = 1e-3"),
    ("strict", "strict", '{ n = "int" }', '"scalar"', ""),
    ("half", "half", '{ n = "int" }', '"scalar"', 'credit = "proportional"\npublic = 2'),
    ("half_all", "half_all", '{ n = "int" }', '"scalar"', ""),
    ("eigvec", "eigvec", '{ n = "int" }', '"vector"', 'compare = "up_to_sign"'),
    ("eigvec_exact", "eigvec_exact", '{ n = "int" }', '"vector"', ""),
    ("unordered", "unordered", '{ n = "int" }', '{ list_of = "int" }', 'compare = "any_order"'),
    ("seeded", "noise", '{ n = "int" }', '"scalar"', "stochastic = true"),
    (
        "sampled",
        "draw",
        '{ n = "int" }',
        '"vector"',
        "stochastic = true\nsamples = 200\natol = 0.3",
    ),
    ("hostile", "labels", '{ n = "int" }', '{ list_of = "str" }', ""),
    ("var_scalar", "total", None, '"scalar"', "rtol = 1e-3"),
    ("var_record", "fit", None, '{ mu = "scalar", lam = "scalar" }', ""),
]

RIGHT = """
import random
import numpy as np

def count(n): return np.int64(2 * n)
def is_even(n): return np.bool_(n % 2 == 0)
def parity(n): return ["odd", "even"][n % 2 == 0]
def grid(n): return [[n] * 2 for _ in range(n)]
def moments(v): return {"n": np.int32(len(v)), "mu": np.mean(v)}
def pair(n): return [n, np.float32(n / 2)]
def divisors(n): return tuple(d for d in range(1, n + 1) if n % d == 0)
def nested(n): return {"items": np.arange(n), "flag": bool(n > 3)}
def loose(n): return n / 3 * (1 + 1e-4)
def strict(n): return n / 3
def half(n): return n / 2
def half_all(n): return n / 2
def eigvec(n): return np.array([-n / 5.0, 1.0])
def eigvec_exact(n): return [n / 5.0, -1.0]
def unordered(n): return [d for d in range(n, 0, -1) if n % d == 0]
def noise(n):
    z = np.random.normal()
    return z + random.random() * n
def draw(n): return [random.gauss(n, 1.0), random.gauss(n, 1.0)]
def labels(n): return ("a",) * n
total = np.float32(6.001)
fit = {"lam": np.float64(2.0), "mu": 1}
"""

WRONG = """
import random
import numpy as np

def count(n): return float(2 * n)
def is_even(n): return int(n % 2 == 0)
def parity(n): return "Even" if n % 2 == 0 else "Odd"
def grid(n): return np.full((2, n), float(n))
def moments(v): return {"mu": float(np.mean(v)), "n": float(len(v))}
def pair(n): return (n, n / 2, 0)
def divisors(n): return {1: n}
def nested(n): return {"items": [0] + list(range(2, n + 1)), "flag": n > 3}
def loose(n): return n / 3 * (1 + 1e-2)
def strict(n): return n / 3 * (1 + 1e-4)
def half(n):
    if n % 2:
        raise ValueError("odd")
    return n / 2
half_all = half
def eigvec(n): return [n / 5.0, 1.0]
def eigvec_exact(n): return [-n / 5.0, 1.0]
def unordered(n): return [1]
def noise(n): return np.random.normal(size=2)[1] + random.random() * n
def draw(n): return np.random.normal(n, 2.0, size=2)
class Sneaky(str):
    def __eq__(self, other): return True
    __hash__ = str.__hash__
def labels(n): return [Sneaky("b")] * n
total = 7
for fit in range(3):
    pass
"""


def _write_assignment(root: Path, rows=CHECK_ROWS) -> Path:
    folder = root / "shapes"
    folder.mkdir()
    spec = ['name = "shapes"', 'student_notebook = "student.ipynb"', 'oracles = "oracles.py"']
    spec += ['checks = "checks.py"', "seed = 7", ""]
    for qid, function, params, returns, extra in rows:
        spec += ["[[questions]]", f'id = "{qid}"', "points = 2", "  [[questions.checks]]"]
        if params is None:
            spec += [f'  variable = "{function}"', f"  returns = {returns}"]
        else:
            spec += [f'  function = "{function}"', f"  params = {params}"]
            spec += [f"  returns = {returns}", "  examples = 6"]
            spec += ['  inputs = "v"' if "v =" in params else '  inputs = "n"']
        spec += [f"  {extra}", ""]
    (folder / "spec.toml").write_text("\n".join(spec))
    (folder / "checks.py").write_text(CHECKS)
    (folder / "oracles.py").write_text(ORACLES)
    _notebook(folder / "student.ipynb", "def count(n):\n    raise NotImplementedError()")
    return folder


@dataclass(frozen=True)
class _Graded:
    """A question's result and its plain feedback, as the CSV shows it."""

    question: QuestionResult
    feedback: str

    def __getattr__(self, name: str):  # points, status, ... of the question
        return getattr(self.question, name)


def _notebook(path: Path, source: str) -> Path:
    nb = new_notebook(cells=[new_code_cell(textwrap.dedent(source))])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("answers")
    folder = _write_assignment(root)
    assignment = load_assignment(folder)
    freeze(assignment)
    plan = GradingPlan.build(assignment)
    results = {}
    missing = RIGHT.replace("fit = ", "fit_ = ")
    for name, source in (("right", RIGHT), ("wrong", WRONG), ("missing", missing)):
        result = grade_notebook(plan, _notebook(root / f"{name}.ipynb", source))
        texts = feedback_by_question(result)
        results[name] = {q.question: _Graded(q, texts[q.question]) for q in result.questions}
    return plan, results


def test_answers_of_every_shape_in_other_forms_get_full_marks(graded):
    _, results = graded
    lost = {q: (r.points, r.feedback) for q, r in results["right"].items() if r.points != 2}
    assert lost == {}


WRONG_FEEDBACK = {
    "int": r"^count\(n=1\) returned 2\.0: a whole number \(int\) was expected, not a float\.$",
    "bool": r"^is_even\(n=1\) returned 0: True or False was expected, not an int\.$",
    "str": r"^parity\(n=1\) returned 'Odd': that is not the right value\.$",
    "array": r"^grid\(n=1\) returned \[\[1\.0\], \[1\.0\]\]: an array of shape \(1, 2\) was "
    r"expected, not of shape \(2, 1\)\.$",
    "record": r"^moments\(v=np\.array\(\[.*\]\)\) returned \{.*\}: field n: a whole number "
    r"\(int\) was exp",
    "tuple": r"^pair\(n=1\) returned \[1, 0\.5, 0\]: 2 items were expected, not 3\.$",
    "list": r"^divisors\(n=1\) returned a dict whose keys are not all strings, which the grader",
    "nested": r"^nested\(n=2\) returned \{.*\}: field items, item 1: that is not the right value",
    "loose": r"^loose\(n=1\) returned 0\.33666.*: that is not the right value\.$",
    "strict": r"^strict\(n=1\) returned 0\.33336.*: that is not the right value\.$",
    "half_all": r"^half_all\(n=1\) raised ValueError: odd\.$",
    "eigvec": r"^eigvec\(n=1\) returned \[0\.2, 1\.0\]: that is not the right value\.$",
    "eigvec_exact": r"^eigvec_exact\(n=1\) returned \[-0\.2, 1\.0\]: that is not the right val",
    "unordered": r"^unordered\(n=2\) returned \[1\]: that is not the right value\.$",
    "seeded": r"^noise\(n=1\) returned .*: that is not the right value\.$",
    "sampled": r"^draw\(n=1\) over 200 seeded calls: the standard deviation of its answers is "
    r"\[\d\.\d+, \d\.\d+\], not the reference's \(rtol 1e-06, atol 0\.3\)\.$",
    "hostile": r"^labels\(n=1\) returned an object of type Sneaky, which the grader cannot co",
    "var_scalar": r"^total is 7: that is not the right value\.$",
    "var_record": r"^fit is 2: a dict with the fields mu, lam was expected, not an int\.$",
}


@pytest.mark.parametrize("question", sorted(WRONG_FEEDBACK))
def test_a_wrong_answer_says_where_without_the_expected_value(graded, question):
    _, results = graded
    result = results["wrong"][question]
    assert result.points == 0, result
    assert re.search(WRONG_FEEDBACK[question], result.feedback), result.feedback


def test_a_nested_mismatch_does_not_show_the_expected_value(graded):
    _, results = graded
    feedback = results["wrong"]["nested"].feedback  # nested(n=2) is {"items": [0, 1], ...}
    assert "[0, 2]" in feedback and "[0, 1]" not in feedback and "Expected" not in feedback


def test_a_hint_sees_an_answer_of_any_shape(graded):
    _, results = graded
    feedback = results["wrong"]["record"].feedback
    assert "Hint: the sheet says n counts the values of v, but for v=" in feedback
    assert "your functions give m={'mu': " in feedback


def test_proportional_credit_runs_every_case_and_pays_the_share_of_hidden_ones(graded):
    plan, results = graded
    cases = plan.cases["half/half"]
    even = sum(1 for case in cases if case["n"] % 2 == 0)
    hidden = cases[2:]  # the first two are public: their answers are in the bundle
    hidden_even = sum(1 for case in hidden if case["n"] % 2 == 0)
    assert 0 < hidden_even < len(hidden)
    result = results["wrong"]["half"]
    assert result.points == pytest.approx(2 * hidden_even / len(hidden), abs=1e-6)
    assert result.feedback.startswith(
        f"half is right on {even} of {len(cases)} inputs; its share comes from the other "
        f"{len(hidden)} (the 2 public ones, whose answers you can see, earn nothing). half(n=1)"
    )
    assert results["wrong"]["half_all"].points == 0


SPEC_ERRORS = [
    ('"number"', "returns is 'number'; use one of"),
    ("[]", "returns is an empty tuple"),
    ('{ list_of = "nope" }', "returns is 'nope'"),
    ('"scalar"\n  rtol = -1', "rtol must be a number >= 0, got -1"),
    ('"scalar"\n  credit = "some"', "credit is 'some'; use one of ['all', 'proportional']"),
    ('"scalar"\n  compare = "absent"', "checks.py COMPARATORS has no function 'absent'"),
    ('"scalar"\n  samples = 10', "samples needs stochastic = true"),
    ('"int"\n  stochastic = true\n  samples = 10', 'returns must be "scalar" or "vector"'),
    ('"scalar"\n  stochastic = 1', "stochastic must be true or false, got 1"),
]


@pytest.mark.parametrize(("returns", "message"), SPEC_ERRORS)
def test_a_bad_answer_key_fails_when_the_spec_loads(tmp_path, returns, message):
    folder = _write_assignment(tmp_path, [("q", "count", '{ n = "int" }', returns, "")])
    with pytest.raises(SpecError, match=re.escape(message)):
        load_assignment(folder)


def test_the_parser_takes_bools_strings_and_dicts_only_where_the_spec_asks_for_them():
    from grader.kernel._driver import MAX_TEXT
    from grader.kernel._protocol import parse_outcomes

    text = json.dumps([{"value": {"mu": 1.5, "ok": True, "name": "x", "xs": [1, None]}}])
    assert parse_outcomes(text, 1)[0].kind == "unreadable"
    value = {"mu": 1.5, "ok": True, "name": "x", "xs": [1, None]}
    assert parse_outcomes(text, 1, rich=True)[0].value == value
    assert parse_outcomes(json.dumps([{"value": True}]), 1)[0].kind == "unreadable"
    too_long = json.dumps([{"value": ["x" * (MAX_TEXT + 1)]}])
    assert parse_outcomes(too_long, 1, rich=True)[0].kind == "unreadable"


def test_a_student_bundle_without_the_comparators_says_what_it_compared(graded, tmp_path):
    from grader.assignment._release import public_plan, release_bundle

    plan, _ = graded
    bundle = release_bundle(plan.assignment, tmp_path / "dist")
    public = public_plan(load_assignment(bundle, bundle_ok=True), plan.limits)
    result = grade_notebook(public, _notebook(tmp_path / "right.ipynb", RIGHT))
    scores = {q.question: q for q in result.questions}
    note = (
        "that is not the right value (compared as the reference gives it; the final grade "
        "accepts the answers the sheet calls equal). Expected "
    )
    for question in ("eigvec", "unordered"):
        assert scores[question].points == 0
        assert note in feedback_by_question(result, FeedbackOptions(show_expected=True))[question]


def test_a_variable_the_notebook_never_assigns_is_missing(graded):
    _, results = graded
    result = results["missing"]["var_record"]
    assert (result.points, result.status) == (0, "missing")
    assert result.feedback == "fit: the notebook defines no variable with this exact name."
    assert results["missing"]["var_scalar"].points == 2
