"""Samplers graded statistically, in standard errors that shrink as ``samples`` grows, and a
regrade that never moves (issue 27, item 2).

A small sheet (tests/files/sheet_stats) is assigned, frozen and graded for real, in kernels:
a sampler from the global generators, one given a seed, one given a ``numpy.random.Generator``,
each correct but drawing differently from the reference, 17% off in its second moment, or
drawing from generators made without a seed.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.assignment._answers import moments
from grader.assignment._frozen import freeze
from grader.assignment._plan import GradingPlan
from grader.assignment._source import assign
from grader.assignment._spec import check_spec, load_assignment
from grader.errors import SpecError
from grader.grading._notebook import grade_notebook
from grader.grading._statistics import judge_samples
from grader.kernel._protocol import Outcome
from grader.report._render_text import PLAIN, check_line
from grader.results._context import NO_OPTIONS
from tests.conftest import FILES

SHEET = FILES / "sheet_stats"
DRAW = "    return float(np.random.normal(mu, sigma))"
SEEDED = "    return float(np.random.default_rng(seed).normal(mu, sigma))"
RNG = "    return float(rng.normal(mu, sigma))"
#: The second moment 17% too large: the scale times sqrt(1.17).
BIAS = "math.sqrt(1.17)"
#: A generator made once, at the notebook's top level, without a seed.
TOP = "\n\n\n_TOP = np.random.default_rng()"
CHANGES = {
    "solution": {},
    # Correct, but not the reference's draws: other generators, or the same one used otherwise.
    "other_draws": {
        DRAW: "    return mu + sigma * random.gauss(0.0, 1.0)",
        SEEDED: "    return random.Random(seed).gauss(mu, sigma)",
        RNG: "    return float(mu + sigma * rng.standard_normal(3)[2])",
    },
    "biased": {
        DRAW: f"    return mu + sigma * {BIAS} * random.gauss(0.0, 1.0)",
        SEEDED: f"    return random.Random(seed).gauss(mu, sigma * {BIAS})",
        RNG: f"    return float(mu + sigma * {BIAS} * rng.standard_normal(3)[2])",
    },
    # Generators made without a seed: in the function, and once at the notebook's top level.
    "unseeded": {
        DRAW: "    return float(np.random.default_rng().normal(mu, sigma))",
        SEEDED: "    return random.Random().gauss(mu, sigma)",
        RNG: f"    return float(_TOP.normal(mu, sigma)){TOP}",
    },
    # As unseeded, but off: the letter quotes its statistics, which must not move either.
    "unseeded_biased": {
        DRAW: f"    return float(np.random.default_rng().normal(mu, sigma * {BIAS}))",
        SEEDED: f"    return random.Random().gauss(mu, sigma * {BIAS})",
        RNG: f"    return float(_TOP.normal(mu, sigma * {BIAS})){TOP}",
    },
}


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sheet") / "sheet_stats"
    shutil.copytree(SHEET, folder)
    assign(folder)
    freeze(load_assignment(folder))
    return folder


@pytest.fixture(scope="module")
def plan(sheet: Path) -> GradingPlan:
    return GradingPlan.build(load_assignment(sheet))


@pytest.fixture(scope="module")
def notebooks(sheet: Path) -> dict[str, Path]:
    made = {}
    for name, changes in CHANGES.items():
        nb = nbformat.read(sheet / "solution.ipynb", as_version=4)
        nb.cells[1].source = "import math\nimport random\n\nimport numpy as np"
        for old, new in changes.items():
            assert any(old in cell.source for cell in nb.cells), old
            for cell in nb.cells:
                cell.source = cell.source.replace(old, new)
        path = sheet.parent / f"{name}.ipynb"
        nbformat.write(nb, path)
        made[name] = path
    return made


def _marks(result) -> dict[str, float]:
    return {c.label: c.earned for q in result.questions for c in q.checks}


def _for_comparison(result):
    """A result without what is measured (seconds, memory): what must not move on a regrade."""
    return [replace(q) for q in result.questions]


def test_a_correct_sampler_keeps_every_mark_on_every_regrade(plan, notebooks):
    for name in ("solution", "other_draws"):
        first, second = (grade_notebook(plan, notebooks[name]) for _ in range(2))
        assert first.total == second.total == 4, (name, _marks(first))
        assert _for_comparison(first) == _for_comparison(second)


def test_a_second_moment_17_percent_off_loses_its_marks(plan, notebooks):
    result = grade_notebook(plan, notebooks["biased"])
    marks = _marks(result)
    # Judged in standard errors, every one of the three samplers fails ...
    assert marks == {"draw": 0.0, "draw#loose": 1.0, "draw_seeded": 0.0, "draw_rng": 0.0}
    # ... on the spread pooled over the inputs: 1.35 standard errors on each, about 9.5 on all.
    check = result.questions[0].checks[0]
    mismatch = check.reason.mismatch
    assert mismatch.statistic == "std" and "pooled over all 49 inputs" in mismatch.message
    line = check_line(check, NO_OPTIONS, PLAIN)
    assert "over 300 seeded calls: the standard deviation of its answers is" in line, line
    assert "standard errors above the reference's (pooled over all 49 inputs)" in line, line


def test_generators_made_without_a_seed_give_the_same_marks_on_every_regrade(plan, notebooks):
    for name in ("unseeded", "unseeded_biased"):
        first, second = (grade_notebook(plan, notebooks[name]) for _ in range(2))
        assert _for_comparison(first) == _for_comparison(second), name
    assert grade_notebook(plan, notebooks["unseeded"]).total == 4
    failed = _marks(grade_notebook(plan, notebooks["unseeded_biased"]))
    assert failed["draw"] == failed["draw_seeded"] == failed["draw_rng"] == 0.0


def test_the_reference_is_given_the_seed_and_a_generator_built_from_it(plan):
    """The solution draws exactly as the reference: its moments are the reference's."""
    expected = plan.expected["3/draw_rng"][0]
    assert set(expected) == {"mean", "std", "m4"}  # spread_se needs the fourth moment
    assert set(plan.expected["1/draw#loose"][0]) == {"mean", "std"}  # as before


