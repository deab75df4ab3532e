"""Similarity at the level of fingerprints (no kernels): what a disguise changes, what the
template, the reference solution and the class's common formulas contribute, which pairs are
flagged and in which band, on the examples and on the labelled set (tests/similarity_set.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from grader.results._folder import OutputFolder
from grader.similarity import _index
from grader.similarity._archive import open_archive
from grader.similarity._csv import write_csvs
from grader.similarity._documents import document, template_of
from grader.similarity._pairs import BANDS, LIKELY, LOOK, LOOK_FROM, Settings
from grader.similarity._run import Findings, find
from grader.similarity._tokens import code_units, normalise
from grader.similarity._winnow import code_prints, winnow
from tests.conftest import ASSIGNMENT, EXAMPLES, FILES
from tests.similarity_set import make_class


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
REFERENCE = template_of(TEMPLATE_CELLS, cells_of(ASSIGNMENT / "solution.ipynb"))


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
    assert pair.verdict == LIKELY and pair.score > 1.5 and pair.share(pair.a) > 0.9
    units = {f.unit_a for f in pair.code.fragments}
    assert units >= {"entropy", "kl_divergence", "kl_to_factorized"}
    assert all(f.holders == 2 for f in pair.code.fragments)  # nobody else holds them


def test_one_function_below_the_minimum_is_worth_a_look_not_a_likely_copy():
    """bob_loops' kl_to_factorized alone (84 weighed tokens) is below the 100 a likely copy
    needs; it is in the "look at it" band, and a lower --min-tokens flags it."""
    named = examples(*STYLES)
    named["copy"] = cells_of(FILES / "similar_one_function_of_bob.ipynb")
    assert compare(named).pairs == []
    looked = compare(named, show=BANDS[:2])
    assert flagged(looked) == {("bob_loops", "copy")} and looked.pairs[0].verdict == LOOK
    assert looked.pairs[0].code.fragments[0].unit_a == "kl_to_factorized"
    lower = compare(named, min_tokens=80)
    assert flagged(lower) == {("bob_loops", "copy")} and lower.pairs[0].verdict == LIKELY


def test_independent_solutions_in_three_styles_are_not_flagged():
    findings = compare(examples(*STYLES), show=BANDS)
    assert max((p.score for p in findings.pairs), default=0.0) < LOOK_FROM


def test_the_template_alone_is_not_flagged():
    template = document("template", TEMPLATE_CELLS, TEMPLATE)
    assert len(template.code.hashes) == 0 and len(template.text.hashes) == 0
    named = {"unchanged_1": TEMPLATE_CELLS, "unchanged_2": TEMPLATE_CELLS, **examples(*STYLES)}
    loose = compare(named, show=BANDS)
    assert [p for p in loose.pairs if "unchanged" in p.a.name + p.b.name] == []


def test_the_reference_solution_is_no_evidence():
    """Two students who both handed in the solution share only what the solution holds."""
    solution = cells_of(ASSIGNMENT / "solution.ipynb")
    named = {"one": solution, "two": solution, **examples(*STYLES)}
    assert flagged(compare(named)) == {("one", "two")}  # the solution not known: a copy
    docs = [document(name, cells, REFERENCE) for name, cells in sorted(named.items())]
    assert find(docs, Settings(show=BANDS)).pairs == []


def test_prose_answers_are_compared_as_text_and_the_sheets_sentences_are_not():
    answer = (
        "The divergence is asymmetric because the expectation is taken under p only, so "
        "regions where q puts little mass but p puts a lot are penalised heavily, while the "
        "reverse costs almost nothing at all."
    )
    reworded = answer.upper().replace(",", " ;") + "\n\nI checked it numerically."
    sheet = next(
        c["source"] for c in TEMPLATE_CELLS if "Gibbs" in c["source"] or "quantifies" in c["source"]
    )
    template_prose = {c["source"] for c in TEMPLATE_CELLS if c["type"] == "markdown"}
    alice, bob = (
        [c for c in cells if c["type"] == "code" or c["source"] in template_prose]
        for cells in examples("alice_numpy", "bob_loops").values()
    )
    quoting = [{"type": "markdown", "source": "As the sheet says:\n\n" + sheet}]
    named = {
        "alice": [*alice, {"type": "markdown", "source": answer}, *quoting],
        "bob": [*bob, {"type": "markdown", "source": reworded}],
        "carol": [*examples("carol_scipy")["carol_scipy"], *quoting],
    }
    findings = compare(named)
    assert flagged(findings) == {("alice", "bob")}  # alice and carol quote the sheet alike
    pair = findings.pairs[0]
    assert pair.text.evidence >= Settings().min_words and pair.code.evidence < 10


# -- the labelled set ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_labelled_set_every_copy_found_and_no_independent_pair_flagged(seed):
    """40 honest students of many styles (and many write the short formulas alike) and a copy
    of each disguise kind: every copy is a likely copy, no independent pair is."""
    named, copies = make_class(40, seed)
    docs = [document(name, cells, REFERENCE) for name, cells in sorted(named.items())]
    findings = find(docs, Settings(show=BANDS))
    likely = {(p.a.name, p.b.name) for p in findings.pairs if p.verdict == LIKELY}
    assert likely == copies
    kinds = {name.split("_")[1] for pair in copies for name in pair if name.startswith("copy_")}
    assert kinds == {"renamed", "reformatted", "reordered", "merged", "split", "one", "chain"} | {
        "prose"
    }
    honest = [p.score for p in findings.pairs if (p.a.name, p.b.name) not in copies]
    assert max(honest) < 0.8  # a margin below the likely band
    chain = [c for c in findings.clusters if any(n.startswith("copy_chain") for n in c)]
    assert len(chain) == 1 and len(chain[0]) == 3


def test_identical_short_formulas_in_two_honest_notebooks_are_never_evidence():
    """alice and bob write every Gaussian formula the same textbook way (with np, not the
    solution's math), and the same zero guard; in a class of three everything is rare, and
    still it is not worth a look."""
    formulas = {
        "kl_gaussian": "np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) "
        "/ (2 * sigma2**2) - 0.5",
        "kl_gaussian_same_mean": "np.log(sigma2 / sigma1) + sigma1**2 / (2 * sigma2**2) - 0.5",
        "kl_gaussian_same_variance": "(mu1 - mu2) ** 2 / (2 * sigma**2)",
    }
    named = examples(*STYLES)
    for name in ("alice_numpy", "bob_loops"):
        for cell in named[name]:
            head = cell["source"].split("(")[0].removeprefix("def ")
            if head in formulas:
                docstring = cell["source"].split('"""')
                body = f'"""\n    return {formulas[head]}\n'
                cell["source"] = '"""'.join(docstring[:2]) + body
    findings = compare(named, show=BANDS)
    pair = next(p for p in findings.pairs if {p.a.name, p.b.name} == {"alice_numpy", "bob_loops"})
    assert {f.unit_a for f in pair.code.fragments} <= set(formulas) and pair.score < 0.15


def test_earlier_notebooks_are_compared_with_the_class_only():
    named = examples(*STYLES)
    earlier_cells = cells_of(FILES / "similar_disguised_copy_of_alice.ipynb")
    docs = [document(name, cells, TEMPLATE) for name, cells in sorted(named.items())]
    earlier = [
        document("alice_2023", earlier_cells, TEMPLATE, origin="2023"),
        document("alice_again", earlier_cells, TEMPLATE, origin="2023"),
    ]
    findings = find(docs, Settings(), earlier)
    assert [(p.a.name, p.b.origin, p.b.name) for p in findings.pairs] == [
        ("alice_numpy", "2023", "alice_2023"),
        ("alice_numpy", "2023", "alice_again"),
    ]  # the two earlier notebooks are alike, and never compared with each other
    assert findings.earlier == 2 and findings.compared == 3


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
    pairs = pd.read_csv(tmp_path / "similarity.csv", keep_default_na=False)
    assert len(pairs) == 3 and set(pairs["verdict"]) == {LIKELY}
    assert "kl_to_factorized: " in pairs.loc[0, "fragments"]
    assert " in 3 of 5 notebooks" in pairs.loc[0, "fragments"]


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


def _write_notebook(path: Path, cells: list[dict[str, str]]) -> None:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": c["type"], "metadata": {}, "source": c["source"]} for c in cells],
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


def test_an_archive_is_fingerprinted_once_and_again_only_where_it_changed(tmp_path):
    year = tmp_path / "archive" / "2022"
    year.mkdir(parents=True)
    for name in STYLES:
        shutil.copy(EXAMPLES / f"{name}.ipynb", year / f"{name}.ipynb")
    index = tmp_path / "index.npz"
    first = open_archive(tmp_path / "archive", index, TEMPLATE)
    assert sorted((d.origin, d.name) for d in first.documents) == [("2022", n) for n in STYLES]
    saved = _index.load(index)
    assert len(saved) == 3
    stamp = index.stat().st_mtime_ns
    again = open_archive(tmp_path / "archive", index, TEMPLATE)
    assert index.stat().st_mtime_ns == stamp  # nothing new: read from the index alone
    for one, two in zip(first.documents, again.documents):
        assert one.name == two.name and (one.code.hashes == two.code.hashes).all()
    _write_notebook(year / "late.ipynb", cells_of(FILES / "similar_disguised_copy_of_alice.ipynb"))
    grown = open_archive(tmp_path / "archive", index, TEMPLATE)
    assert len(grown.documents) == 4 and len(_index.load(index)) == 4
    index.write_bytes(b"not an index")  # unreadable: rebuilt, never trusted
    assert len(open_archive(tmp_path / "archive", index, TEMPLATE).documents) == 4


def test_each_years_own_template_is_left_out_of_its_notebooks(tmp_path):
    """2021's template gave a helper; a 2021 notebook that kept it shares it with nobody."""
    helper = (
        "def helper(p, q):\n"
        + "".join(
            f"    t{n} = np.sum(p * np.log(p / q)) * {n} + np.max(q) - np.min(p)\n"
            for n in range(6)
        )
        + "    return t0\n"
    )
    given = [*TEMPLATE_CELLS, {"type": "code", "source": helper}]
    year = tmp_path / "archive" / "2021"
    year.mkdir(parents=True)
    _write_notebook(year / "template.ipynb", given)
    _write_notebook(year / "kept_it.ipynb", [*cells_of(EXAMPLES / "bob_loops.ipynb"), given[-1]])
    archive = open_archive(tmp_path / "archive", None, TEMPLATE)
    assert [d.name for d in archive.documents] == ["kept_it"]  # the template is not a notebook
    assert "helper" not in archive.documents[0].units
    assert (tmp_path / "archive" / "similarity-index.npz").is_file()
    mine = {**examples("alice_numpy", "carol_scipy")}
    mine["alice_numpy"] = [*mine["alice_numpy"], given[-1]]  # the class wrote it themselves
    docs = [document(name, cells, TEMPLATE) for name, cells in sorted(mine.items())]
    pairs = find(docs, Settings(show=BANDS), archive.documents).pairs
    assert not [p for p in pairs if any(f.unit_b == "helper" for f in p.code.fragments)]
