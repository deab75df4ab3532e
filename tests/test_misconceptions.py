"""The misconception catalogue: each mistake is named on a real notebook that makes it, on the
right function, and never on the solution or on other mistakes; adding or editing the catalogue
leaves the frozen inputs and their hash as they were."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from grader import GradingPlan, grade_batch, grade_notebook, load_assignment
from grader.assignment._frozen import freeze, inputs_hash, load_frozen
from grader.assignment._misconceptions import without_catalogue
from grader.assignment._scaffold import scaffold
from grader.assignment._source import assign
from grader.errors import SpecError
from grader.grading._validate import validate
from tests.conftest import ASSIGNMENT, EXAMPLES, FILES, ROOT

#: Notebook -> {function that fails: the misconception named}; every other function passes.
NAMED = {
    FILES / "misconception_log2.ipynb": {
        "entropy": "entropy_log2",
        "cross_entropy": "cross_entropy_log2",
        "kl_divergence": "kl_log2",
        "kl_to_factorized": "kl_to_factorized_log2",
    },
    # Public implementations' styles: 0.5 * (log(v2/v1) + ...) with sigma for v, and eps.
    FILES / "misconception_sigma_as_variance.ipynb": {
        "kl_gaussian": "kl_gaussian_sigma_as_variance",
        "kl_gaussian_same_mean": "kl_gaussian_same_mean_sigma_as_variance",
        "kl_gaussian_same_variance": "kl_gaussian_same_variance_sigma_as_variance",
    },
    FILES / "misconception_eps_clipped.ipynb": {
        "cross_entropy": "cross_entropy_eps",
        "kl_divergence": "kl_eps",
        "kl_to_factorized": "kl_to_factorized_eps",
    },
    FILES / "misconception_nan_at_zero.ipynb": {
        "entropy": "entropy_nan_at_zero",
        "cross_entropy": "cross_entropy_nan_at_zero",
        "kl_divergence": "kl_nan_at_zero",
        "kl_to_factorized": "kl_to_factorized_nan_at_zero",
    },
    # Loops with math.log: the first zero raises, with the variant's exception and message.
    FILES / "misconception_log_of_zero.ipynb": {
        "entropy": "entropy_log_of_zero",
        "cross_entropy": "cross_entropy_log_of_zero",
        "kl_divergence": "kl_log_of_zero",
    },
    FILES / "misconception_kl_reversed.ipynb": {
        "kl_divergence": "kl_reversed",
        "kl_gaussian": "kl_gaussian_reversed",
        "kl_gaussian_same_mean": "kl_gaussian_same_mean_reversed",
        "kl_to_factorized": "kl_to_factorized_reversed",
    },
    FILES / "misconception_wrong_axis.ipynb": {"optimal_factor": "optimal_factor_wrong_axis"},
    # The example submissions' seeded bugs, written in other styles.
    EXAMPLES / "dave_log2.ipynb": {
        "entropy": "entropy_log2",
        "cross_entropy": "cross_entropy_log2",
        "kl_divergence": "kl_log2",
    },
    EXAMPLES / "erin_variance_bug.ipynb": {
        "kl_gaussian": "kl_gaussian_sigma_as_variance",
        "kl_gaussian_same_mean": "kl_gaussian_same_mean_sigma_as_variance",
        "kl_gaussian_same_variance": "kl_gaussian_same_variance_sigma_as_variance",
    },
    EXAMPLES / "frank_wrong_axis.ipynb": {"optimal_factor": "optimal_factor_wrong_axis"},
    EXAMPLES / "grace_zero_terms.ipynb": {
        "entropy": "entropy_nan_at_zero",
        "cross_entropy": "cross_entropy_nan_at_zero",
        "kl_divergence": "kl_nan_at_zero",
    },
}

_EVERY_FUNCTION = (
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "kl_gaussian",
    "kl_gaussian_same_mean",
    "kl_gaussian_same_variance",
    "optimal_factor",
    "kl_to_factorized",
)

#: Wrong in ways the catalogue does not hold, unfinished, or right: nothing may be named.
UNNAMED = {
    FILES / "misconception_none.ipynb": dict.fromkeys(_EVERY_FUNCTION),
    FILES / "misconception_two_at_once.ipynb": {"entropy": None},
    FILES / "broken_returns_none.ipynb": {"entropy": None},
    FILES / "broken_wrong_shape.ipynb": {"optimal_factor": None},
    EXAMPLES / "heidi_syntax_error.ipynb": {"kl_gaussian": None},
    EXAMPLES / "ivan_unfinished.ipynb": dict.fromkeys(_EVERY_FUNCTION[3:]),
    ASSIGNMENT / "solution.ipynb": {},
    EXAMPLES / "bob_loops.ipynb": {},
}


def _failing(plan: GradingPlan, path: Path) -> dict[str, str | None]:
    result = grade_notebook(plan, path)
    checks = [c for q in result.questions for c in q.checks]
    return {c.function: c.misconception for c in checks if c.status != "ok"}


@pytest.mark.parametrize("path", list(NAMED), ids=lambda p: p.stem)
def test_a_notebook_with_a_misconception_gets_it_named_on_the_right_function(plan, path):
    assert _failing(plan, path) == NAMED[path]


@pytest.mark.parametrize("path", list(UNNAMED), ids=lambda p: p.stem)
def test_other_mistakes_and_right_answers_get_no_misconception(plan, path):
    assert _failing(plan, path) == UNNAMED[path]


def test_every_misconception_of_the_sheet_is_recognised_on_a_notebook(assignment):
    named = {key for expected in NAMED.values() for key in expected.values()}
    assert named == set(assignment.misconceptions)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    shutil.copytree(ASSIGNMENT, tmp_path / "assignments" / "variational_inference")
    return tmp_path / "assignments" / "variational_inference"


def _strip_catalogue(text: str) -> str:
    """checks.py as it was before it had a catalogue."""
    text = text.replace("import grader\n", "", 1)
    return text[: text.index("# Misconceptions:")].rstrip("\n") + "\n"


def test_the_catalogue_leaves_the_frozen_inputs_and_their_hash_unchanged(copy, assignment):
    frozen = (copy / "frozen.json").read_bytes()
    with_catalogue = inputs_hash(assignment)
    checks = copy / "checks.py"
    checks.write_text(_strip_catalogue(checks.read_text()))
    bare = load_assignment(copy, oracles=False)
    assert not bare.misconceptions
    assert inputs_hash(bare) == with_catalogue
    assert load_frozen(bare).cases == load_frozen(assignment).cases
    assert (copy / "frozen.json").read_bytes() == frozen


def test_editing_the_catalogue_needs_no_freeze_but_editing_the_inputs_does(copy, assignment):
    checks = copy / "checks.py"
    text = checks.read_text()
    text = text.replace(
        "import numpy as np\nfrom hypothesis import strategies as st\n",
        "import numpy as np\nfrom hypothesis import strategies as st\nfrom scipy import special\n",
    )
    text += (
        "\n\n# An added mistake.\ndef _xlogy(p, q):\n    return -float(special.xlogy(p, q).sum())\n"
        '\n\nMISCONCEPTIONS["sign"] = grader.Misconception("cross_entropy", "flips", _xlogy)\n'
    )
    words = assignment.misconceptions["entropy_log2"].describe
    assert words in text
    text = text.replace(words, "takes logarithms in base 2")
    checks.write_text(text)
    edited = load_assignment(copy, oracles=False)
    assert "sign" in edited.misconceptions
    assert edited.misconceptions["entropy_log2"].describe == "takes logarithms in base 2"
    assert inputs_hash(edited) == inputs_hash(assignment)
    load_frozen(edited)  # not stale
    checks.write_text(
        text.replace("min_value=1e-3, max_value=1.0", "min_value=1e-2, max_value=1.0")
    )
    assert inputs_hash(load_assignment(copy, oracles=False)) != inputs_hash(assignment)


ORIGINAL = (
    b'"""Doc."""\n\nimport math\n\nfrom grader import Inputs\n\nA = math.pi\n\n\nB = Inputs\n'
)
WITH_CATALOGUE = [
    # at the end, under a heading, with its own imports in both sections
    b'"""Doc."""\n\nimport math\nimport numpy as np\n\nimport grader\nfrom grader import Inputs\n\n'
    b"A = math.pi\n\n\nB = Inputs\n\n\n# Mistakes.\n\n\n@np.vectorize\ndef _v(x):\n"
    b'    return x\n\n\nMISCONCEPTIONS = {"k": grader.Misconception("f", "d", _v)}\n',
    # in the middle, the catalogue's constants on adjacent lines
    b'"""Doc."""\n\nimport math\n\nfrom grader import Inputs\n\nA = math.pi\n\n\n'
    b'_D = "d"\n_E = _D\n\n\n# The catalogue.\nMISCONCEPTIONS = {"k": (_E, abs)}\n\n\nB = Inputs\n',
]


@pytest.mark.parametrize("source", WITH_CATALOGUE)
def test_the_hashed_text_is_the_file_as_it_was_before_its_catalogue(source):
    assert without_catalogue(source) == ORIGINAL
    assert without_catalogue(ORIGINAL) == ORIGINAL


def test_a_catalogue_line_shared_with_other_code_counts_for_the_hash():
    source = b"import grader\nA = 1; MISCONCEPTIONS = {}\n"
    assert without_catalogue(source) == source
    assert without_catalogue(b"A = 1\n\n\nMISCONCEPTIONS = {}\n") == b"A = 1\n"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('grader.Misconception("entropyy", "x", abs)', "'entropyy' is not a function any check"),
        ('("entropy", "x", abs)', "must be a grader.Misconception, got tuple"),
        ('grader.Misconception("entropy", " ", abs)', "describe must say in words"),
        ('grader.Misconception("entropy", "x", 3)', "variant must be a function"),
    ],
)
def test_a_bad_catalogue_entry_is_refused_when_the_spec_loads(copy, entry, message):
    checks = copy / "checks.py"
    checks.write_text(checks.read_text() + f'\nMISCONCEPTIONS["bad"] = {entry}\n')
    with pytest.raises(SpecError, match=re.escape(message)) as caught:
        load_assignment(copy)
    assert "MISCONCEPTIONS['bad']" in str(caught.value)


def _python_block(section: str) -> str:
    text = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    part = text[text.index(f"## {section}") :]
    return re.search(r"^```python\n(.*?)^```", part, flags=re.S | re.M).group(1)


def test_the_documented_example_names_its_mistake_and_keeps_the_frozen_inputs(tmp_path):
    scaffold("demo", tmp_path)
    folder = tmp_path / "assignments" / "demo"
    assign(folder)
    freeze(load_assignment(folder))
    frozen = (folder / "frozen.json").read_bytes()
    before = inputs_hash(load_assignment(folder))
    checks = folder / "checks.py"
    checks.write_text(checks.read_text() + "\n\n" + _python_block("Misconceptions"))
    demo = load_assignment(folder)
    assert inputs_hash(demo) == before and (folder / "frozen.json").read_bytes() == frozen
    nb = nbformat.read(folder / "solution.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "mean")
    cell.source = "def mean(x):\n    return sum(x) / (len(x) - 1)\n"
    path = tmp_path / "n_minus_1.ipynb"
    nbformat.write(nb, path)
    # centre calls the student's mean, so it fails too: no catalogued mistake of its own
    assert _failing(GradingPlan.build(demo), path) == {"mean": "mean_n_minus_1", "centre": None}


def test_validate_names_a_misconception_no_student_could_be_told(copy):
    checks = copy / "checks.py"
    checks.write_text(
        checks.read_text()
        + '\nMISCONCEPTIONS["same"] = grader.Misconception(\n'
        + '    "entropy", "computes it", lambda p: -_kl(p, np.ones_like(p))\n'
        + ")\n"
    )
    problems = validate(load_assignment(copy))
    assert problems == [
        "MISCONCEPTIONS['same'] gives the reference's answer on every frozen input of entropy, "
        "so no student can be told it"
    ]


def test_a_batch_stores_and_shows_the_misconception_never_the_expected_value(tmp_path, assignment):
    handins = tmp_path / "handins"
    handins.mkdir()
    shutil.copy(FILES / "misconception_sigma_as_variance.ipynb", handins / "erin.ipynb")
    out = tmp_path / "out"
    grade_batch(assignment, [handins], out, workers=1)
    checks = pd.read_csv(out / "checks.csv").set_index("function")
    assert checks.loc["kl_gaussian", "misconception"] == "kl_gaussian_sigma_as_variance"
    assert checks["misconception"].notna().sum() == 3
    letter = (out / "feedback" / "erin.md").read_text(encoding="utf-8")
    assert (
        "This looks like a known mistake: the code uses sigma as if it were the variance" in letter
    )
    # kl_gaussian(mu1=0.0, sigma1=2.0, mu2=0.0, sigma2=1.0) is 0.8068528194400547: hidden
    assert "0.80685" not in letter
