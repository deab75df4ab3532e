"""The grader's own process against hostile and malformed notebooks: its terminal, its CSVs, its
memory and its parsing. The kernel's side is tests/test_hostile.py.

Every notebook comes from tests/files/make_files.py; each item of the issue has the notebook that
showed it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader import Limits, grade_notebook
from grader.grading._compare import mismatch, show
from grader.grading._reading import MAX_CELLS, read_submission
from grader.report._render_text import feedback_by_question, result_notes
from grader.results._model import Mismatch
from grader.results._neutralise import neutralise
from tests.conftest import ASSIGNMENT, FILES, ROOT
from tests.files import make_files

LIMITS = Limits(cell_timeout=3, call_cpu_seconds=0.5, call_wall_seconds=2, notebook_seconds=120)
FULL = {"1a": 3.0, "1b": 4.0, "1c": 3.0}
#: Bytes a terminal or a spreadsheet would act on: C0 controls but newline and tab, and DEL.
CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
#: The same, and C1 controls and reordering marks, in decoded text.
CONTROL_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def grader(*args: object) -> subprocess.CompletedProcess[bytes]:
    """The command line with stdout and stderr as pipes (not a terminal), kept as raw bytes."""
    return subprocess.run(
        [sys.executable, "-c", "from grader._cli import main; main()", *map(str, args)],
        capture_output=True,
        cwd=ROOT,
        timeout=600,
    )


@pytest.fixture(scope="module")
def small_plan(plan):
    return dataclasses.replace(plan, limits=LIMITS)


# -- 1. terminal control sequences ----------------------------------------------------------------
def test_neutralise_shows_control_characters_escaped():
    text = "a\x1b[2J\r\n\tb\x07\x85\u202e\ud800"
    assert neutralise(text) == "a\\x1b[2J\\r\\n\tb\\x07\\x85\\u202e\\ud800"
    assert neutralise(text, keep_newlines=True).count("\n") == 1
    assert neutralise("plain text, ünïcode, 10/10") == "plain text, ünïcode, 10/10"


def test_check_never_prints_a_notebooks_control_sequences():
    notebook = FILES / "hostile_terminal_escapes.ipynb"
    run = grader("check", notebook, "--assignment", "variational_inference")
    assert run.returncode == 1, run.stderr.decode(errors="replace")
    for stream in (run.stdout, run.stderr):
        assert not CONTROL.search(stream), CONTROL.search(stream)
        assert not CONTROL_TEXT.search(stream.decode("utf-8"))
    out = run.stdout.decode("utf-8")
    assert "\\x1b[2J" in out  # shown, not acted on
    lines = out.splitlines()
    assert not any(line.startswith("my_notebook.ipynb") for line in lines)
    assert "  1a  3/3  ok" not in lines and "  1a  2/3  partial" in lines


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One batch on the command line, stderr not a terminal: control sequences, cell ids that
    make nbformat warn, and enough submissions for progress lines."""
    root = tmp_path_factory.mktemp("batch")
    names = ["hostile_terminal_escapes", "broken_missing_cell_ids", "broken_duplicate_cell_ids"]
    for name in names:
        shutil.copyfile(FILES / f"{name}.ipynb", root / f"{name}.ipynb")
    shutil.copyfile(ASSIGNMENT / "solution.ipynb", root / "honest.ipynb")
    out = root / "out"
    run = grader("grade", "variational_inference", root, "--out", out, "--workers", "2")
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    return run, out


def test_grade_never_writes_a_notebooks_control_sequences(batch):
    run, out = batch
    for data in (run.stdout, run.stderr, *(p.read_bytes() for p in out.glob("*.csv"))):
        assert not CONTROL.search(data), CONTROL.search(data)
        assert not CONTROL_TEXT.search(data.decode("utf-8"))
    scores = (out / "scores.csv").read_text(encoding="utf-8")
    assert "\\x1b[2J\\x1b[3J\\x1b[Hmy_notebook.ipynb: 10/10" in scores


