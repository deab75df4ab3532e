"""The oracles' answers are kept between commands (``grader/assignment/_answer_cache.py``): a
command whose assignment, frozen inputs, oracles and packages are unchanged takes them from the
cache and never runs the oracles; anything they depend on changed, or an entry it cannot use,
and they are computed again (issue 31)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import GradingPlan, load_assignment
from grader.assignment import _answer_cache
from grader.assignment._answer_cache import CACHE_ENV, AnswerCache, answers_key
from grader.errors import SpecError
from tests.conftest import ASSIGNMENT, ROOT, run_grader

#: Prints whether the oracles ran (SciPy's special functions imported) and the plan's answers.
PLAN = """
import json, sys
from grader import GradingPlan, load_assignment
plan = GradingPlan.build(load_assignment(sys.argv[1], defer_oracles=True))
ran = "scipy.special" in sys.modules
print(json.dumps({"ran": ran, "expected": repr(sorted(plan.expected.items()))}))
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder / "answers"


@pytest.fixture
def sheet(tmp_path) -> Path:
    """A copy of the VI sheet with its oracles in a folder of their own (``reference/``)."""
    shutil.copytree(ASSIGNMENT, tmp_path / "assignments" / "vi")
    (tmp_path / "reference").mkdir()
    shutil.copy(ROOT / "reference" / "variational_inference.py", tmp_path / "reference")
    return tmp_path / "assignments" / "vi"


def _plan_in_a_new_process(folder: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PLAN, str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_a_second_command_takes_the_answers_from_the_cache_and_never_runs_the_oracles(
    cache, sheet, monkeypatch
):
    first = _plan_in_a_new_process(sheet)
    second = _plan_in_a_new_process(sheet)
    assert first["ran"] is True and second["ran"] is False
    assert second["expected"] == first["expected"]
    monkeypatch.setenv(CACHE_ENV, "off")  # the oracles run: the same answers, to the bit
    computed = GradingPlan.build(load_assignment(sheet))
    assert repr(sorted(computed.expected.items())) == first["expected"]
    (entry,) = cache.iterdir()
    assert cache.stat().st_mode & 0o777 == 0o700 and entry.stat().st_mode & 0o777 == 0o600


def test_what_the_answers_depend_on_changed_they_are_computed_again(cache, sheet):
    before = GradingPlan.build(load_assignment(sheet, defer_oracles=True)).expected["1a/entropy"]
    oracles = sheet.parents[1] / "reference" / "variational_inference.py"
    oracles.write_text(
        oracles.read_text() + "\n_entropy = entropy\n\n\ndef entropy(p):\n"
        "    return _entropy(p) + 1.0\n"
    )
    after = GradingPlan.build(load_assignment(sheet, defer_oracles=True)).expected["1a/entropy"]
    assert after == tuple(value + 1.0 for value in before)
    assert len(list(cache.iterdir())) == 2


@pytest.mark.parametrize("change", ["helper", "data", "package", "frozen"])
def test_every_input_of_the_answers_is_in_the_key(sheet, change, monkeypatch):
    assignment = load_assignment(sheet, defer_oracles=True)
    oracles, data = assignment.oracles_file, sheet / "weights.csv"
    assert oracles is not None
    data.write_text("1,2\n")
    key = answers_key(assignment.spec_hash, "frozen", oracles, (data,))
    frozen = "frozen"
    if change == "helper":  # a module beside the oracles, which they may import
        (oracles.parent / "helpers.py").write_text("SCALE = 2\n")
    elif change == "data":
        data.write_text("1,3\n")
    elif change == "package":  # NumPy or SciPy upgraded
        real = _answer_cache._version
        monkeypatch.setattr(_answer_cache, "_version", lambda top: real(top) + ".post1")
    else:
        frozen = "frozen again"
    assert answers_key(assignment.spec_hash, frozen, oracles, (data,)) != key


def test_an_entry_that_cannot_be_used_is_computed_again_and_replaced(cache, sheet):
    computed = GradingPlan.build(load_assignment(sheet, defer_oracles=True)).expected
    (entry,) = cache.iterdir()
    for broken in (b"{not json", b'{"key": "another", "answers": {}}', b"[]"):
        entry.write_bytes(broken)
        again = GradingPlan.build(load_assignment(sheet, defer_oracles=True)).expected
        assert again == computed
        assert json.loads(entry.read_text())["answers"]["1a/entropy"] == list(
            computed["1a/entropy"]
        )


def test_answers_json_would_not_give_back_exactly_are_never_kept(cache):
    store = AnswerCache(cache)
    assert not store.put("a", {"check": ((1.0, 2.0),)})  # a tuple comes back a list
    assert not store.put("b", {"check": ({1: 2.0},)})  # an integer key comes back a string
    assert store.put("c", {"check": ([1.0, float("nan"), -0.0], {"x": 1.5})})
    assert store.get("c") is not None and repr(store.get("c")) == repr(
        {"check": ([1.0, float("nan"), -0.0], {"x": 1.5})}
    )
    assert sorted(p.name for p in cache.iterdir()) == ["c.json"]


def test_no_cache_where_it_is_turned_off_or_a_kernel_could_read_it(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, "off")
    assert AnswerCache.here() is None
    monkeypatch.setenv(CACHE_ENV, str(Path(sys.prefix) / "grader-cache"))  # bound into kernels
    assert AnswerCache.here() is None
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert AnswerCache.here() == AnswerCache(tmp_path / "answers")
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert AnswerCache.here() == AnswerCache(tmp_path / "xdg" / "grader" / "answers")


def test_deferred_oracles_that_fail_are_one_clear_error_before_any_grading(cache, sheet):
    oracles = sheet.parents[1] / "reference" / "variational_inference.py"
    oracles.write_text("raise RuntimeError('oops')\n")
    assignment = load_assignment(sheet, defer_oracles=True)  # not run yet
    with pytest.raises(SpecError, match="failed to import"):
        GradingPlan.build(assignment)
    oracles.write_text("def entropy(p):\n    return 0.0\n")
    with pytest.raises(SpecError, match="no function 'cross_entropy'"):
        GradingPlan.build(load_assignment(sheet, defer_oracles=True))
    run = run_grader("grade", sheet, sheet / "solution.ipynb", "--out", sheet.parent / "out")
    assert run.returncode == 2
    assert "Error:" in run.stderr and "no function 'cross_entropy'" in run.stderr
    assert "Traceback" not in run.stderr
    assert not list(cache.glob("*.json"))
