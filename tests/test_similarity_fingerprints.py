"""Similarity at the level of fingerprints (no kernels): what a disguise changes, what the
template and the class's common formulas contribute, and which pairs are flagged."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pandas as pd

from grader.results._folder import OutputFolder
from grader.similarity._documents import document, template_of
from grader.similarity._pairs import Settings
from grader.similarity._run import Findings, find, write_csvs
from grader.similarity._tokens import code_units, normalise
from grader.similarity._winnow import code_prints, winnow
from tests.conftest import ASSIGNMENT, EXAMPLES, FILES


def cells_of(path: Path) -> list[dict[str, str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    kinds = ("code", "markdown")
    return [
        {"type": c["cell_type"], "source": "".join(c["source"])}
        for c in nb["cells"]
        if c["cell_type"] in kinds
    ]


TEMPLATE_CELLS = cells_of(ASSIGNMENT / "student.ipynb")
TEMPLATE = template_of(TEMPLATE_CELLS)


def compare(named: dict[str, list[dict[str, str]]], **settings: object) -> Findings:
    docs = [document(name, cells, TEMPLATE) for name, cells in sorted(named.items())]
    return find(docs, Settings(**settings))  # type: ignore[arg-type]


def flagged(findings: Findings) -> set[tuple[str, str]]:
    return {(p.a.name, p.b.name) for p in findings.pairs}


def examples(*names: str) -> dict[str, list[dict[str, str]]]:
    return {name: cells_of(EXAMPLES / f"{name}.ipynb") for name in names}


STYLES = ("alice_numpy", "bob_loops", "carol_scipy")


def test_names_literals_comments_and_layout_do_not_change_the_tokens():
    one = normalise("def f(a, b):\n    x = np.log(a) + 1.5  # the log\n    return x * b\n", set())
    two = normalise(
        "def g(p,q):\n\n    # another comment\n    val=np.log( p )+2\n    return val*q\n", set()
    )
    assert one[0] == two[0]
    assert "log" in one[0] and "np" not in one[0]  # attribute names stay, other names are V
    other = normalise("def f(a, b):\n    x = np.exp(a) + 1.5\n    return x * b\n", set())
    assert other[0] != one[0]


def test_reordering_functions_keeps_every_fingerprint():
    first = "def f(a):\n    return np.sum(a * np.log(a)) / len(a) + 1\n"
    second = "def g(b, c):\n    out = []\n    for x in b:\n        out.append(x**2 - c)\n"
    second += "    return out\n"
    forward = {p.hash for p in code_prints(code_units([first, second], frozenset()))}
    backward = {p.hash for p in code_prints(code_units([second + "\n" + first], frozenset()))}
    assert forward == backward and len(forward) >= 3


def test_winnowing_keeps_the_rightmost_minimum_of_each_window():
    assert winnow([5, 3, 7, 3, 9, 8, 1], 3) == [1, 3, 6]
    assert winnow([], 4) == [] and winnow([2, 1], 4) == [1]


def test_a_renamed_commented_reordered_copy_is_flagged_against_its_source():
    named = examples(*STYLES)
    named["copy"] = cells_of(FILES / "similar_disguised_copy_of_alice.ipynb")
    findings = compare(named)
    assert flagged(findings) == {("alice_numpy", "copy")}
    pair = findings.pairs[0]
    assert pair.a.share == 1.0 and pair.b.share > 0.9
    assert {name for name, share, _ in pair.b.functions if share == 1.0} >= {
        "entropy",
        "kl_divergence",
        "kl_to_factorized",
    }


def test_one_distinctive_function_copied_is_flagged_on_that_function():
    named = examples(*STYLES)
    named["copy"] = cells_of(FILES / "similar_one_function_of_bob.ipynb")
    findings = compare(named)
    assert flagged(findings) == {("bob_loops", "copy")}
    pair = findings.pairs[0]
    assert pair.score < Settings().threshold  # the notebooks are mostly different...
    assert set(pair.flagged_on) == {"bob_loops:kl_to_factorized", "copy:kl_to_factorized"}
    copied = {name for name, share, hits in pair.b.functions if hits > 1}
    assert copied == {"kl_to_factorized"}  # ...but that function is the same


def test_independent_solutions_in_three_styles_are_not_flagged():
    findings = compare(examples(*STYLES))
    assert findings.pairs == []
    loose = compare(examples(*STYLES), min_matches=1, threshold=0.05)
    assert max((p.score for p in loose.pairs), default=0.0) < 0.15  # far below the threshold


def test_the_template_alone_is_not_flagged():
    template = document("template", TEMPLATE_CELLS, TEMPLATE)
    assert len(template.code) == 0 and len(template.text) == 0
    named = {"unchanged_1": TEMPLATE_CELLS, "unchanged_2": TEMPLATE_CELLS, **examples(*STYLES)}
    loose = compare(named, min_matches=1, threshold=0.05)
    assert [p for p in loose.pairs if "unchanged" in p.a.name + p.b.name] == []


def test_prose_answers_are_compared_as_text_and_the_templates_prose_is_not():
    answer = (
        "The divergence is asymmetric because the expectation is taken under p only, so "
        "regions where q puts little mass but p puts a lot are penalised heavily, while the "
        "reverse costs almost nothing at all."
    )
    reworded = answer.upper().replace(",", " ;") + "\n\nI checked it numerically."
    # The examples' own written answers are left out: only the answers below are to match.
    template_prose = {c["source"] for c in TEMPLATE_CELLS if c["type"] == "markdown"}
    alice, bob = (
        [c for c in cells if c["type"] == "code" or c["source"] in template_prose]
        for cells in examples("alice_numpy", "bob_loops").values()
    )
    named = {
        "alice": [*alice, {"type": "markdown", "source": answer}],
        "bob": [*bob, {"type": "markdown", "source": reworded}],
        "carol": examples("carol_scipy")["carol_scipy"],
    }
    findings = compare(named)
    assert flagged(findings) == {("alice", "bob")}
    assert findings.pairs[0].text_a == 1.0 and findings.pairs[0].a.share < 0.2


# -- a generated class of 30 ----------------------------------------------------------------------
#: The one-line formulas nearly everyone writes the same way.
NATURAL = {
    "kl_gaussian": "np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2)",
    "kl_gaussian_same_mean": "np.log(sigma2 / sigma1) + sigma1**2 / (2 * sigma2**2) - 0.5",
    "kl_gaussian_same_variance": "(mu1 - mu2) ** 2 / (2 * sigma**2)",
    "entropy": "-np.sum(p[p > 0] * np.log(p[p > 0]))",
    "kl_divergence": "np.sum(p[p > 0] * np.log(p[p > 0] / q[p > 0]))",
}
SIGNATURES = {
    "kl_gaussian": "mu1, sigma1, mu2, sigma2",
    "kl_gaussian_same_mean": "sigma1, sigma2",
    "kl_gaussian_same_variance": "mu1, mu2, sigma",
    "entropy": "p",
    "kl_divergence": "p, q",
}


def _expression(rng: random.Random, depth: int) -> str:
    if depth == 0:
        return rng.choice(["a", "b", "c", str(rng.randint(1, 9))])
    if rng.random() < 0.35:
        call = rng.choice(["np.log", "np.exp", "np.sqrt", "np.abs", "np.tanh", "math.log1p"])
        return f"{call}({_expression(rng, depth - 1)})"
    op = rng.choice(["+", "-", "*", "/", "**"])
    return f"({_expression(rng, depth - 1)} {op} {_expression(rng, depth - 1)})"


def _own_function(rng: random.Random, name: str) -> str:
    """A helper only this student writes: random statements, so its fingerprints are its own."""
    lines = [f"def {name}(a, b):", f"    c = {_expression(rng, 3)}"]
    for _ in range(3):
        lines.append(f"    {rng.choice('abc')} = {_expression(rng, 3)}")
    return "\n".join([*lines, "    return c", ""])


def _student(number: int, natural: bool) -> list[dict[str, str]]:
    rng = random.Random(number)
    cells = [{"type": "code", "source": "import math\nimport numpy as np"}]
    if natural:
        for name, body in NATURAL.items():
            source = f"def {name}({SIGNATURES[name]}):\n    return {body}\n"
            cells.append({"type": "code", "source": source})
    cells.append({"type": "code", "source": _own_function(rng, f"helper_{number}")})
    return cells


def _renamed(cells: list[dict[str, str]]) -> list[dict[str, str]]:
    def rename(source: str) -> str:
        return re.sub(r"(?<![.\w])([abc])(?!\w)", r"\1_renamed", source)

    return [{"type": c["type"], "source": rename(c["source"])} for c in cells]


def test_a_class_of_thirty_sharing_natural_formulas_is_not_flagged_thanks_to_the_cutoff():
    """24 of 30 write the five short formulas alike; student 29 copied student 3 (renamed)."""
    named = {f"s{n:02d}": _student(n, natural=n < 24) for n in range(29)}
    named["s29"] = _renamed(named["s03"])
    without = compare(named, threshold=0.3, common_min=10**6)
    assert len(without.pairs) >= 24 * 23 // 2  # every pair of natural writers looks alike
    findings = compare(named, threshold=0.3)
    assert findings.cutoff == 10 and len(findings.common) >= 5
    assert flagged(findings) == {("s03", "s29")}
    assert findings.pairs[0].a.share == 1.0  # only the helper counts, and it is all copied


def test_three_copies_of_one_notebook_form_a_cluster(tmp_path):
    copy = cells_of(FILES / "similar_disguised_copy_of_alice.ipynb")
    named = {**examples(*STYLES), "copy_1": copy, "copy_2": copy}
    findings = compare(named)
    assert findings.clusters == [["alice_numpy", "copy_1", "copy_2"]]
    write_csvs(OutputFolder(tmp_path), findings)
    clusters = pd.read_csv(tmp_path / "similarity-clusters.csv")
    assert clusters.to_dict("records") == [
        {"cluster": 1, "size": 3, "submissions": "alice_numpy copy_1 copy_2"}
    ]
    assert len(pd.read_csv(tmp_path / "similarity.csv")) == 3


def test_magics_are_skipped_and_a_cell_that_does_not_tokenize_keeps_what_came_before():
    code = "%timeit f(1)\n!ls\ndef f(a):\n    total = np.sum(a) * 2\n    return total\n"
    units = code_units([code], frozenset())
    assert [u.name for u in units] == ["f"]
    assert units[0].lines[0] == 2  # lines count from the cell's top, magics included
    broken = "def g(a):\n    b = np.log(a) + 1\n    s = 'never closed\n    return b\n"
    tokens, _ = normalise(broken, frozenset())
    start = ("def", "V", "(", "V", ")", ":", ";", "{", "V", "=", "V", ".", "log", "(", "V", ")")
    assert tokens[: len(start)] == start


def test_a_function_whose_string_runs_at_column_zero_stays_one_unit():
    code = (
        'def f(a):\n    text = """\nsome words at column 0\n"""\n    return np.sum(a) + len(text)\n'
    )
    code += "\nx = f(np.ones(3))\n"
    units = code_units([code, "def g(:\n    pass\n"], frozenset())
    assert [(u.name, u.cell) for u in units] == [("(top level)", 0), ("f", 0), ("g", 1)]
    assert "sum" in units[1].tokens and "return" in units[1].tokens