# -- 6. nbformat's warnings -----------------------------------------------------------------------
def test_nbformat_warnings_go_to_the_notes_not_stderr(batch):
    run, out = batch
    stderr = run.stderr.decode("utf-8")
    for word in ("Warning", "MissingIDField", "DuplicateCellId", "Non-unique", "invalid"):
        assert word not in stderr, stderr
    rows = _rows(out / "scores.csv")
    assert rows["broken_missing_cell_ids"]["notes"] == "14 cell(s) had no id and were given one"
    assert rows["broken_duplicate_cell_ids"]["notes"] == (
        "1 cell(s) had an id already used and were given a new one"
    )
    assert rows["broken_missing_cell_ids"]["total"] == rows["honest"]["total"] == 10.0


def _rows(path: Path) -> dict[str, dict[str, object]]:
    import pandas as pd

    scores = pd.read_csv(path, keep_default_na=False)
    # a question graded by hand is pending, its points empty
    totals = pd.to_numeric(scores["points"], errors="coerce").groupby(scores["submission"]).sum()
    return {
        name: {"notes": group["notes"].iloc[0], "total": totals[name]}
        for name, group in scores.groupby("submission")
    }


# -- 7. progress off a terminal -------------------------------------------------------------------
def test_progress_lines_when_stderr_is_not_a_terminal(batch):
    run, _ = batch
    lines = run.stderr.decode("utf-8").splitlines()
    progress = [line for line in lines if re.match(r"^grading: \d+/4 done, \d+ below full", line)]
    assert progress, lines
    assert progress[-1].startswith("grading: 4/4 done")
    assert "\r" not in run.stderr.decode("utf-8")


def test_output_no_utf8_file_takes_is_kept_escaped(small_plan, tmp_path):
    """The kernel's packing swapped: a lone surrogate reaches the grader, which once crashed
    writing the executed notebook, so the whole notebook scored 0."""
    name = "hostile_unencodable_output"
    result = grade_notebook(
        small_plan, FILES / f"{name}.ipynb", keep_executed=tmp_path / f"{name}.ipynb"
    )
    assert result.total == 10.0 and result_notes(result) == "", result
    nb = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert "half a character: \ud800\n" in texts


# -- 2. huge replies ------------------------------------------------------------------------------
def test_a_huge_reply_is_refused_for_that_function_only(small_plan):
    result = grade_notebook(small_plan, FILES / "hostile_huge_reply.ipynb")
    rows = {q.question: q for q in result.questions}
    feedback = feedback_by_question(result)
    assert (rows["1a"].points, rows["1a"].status) == (2.0, "partial"), feedback["1a"]
    assert rows["1a"].checks[0].status == "wrong"
    assert feedback["1a"].startswith("entropy: the answer was too large")
    assert [(rows[q].points, rows[q].status) for q in ("1b", "1c")] == [(4.0, "ok"), (3.0, "ok")]


RSS_SCRIPT = """
import dataclasses, json, resource, sys
from pathlib import Path
from grader import GradingPlan, Limits, grade_notebook, load_assignment
plan = GradingPlan.build(load_assignment(Path(sys.argv[1])))
plan = dataclasses.replace(plan, limits=Limits(cell_timeout=30))
grade_notebook(plan, Path(sys.argv[1]) / "solution.ipynb")  # the baseline: a whole grading
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = grade_notebook(plan, Path(sys.argv[2]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps([(after - before) / 1024, result.total]))
"""


@pytest.mark.parametrize(
    ("name", "total"), [("hostile_huge_reply", 9.0), ("hostile_display_flood", 10.0)]
)
def test_a_flood_from_the_kernel_does_not_grow_the_grader(name, total, tmp_path):
    """ru_maxrss is a peak: each notebook in a fresh process, after a baseline grading. Before,
    the 60 MB reply took the grader to 600 MB, the 150 displays of 15 MB to 685 MB."""
    done = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(ASSIGNMENT), str(FILES / f"{name}.ipynb")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    growth, got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got == total
    assert growth < 150, f"{name}: the grader grew by {growth:.0f} MiB"