def _check(plan: GradingPlan, key: str):
    return next(c for c in plan.assignment.checks if c.key == key)


def _groups(values: np.ndarray) -> list[list[Outcome]]:
    return [[Outcome("value", value=float(v)) for v in row] for row in values]


def test_the_tolerance_tightens_as_samples_grow(plan):
    """A spread 5% off passes over 300 samples, fails over 30,000: in standard errors."""
    check = _check(plan, "1/draw")
    rng = np.random.default_rng(1)
    for samples, passes in ((300, True), (30_000, False)):
        sized = replace(check, samples=samples)
        reference = rng.normal(0, 1, size=(3, samples))
        student = rng.normal(0, 1.05, size=(3, samples))
        expected = [moments(list(row), fourth=True) for row in reference]
        verdicts = judge_samples(sized, _groups(student), expected)
        assert all(why is None for _, why in verdicts) is passes, samples


def test_one_input_far_off_fails_alone_and_the_others_pass(plan):
    check = _check(plan, "1/draw")
    rng = np.random.default_rng(2)
    reference = rng.normal(0, 1, size=(4, 300))
    student = rng.normal(0, 1, size=(4, 300))
    student[2] += 1.0  # the mean of one input: about 12 standard errors off
    expected = [moments(list(row), fourth=True) for row in reference]
    verdicts = judge_samples(check, _groups(student), expected)
    assert [why is None for _, why in verdicts] == [True, True, False, True]
    why = verdicts[2][1]
    assert why.statistic == "mean" and "pooled" not in why.message
    assert math.isclose(verdicts[2][0].value, float(np.mean(student[2])))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("location_se = 0", "location_se must be a number > 0"),
        ('spread_se = "5"', "spread_se must be a number > 0"),
        ("location_se = 5", "location_se compares samples: it needs samples >= 2"),
    ],
)
def test_bad_standard_error_keys_are_refused(sheet, tmp_path, extra, message):
    folder = tmp_path / "sheet_stats"
    shutil.copytree(sheet, folder)
    spec = folder / "spec.toml"
    text = spec.read_text().replace("  samples = 300\n  location_se = 5\n  spread_se = 5\n", "", 1)
    spec.write_text(text.replace("  stochastic = true\n", f"  stochastic = true\n  {extra}\n", 1))
    with pytest.raises(SpecError, match=message):
        check_spec(folder)


def test_a_seed_parameter_with_stochastic_false_is_refused(sheet, tmp_path):
    folder = tmp_path / "sheet_stats"
    shutil.copytree(sheet, folder)
    spec = folder / "spec.toml"
    old = '  params = { mu = "float", sigma = "float", seed = "seed" }\n'
    spec.write_text(spec.read_text().replace(old, old + "  stochastic = false\n"))
    with pytest.raises(SpecError, match="a seed or generator parameter needs stochastic"):
        check_spec(folder)


_ENTROPY = """
import sys, types
from pathlib import Path
driver = types.ModuleType("driver")
exec(Path(sys.argv[1]).read_text(), driver.__dict__)
driver.seed_kernel(5)  # as before the cells
import random
import numpy as np
top = np.random.default_rng()  # as a notebook's top level makes one, before any call
drawn = [np.random.random(), random.random(), top.random(), random.Random().random()]
np.random.seed()
random.seed()
drawn += [np.random.random(), random.random()]
driver._seed(7)  # a seeded call: generators made inside it follow the call's seed
drawn += [np.random.default_rng().random(), np.random.RandomState().random()]
print(drawn)
"""


def test_generators_made_without_a_seed_draw_the_same_numbers_in_every_kernel():
    """In fresh interpreters, numpy not yet loaded (a cold kernel): the same numbers twice."""
    import subprocess
    import sys

    from grader.kernel import _driver

    runs = [
        subprocess.run(
            [sys.executable, "-c", _ENTROPY, _driver.__file__],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and runs[0].startswith("[")
