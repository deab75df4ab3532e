"""``grader validate --mutants``: mutants of the solution, graded in real kernels, and the
equivalence of survivors judged on fresh inputs, never by the frozen ones alone."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace

import nbformat
import pytest

from grader import load_assignment
from grader.assignment._frozen import freeze
from grader.assignment._source import assign
from grader.errors import SpecError
from grader.grading._mutate import _mutations, mutants, write_mutant
from grader.grading._mutation_score import (
    Equivalent,
    _difference,
    changed_lines,
    load_allow_list,
    run_mutants,
)
from tests.conftest import ASSIGNMENT, FILES, ROOT


def grader(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=1800,
    )


def test_each_operator_makes_its_mutant():
    source = (
        "def f(a, b, axis_of):\n"
        "    c = np.power(a, b) + 2.0 * np.log(a)\n"
        "    d = a.sum(axis=1) / 3\n"
        "    return c - d\n"
    )
    changes = [change for change, _ in _mutations(ast.parse(source).body[0])]
    expected = [
        "parameters a and b swapped",
        "arguments 1 and 2 of np.power() swapped",
        "2.0 to 3.0",
        "+ to -",
        "* to /",
        "/ to *",
        "- to +",
        "log to log2",
        "a.sum() over axis 0",
        "a.sum() over axis -1",
        "term dropped from np.power(a, b) + 2.0 * np.log(a)",
        "returns a instead",
        "returns b instead",
    ]
    for change in expected:
        assert any(c.endswith(change) for c in changes), (change, changes)


def test_mutants_of_the_sheet_are_stable_and_each_changes_its_function(assignment):
    first, again = mutants(assignment), mutants(assignment)
    assert [m.id for m in first] == [m.id for m in again]
    assert len({m.id for m in first}) == len(first) > 50
    for mutant in first:
        assert mutant.source != mutant.original
        assert mutant.diff().startswith("--- solution\n+++ mutant\n@@")


def test_the_allow_list_names_mutants_of_the_solution_each_with_a_reason(assignment, tmp_path):
    allowed = load_allow_list(assignment)
    assert len(allowed) == 3 and all(len(entry.reason) > 20 for entry in allowed)
    assert {entry.id for entry in allowed} <= {m.id for m in mutants(assignment)}
    (tmp_path / "mutants.toml").write_text('[[equivalent]]\nid = "f-0123456789"\nreason = ""\n')
    with pytest.raises(SpecError, match="needs its reason"):
        load_allow_list(replace(assignment, folder=tmp_path))
    (tmp_path / "mutants.toml").write_text('[[equivalent]]\nfunction = "f"\nreason = "r"\n')
    with pytest.raises(SpecError, match="an id, or a function and a line"):
        load_allow_list(replace(assignment, folder=tmp_path))


def test_a_family_lists_every_mutant_of_one_line_of_a_function(assignment):
    """``function`` and ``line``: every mutant of that function changing a line holding the
    text, and no other; an id still names one mutant."""
    every = mutants(assignment)
    family = Equivalent("r", function="kl_to_factorized", line="shape[i] = -1")
    matched = [m for m in every if family.matches(m)]
    assert matched and all(m.function == "kl_to_factorized" for m in matched)
    assert all(any("shape[i] = -1" in line for line in changed_lines(m)) for m in matched)
    others = [m for m in every if m.function == "kl_to_factorized" and m not in matched]
    assert others and not any(family.matches(m) for m in others)
    one = Equivalent("r", id=matched[0].id)
    assert [m for m in every if one.matches(m)] == [matched[0]]


def test_fresh_inputs_tell_an_equivalent_mutant_from_a_blind_spot(assignment, tmp_path):
    by_id = {m.id: m for m in mutants(assignment)}
    log2 = next(m for m in by_id.values() if m.function == "entropy" and "log2" in m.change)
    swap = by_id["kl_gaussian-df4eed43ab"]  # the means swapped: allow-listed as equivalent
    solution = assignment.solution_notebook
    found = _difference(
        assignment, log2, write_mutant(solution, log2, tmp_path / "a.ipynb"), 50, None
    )
    assert found.startswith("entropy(p=") and "Expected" in found
    same = _difference(
        assignment, swap, write_mutant(solution, swap, tmp_path / "b.ipynb"), 300, None
    )
    assert same == ""


@pytest.fixture
def demo(tmp_path):
    """``grader new``'s example, whose mean now averages over axis 0: over axis -1 (a mutant)
    it is the same on every 1-D input, an equivalent mutant the checks cannot catch."""
    assert grader("new", "demo", "--root", tmp_path).returncode == 0
    folder = tmp_path / "assignments" / "demo"
    nb = nbformat.read(folder / "source.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "def mean" in c.source)
    cell.source = cell.source.replace("sum(x) / len(x)", "float(np.mean(np.asarray(x), axis=0))")
    nbformat.write(nb, folder / "source.ipynb")
    for command in ("assign", "freeze"):
        assert grader(command, folder).returncode == 0
    return folder


def test_validate_mutants_counts_lists_survivors_and_takes_the_allow_list(demo):
    run = grader("validate", demo, "--mutants", "--workers", "2")
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    counted = [line for line in lines if line.startswith("mutants caught: ")]
    assert len(counted) == 1
    caught, total = map(int, re.fullmatch(r"mutants caught: (\d+)/(\d+)", counted[0]).groups())
    assert caught == total - 1 and total >= 4
    assert "  1  caught" in run.stdout and "  2  caught" in run.stdout
    (survivor,) = re.findall(r"Survivor (mean-[0-9a-f]{10}) \(line \d+: (.*)\)", run.stdout)
    assert survivor[1] == "np.mean() over axis -1"
    assert "+    return float(np.mean(np.asarray(x), axis=-1))" in run.stdout
    assert "no difference on 2000 fresh inputs per check" in run.stdout
    assert f"mutant {survivor[0]} survives" in run.stdout
    said = run.stderr.splitlines()  # the progress, as it went
    assert (
        f"mutants: {caught}/{total} caught; trying the 1 survivor(s) on 2000 fresh inputs "
        "per check" in said
    )
    assert any(line.startswith("mutants: tried 1/1 survivor(s) on fresh inputs, ") for line in said)

    (demo / "mutants.toml").write_text(
        '[[equivalent]]\nfunction = "mean"\nline = "axis=0"\n'
        'reason = "x is 1-D: any axis of it is axis 0"\n'
        '[[equivalent]]\nid = "mean-0000000000"\nreason = "gone"\n'
        '[[equivalent]]\nfunction = "mean"\nline = "no such line"\nreason = "gone too"\n'
    )
    report = run_mutants(load_assignment(demo), workers=2, fresh=200)
    assert report.problems() == []
    assert len(report.caught) == caught
    text = "\n".join(report.lines())
    assert "equivalent (allow-listed: x is 1-D: any axis of it is axis 0)" in text
    assert "Allow-list entry mean-0000000000 matches no mutant of the solution" in text
    assert "Allow-list entry mean: line 'no such line' matches no mutant" in text
    summaries = [line for line in report.lines() if re.match(r"  \S+  ", line)]
    assert [line.split()[0] for line in summaries] == ["1", "2"]  # every question, in order
    assert any(line.endswith(", 1 equivalent (allow-listed)") for line in summaries)


def test_validate_mutants_says_on_stderr_what_it_is_doing_as_it_goes(tmp_path):
    """The small sheet's 6 mutants: each stage is said, and the grading counted as it goes (a
    line per twentieth at most: here, one per mutant), before the report on stdout."""
    folder = tmp_path / "sheet_checks"
    shutil.copytree(FILES / "sheet_checks", folder)
    assign(folder)
    freeze(load_assignment(folder))
    run = grader("validate", folder, "--mutants", "--workers", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    said = [line for line in run.stderr.splitlines() if line.startswith("mutants: ")]
    assert said[:2] == [
        "mutants: making the mutants of the solution's functions",
        "mutants: grading 6 mutant(s), each in a kernel of its own",
    ]
    counted = [re.match(r"mutants: graded (\d)/6, (\d) caught, \d+ s", line) for line in said[2:]]
    assert all(counted) and 1 <= len(counted) <= 6, said
    assert counted[-1].groups() == ("6", "6")  # the last said is the whole of it
    assert [int(m.group(1)) for m in counted] == sorted(int(m.group(1)) for m in counted)
    assert "mutants caught: 6/6" in run.stdout.splitlines()
    assert "mutants:" not in run.stdout


@pytest.mark.slow
def test_every_mutant_of_the_sheet_that_changes_a_result_is_caught():
    """The real assignment: every survivor is allow-listed and agrees on fresh inputs."""
    run = grader("validate", ASSIGNMENT, "--mutants", "--workers", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "mutants caught: 93/96" in run.stdout.splitlines()
    assert run.stdout.count("equivalent (allow-listed: ") == 3


def test_without_a_solution_notebook_mutants_are_one_clear_error(assignment):
    with pytest.raises(SpecError, match="--mutants needs the solution notebook"):
        mutants(replace(assignment, solution_notebook=None))