# -- 3. huge notebooks ----------------------------------------------------------------------------
def test_a_notebook_with_too_many_cells_is_refused_saying_so(small_plan):
    result = grade_notebook(small_plan, FILES / "broken_too_many_cells.ipynb")
    assert {q.status for q in result.questions} == {"invalid_notebook"}
    assert result_notes(result) == (
        f"This notebook has 2015 cells; the grader takes at most {MAX_CELLS}. Remove the empty "
        "or repeated cells and submit it again."
    )


def test_the_issues_300000_cells_cost_little_time(small_plan, tmp_path):
    """21 MB of empty markdown cells took 14 s and 585 MB when parsed and graded in full."""
    path = tmp_path / "cells.ipynb"
    nbformat.write(make_files.many_cells(300_000), path)
    assert path.stat().st_size > 20 * 1024 * 1024
    start = time.monotonic()
    result = grade_notebook(small_plan, path)
    assert time.monotonic() - start < 5  # measured: about 0.05 s
    assert {q.status for q in result.questions} == {"invalid_notebook"}
    assert "300018 cells" in result_notes(result) and result.seconds < 5


def test_a_json_bomb_is_refused_before_it_is_parsed(small_plan, tmp_path):
    """9 MB of empty dicts, under the byte cap, would parse into 180 MB."""
    path = tmp_path / "bomb.ipynb"
    path.write_bytes(make_files.json_bomb())
    result = grade_notebook(small_plan, path)
    assert {q.status for q in result.questions} == {"invalid_notebook"}
    assert re.match(
        r"^This notebook holds \d+ JSON items; the grader takes at most", result_notes(result)
    )
    assert result.seconds < 5


def test_a_file_past_the_byte_cap_is_refused_unread(tmp_path):
    path = tmp_path / "big.ipynb"
    path.write_bytes(b"{" + b" " * (2 * 1024 * 1024) + b"}")
    submission = read_submission(path, max_bytes=1024 * 1024)
    assert submission.nb is None
    assert submission.problem.startswith("This file is 2.0 MiB; the grader takes notebooks of at")


# -- 4. values that break comparisons -------------------------------------------------------------
def test_an_int_past_any_float_costs_its_own_share_only(small_plan):
    result = grade_notebook(small_plan, FILES / "hostile_returns_huge_int.ipynb")
    rows = {q.question: q for q in result.questions}
    feedback = feedback_by_question(result)["1a"]
    assert (rows["1a"].points, rows["1a"].status) == (2.0, "partial")
    assert feedback.startswith("entropy(p=np.array([")
    assert "returned an int of about 400 digits: that is not the right value." in feedback
    assert result.total == 9.0


ODD = [
    10**400,
    -(10**400),
    10**4000,
    [10**400],
    [[[[[[[1.0]]]]]]],
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    5e-324,
    1.7976931348623157e308,
    [math.nan, 10**400],
    [],
    None,
    list(range(10_000)),
]


@pytest.mark.parametrize(
    ("expected", "returns"),
    [(0.5, "scalar"), (0.0, "scalar"), (math.inf, "scalar"), ([0.5, 0.5], "vector")],
)
def test_any_returned_value_is_compared_without_raising(expected, returns):
    for got in ODD:
        reason = mismatch(expected, got, returns)
        assert reason is None or isinstance(reason, Mismatch), (expected, got)
        assert len(show(got)) <= 200
    for huge in (10**400, -(10**400), [10**400, 0.5], [0.5, 10**4000]):
        assert mismatch(expected, huge, returns)


# -- 5. schema slips ------------------------------------------------------------------------------
SLIPS = {
    "broken_kernelspec_without_name": (
        r"^invalid metadata of the notebook dropped \('kernelspec'\)$"
    ),
    "broken_markdown_with_outputs": (
        r"^cell 1 \(markdown\): stray 'execution_count', 'outputs' dropped$"
    ),
    "broken_schema_slips": (
        r"^cell 1 had the unknown type 'heading' and was kept as raw text; cell 1 \(raw\): stray "
        r"'level' dropped; cell 16 had no source and was taken as empty; invalid metadata of "
        r"cell 3 dropped \('tags'\); 1 cell\(s\) had no id and were given one$"
    ),
    "broken_unknown_kernelspec": r"^the notebook names a 'julia' kernel; it was graded as Python$",
}


@pytest.mark.parametrize("name", list(SLIPS))
def test_a_schema_slip_is_repaired_and_noted(small_plan, name):
    result = grade_notebook(small_plan, FILES / f"{name}.ipynb")
    assert result.total == 10.0, feedback_by_question(result)
    assert re.search(SLIPS[name], result_notes(result)), result_notes(result)


def test_a_rejection_says_which_cell_and_key(small_plan):
    result = grade_notebook(small_plan, FILES / "broken_cell_source_not_text.ipynb")
    assert {q.status for q in result.questions} == {"invalid_notebook"}
    assert result_notes(result).startswith(
        "This file is not a valid Jupyter notebook: cell 7 (code), key 'source': 42 "
    )


def test_outputs_of_an_earlier_run_are_never_parsed(tmp_path):
    """Outputs are dropped before nbformat reads them: a malformed one costs nothing."""
    raw = json.loads((ASSIGNMENT / "solution.ipynb").read_text(encoding="utf-8"))
    code = next(c for c in raw["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "bogus", "data": 5}, 7]
    path = tmp_path / "odd_outputs.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    submission = read_submission(path)
    assert submission.nb is not None and submission.repairs == ()


# -- done when: the grader's own memory and CPU over a whole hostile batch ------------------------
@pytest.mark.slow
def test_a_hostile_batch_keeps_the_graders_own_memory_and_cpu_bounded():
    """benchmarks/hostile_batch.py: every broken_* notebook, the hostile ones aimed at the grader,
    300,000 cells, 40 MB and 30 MB files, a JSON bomb; measured 161 to 183 MiB peak, 0.1 CPU s
    per submission."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "hostile_batch.py"), "--max-rss-mb", "300"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )  # fmt: skip
    figures = dict(re.findall(r"^(\w+): ([\d.]+)$", done.stdout, re.MULTILINE))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert float(figures["peak_rss_mb"]) < 300, done.stdout
    assert float(figures["cpu_s_per_submission"]) < 2.0, done.stdout


def test_reading_never_raises_on_a_mangled_notebook(tmp_path):
    """Fuzzed: 300 copies of the solution with one to three values swapped for odd ones. Each is
    refused with a sentence, or repaired into a notebook nbformat validates."""
    base = json.loads((ASSIGNMENT / "solution.ipynb").read_text(encoding="utf-8"))
    odd = [None, 0, 1.5, "", "\x1b[2J", [], {}, [1], {"a": 1}, True, {"cell_type": "code"}]
    paths = list(_paths(base))
    rng = random.Random(0)
    path = tmp_path / "mangled.ipynb"
    for _ in range(300):
        nb = json.loads(json.dumps(base))
        for _ in range(rng.randint(1, 3)):
            *parents, last = rng.choice(paths)
            holder = nb
            try:  # an earlier swap may have replaced what this path goes through
                for key in parents:
                    holder = holder[key]
                holder[last] = json.loads(json.dumps(rng.choice(odd)))
            except (KeyError, IndexError, TypeError):
                continue
        path.write_text(json.dumps(nb), encoding="utf-8")
        submission = read_submission(path)
        if submission.nb is None:
            assert submission.problem.startswith("This "), submission.problem
        else:
            nbformat.validate(submission.nb)
            assert all(isinstance(cell.source, str) for cell in submission.nb.cells)


def _paths(value, prefix=()):
    """Every key path into ``value``; mutating one leaves the others valid (values, not keys)."""
    if prefix:
        yield prefix
    if isinstance(value, dict | list):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _paths(item, (*prefix, key))
