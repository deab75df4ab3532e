"""Broken and hostile submissions, in real kernels: one bad notebook costs only its own marks.

Every notebook here comes from tests/files/make_files.py; most are the solution with one cell
added or changed, so each question the change leaves alone must keep its full marks, and each
row must carry a documented status and a reason. Small limits keep the suite quick.
Attacks that are only safe under a cap (memory, processes, the grader's own packages) run after
a probe from inside a kernel shows the cap in force, and are skipped, with the reason, if not.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy
import pandas as pd
import pytest

from grader import STATUSES, Limits, grade_batch, grade_notebook
from grader.kernel import _cgroup, _client, _sandbox
from grader.kernel._session import KernelSession
from grader.report._render_text import feedback_by_question, result_notes
from tests.conftest import ASSIGNMENT, FILES

LIMITS = Limits(cell_timeout=3, call_cpu_seconds=0.5, call_wall_seconds=2, notebook_seconds=120)
FULL = {"1a": 3.0, "1b": 4.0, "1c": 3.0}
#: The feedback cap of grader.grading._compare.normalise.
FEEDBACK_CAP = 1500
ESCAPE_MARKER = "grader-hostile-escaped-process"


@dataclass(frozen=True)
class Case:
    """What grading one file must give: ``lost`` maps each question short of full marks to its
    (points, status); ``feedback`` must be found in the first such question's feedback, and
    ``notes`` in the notes on the notebook (regular expressions)."""

    lost: dict[str, tuple[float, str]] = dataclasses.field(default_factory=dict)
    feedback: str = ""
    notes: str = ""


def invalid(feedback: str) -> Case:
    """A file that is no notebook: every question invalid_notebook, with one reason."""
    return Case({q: (0.0, "invalid_notebook") for q in FULL}, feedback, feedback)


def restarted_without(status: str, why: str) -> str:
    """Notes on a cell that killed or hung the kernel, which then ran the notebook without it."""
    return (
        rf"^cell (\d+): {status} \({why}\); the kernel was restarted 1 time\(s\) and the "
        r"notebook rerun without cell\(s\) \1$"
    )


ONE_RESTART = r"^the kernel was restarted 1 time\(s\) and the notebook rerun$"
TOO_LONG = "it ran longer than 3 s"
DIED = "the kernel died while it ran"

#: file -> what grading it must give. Full marks where ``lost`` is empty.
CASES: dict[str, Case] = {
    # Not a notebook: every question invalid_notebook, with a sentence saying why.
    "broken_truncated_json": invalid(
        r"^This file is not a valid Jupyter notebook: its JSON is broken at line \d+, column "
        r"\d+ \(was it saved completely\?\)\.$"
    ),
    "broken_python_file": invalid(
        r"^This file is not a Jupyter notebook: it is not JSON \(a \.py script"
    ),
    "broken_empty_file": invalid(r"^This file is empty: it is not a notebook\.$"),
    "broken_binary_file": invalid(r"^This file is not a notebook: it is not text \(UTF-8\)\.$"),
    "broken_json_list": invalid(r"^This file holds JSON, but not a Jupyter notebook\.$"),
    "broken_json_wrong_types": invalid(
        r"^This file holds JSON, but not a Jupyter notebook: its 'cells' are not a list\.$"
    ),
    "broken_no_code_cells": invalid(r"^This notebook has no code cells"),
    # A notebook, though not the usual one: graded normally, with the grader's interpreter.
    "broken_nbformat3": Case(notes=r"^$"),
    "broken_unknown_kernelspec": Case(
        notes=r"^the notebook names a 'julia' kernel; it was graded as Python$"
    ),
    "broken_no_kernelspec": Case(notes=r"^$"),
    "broken_stale_outputs": Case(notes=r"^$"),
    "broken_magics": Case(notes=r"^$"),
    # Cells that fail: the others still run; marks go only where a function is affected.
    "broken_cell_raises": Case(notes=r"^cell \d+: error \(ZeroDivisionError: division by zero\)$"),
    "broken_syntax_error_cell": Case(notes=r"^cell \d+: error \(SyntaxError: "),
    "broken_input_call": Case(notes=r"^cell \d+: error \(StdinNotImplementedError: "),
    "broken_sys_exit_cell": Case(notes=r"^cell \d+: error \(SystemExit"),
    "broken_long_error": Case(notes=r"^cell \d+: error \(RuntimeError: a cell error a cell"),
    "broken_syntax_error_function": Case(
        {"1b": (3.0, "missing")},
        r"^kl_gaussian_same_mean: the notebook defines no function with this exact name\. .*"
        r"Cell (\d+), which defines it, did not run \(SyntaxError: ",
        r"^cell \d+: error \(SyntaxError: ",
    ),
    # Functions that answer badly: the feedback names the input and what came back.
    "broken_missing_function": Case(
        {"1c": (1.5, "missing")},
        r"^kl_to_factorized: the notebook defines no function with this exact name\. "
        r"Similar names found: kl_to_factorised\.$",
    ),
    "broken_wrong_signature": Case(
        {"1a": (2.0, "error")},
        r"^entropy\(p=np\.array\(\[.*\]\)\) raised TypeError: entropy\(\) missing 1 required "
        r"positional argument: 'base'\. Your entropy takes \(p, base\); the sheet asks for "
        r"entropy\(p\)\.$",
    ),
    "broken_returns_none": Case(
        {"1a": (2.0, "wrong")},
        r"^entropy\(p=np\.array\(\[.*\]\)\) returned None: is a `return` statement missing\?$",
    ),
    "broken_returns_string": Case(
        {"1b": (2.0, "wrong")},
        r"^kl_gaussian\(mu1=.*, sigma2=.*\) returned a string, not a number or a list of "
        r"numbers\.$",
    ),
    "broken_returns_dict": Case(
        {"1a": (2.0, "wrong")},
        r"^kl_divergence\(p=np\.array\(\[.*\]\), q=np\.array\(\[.*\]\)\) returned a dict, "
        r"not a number",
    ),
    "broken_wrong_shape": Case(
        {"1c": (1.5, "wrong")},
        r"^optimal_factor\(p_joint=.*, j=\d\) returned \[\[.*\]\]: a flat vector of numbers "
        r"was expected, not a nested list\.",
    ),
    "broken_returns_nan": Case(
        {"1c": (1.5, "wrong")},
        r"^kl_to_factorized\(p_joint=.*, factors=.*\) returned nan: nan is never a correct",
    ),
    "broken_long_error_function": Case(
        {"1a": (2.0, "error")},
        r"^entropy\(p=np\.array\(\[.*\]\)\) raised ValueError: entropy is not finished",
    ),
    # Endless cells: killed at the cell timeout, the kernel restarted, the notebook rerun.
    "hostile_infinite_loop_cell": Case(notes=restarted_without("timeout", TOO_LONG)),
    "hostile_sleep_cell": Case(notes=restarted_without("timeout", TOO_LONG)),
    "hostile_ignore_sigint": Case(notes=restarted_without("timeout", TOO_LONG)),
    "hostile_loop_after_definition": Case(
        {"1a": (2.0, "missing")},
        r"^entropy: the notebook defines no function with this exact name\..* "
        rf"Cell (\d+), which defines it, did not run \({TOO_LONG}\)\.$",
        restarted_without("timeout", TOO_LONG),
    ),
    # Endless calls: the per-call CPU or wall-clock limit; the other checks still run.
    "hostile_loops_on_some_inputs": Case(
        {"1a": (2.0, "timeout")},
        r"^entropy\(p=np\.array\(\[[^\]]*\]\)\) did not finish: it ran for more than 0\.5 s of "
        r"CPU time\.$",
        r"^$",
    ),
    "hostile_sleep_in_function": Case(
        {"1b": (3.0, "timeout")},
        r"^kl_gaussian_same_variance\(mu1=.*\) did not finish: it took more than 2 s of "
        r"wall-clock time \(sleeping or waiting\?\)\.$",
        r"^$",
    ),
    "hostile_swallows_timeout": Case(
        {"1b": (3.0, "timeout")},
        r"^kl_gaussian_same_mean kept running past its time limits .* so the kernel was "
        r"stopped\. The kernel was restarted for the remaining functions\.$",
        ONE_RESTART,
    ),
    # Kernels that die: restarted, and the notebook rerun without the fatal cell.
    "hostile_os_exit_cell": Case(notes=restarted_without("kernel_died", DIED)),
    "hostile_segfault_cell": Case(notes=restarted_without("kernel_died", DIED)),
    "hostile_sigkill_cell": Case(notes=restarted_without("kernel_died", DIED)),
    "hostile_exit_builtin_cell": Case(
        notes=restarted_without("kernel_died", r"it shut the kernel down \(exit\(\) or quit\(\)\)")
    ),
    "hostile_exits_in_function": Case(
        {"1b": (3.0, "kernel_died")},
        r"^kl_gaussian_same_mean: the kernel died while this function ran on its inputs\. "
        r"The kernel was restarted for the remaining functions\.$",
        ONE_RESTART,
    ),
    "hostile_exit_in_function": Case(
        {"1c": (1.5, "kernel_died")},
        r"^kl_to_factorized: the kernel died while this function ran",
        ONE_RESTART,
    ),
    "hostile_hint_kills_kernel": Case(
        {"1a": (2.0, "wrong")},
        r"^kl_divergence\(p=.*\) returned .*: that is not the right value\.$",
        ONE_RESTART,
    ),
    "hostile_many_fatal_cells": Case(
        {q: (0.0, "kernel_died") for q in FULL},
        r"^Not graded: cells 4, 5, 6, 7 each killed or hung the kernel, so the notebook never "
        r"ran\.$",
        r"the kernel was restarted 3 time\(s\) and the notebook rerun without cell\(s\) "
        r"4, 5, 6, 7$",
    ),
    # Output and the environment.
    "hostile_print_200mb": Case(notes=r"^output beyond the cap was dropped$"),
    "hostile_print_200mb_past_the_cap": Case(notes=r"^output beyond the cap was dropped$"),
    "hostile_print_200mb_after_resetting_write": Case(notes=r"^output beyond the cap was dropped$"),
    "hostile_pip_install": Case(notes=r"^$"),
}

#: Safe only while the kernel's address space is capped (the probe says so before they run).
MEMORY_CASES: dict[str, Case] = {
    # bytearray's MemoryError says nothing: the notes say which limit it hit.
    "hostile_memory_bomb_cell": Case(
        notes=r"^cell \d+: error \(MemoryError: it went over the grader's limit "
        r"\(memory \d+ MiB\)\)$"
    ),
    "hostile_memory_in_function": Case(
        {"1c": (1.5, "resource_limit")},
        r"^optimal_factor\(p_joint=.*, j=\d\) raised MemoryError: ",
        r"^$",
    ),
}


# -- what is in force inside a kernel ------------------------------------------------------------
@pytest.fixture(scope="module")
def small_plan(plan):
    return dataclasses.replace(plan, limits=LIMITS)


@pytest.fixture(scope="module")
def probe() -> dict[str, object]:
    """From inside a real kernel: its address-space cap, whether it may write to the grader's
    site-packages, and how many of 100 children it could start at once.

    The probe measures what is in force, not how fast a loaded machine forks: its calls get
    CPU and wall time to spare (100 forks of a kernel took more than 0.5 s of CPU on CI)."""
    roomy = dataclasses.replace(LIMITS, call_cpu_seconds=10, call_wall_seconds=30)
    with KernelSession(FILES / "probe_limits.ipynb", roomy) as session:
        session.run_notebook()
        [limits] = session.call("limits", [], [[]])
        [children] = session.call("processes", ["int"], [[100]])
    assert limits.kind == "value" and children.kind == "value", (limits, children)
    memory_mib, writable = limits.value
    return {
        "memory_mib": memory_mib,
        "site_packages_writable": bool(writable),
        "processes": children.value,
        "isolation": getattr(_sandbox, "isolation_level", lambda: "unknown")(),
    }


def memory_capped(probe: dict[str, object]) -> bool:
    return 0 < int(probe["memory_mib"]) <= 4096  # type: ignore[call-overload]


def test_probe_sees_the_configured_memory_cap(probe):
    if not memory_capped(probe):
        pytest.skip(f"no address-space cap in the kernel ({probe}): memory bombs not run")
    assert probe["memory_mib"] == LIMITS.memory_mb


# -- the table, graded two notebooks at a time ----------------------------------------------------
@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("executed")


@pytest.fixture(scope="module")
def graded(small_plan, probe, executed):
    """Every file of the table graded, each in a fresh kernel, two worker processes at once."""
    names = list(CASES) + (list(MEMORY_CASES) if memory_capped(probe) else [])
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = {
            name: pool.submit(
                grade_notebook,
                small_plan,
                FILES / f"{name}.ipynb",
                name,
                executed / f"{name}.ipynb",
            )
            for name in names
        }
        return {name: future.result() for name, future in futures.items()}


def check_case(result, case: Case) -> None:
    """The points and statuses of the table; a question that kept some of its points is
    ``partial``, and its failing check has the table's status."""
    rows = {q.question: q for q in result.questions}
    feedback = feedback_by_question(result)
    assert list(rows) == list(FULL)
    for question, full in FULL.items():
        row = rows[question]
        points, status = case.lost.get(question, (full, "ok"))
        if 0 < points < full:
            assert status in [c.status for c in row.checks if not c.passed], row
            status = "partial"
        assert (row.points, row.status) == (points, status), (
            question,
            feedback,
            result_notes(result),
        )
    first_lost = next((q for q in FULL if q in case.lost), None)
    if first_lost is not None:
        assert re.search(case.feedback, feedback[first_lost]), feedback[first_lost]
    assert re.search(case.notes, result_notes(result)), result_notes(result)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_submission_costs_only_its_own_marks(graded, name):
    check_case(graded[name], CASES[name])


@pytest.mark.parametrize("name", list(MEMORY_CASES))
def test_memory_bomb_meets_the_cap(graded, probe, name):
    if not memory_capped(probe):
        pytest.skip(f"the kernel's address space is not capped ({probe}): never run uncapped")
    check_case(graded[name], MEMORY_CASES[name])


def test_every_row_has_a_documented_status_and_a_bounded_reason(graded):
    for name, result in graded.items():
        feedback = feedback_by_question(result)
        for row in result.questions:
            assert row.status in STATUSES, (name, row)
            assert feedback[row.question].strip(), (name, row)
            assert len(feedback[row.question]) <= FEEDBACK_CAP, (name, len(feedback[row.question]))
            if row.status != "ok":
                assert row.points < row.max_points, (name, row)
        assert len(result_notes(result)) <= FEEDBACK_CAP, (name, len(result_notes(result)))


def test_a_long_error_message_is_cut_short(graded):
    feedback = feedback_by_question(graded["broken_long_error_function"])["1a"]
    assert feedback.endswith("...") and len(feedback) <= FEEDBACK_CAP
    assert len(result_notes(graded["broken_long_error"])) < 1000


def test_stale_outputs_are_not_kept(executed, graded):
    assert "broken_stale_outputs" in graded
    nb = nbformat.read(executed / "broken_stale_outputs.ipynb", as_version=4)
    assert "STALE" not in json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "STALE" in (FILES / "broken_stale_outputs.ipynb").read_text()


def test_magics_ran(executed, graded):
    assert "broken_magics" in graded
    nb = nbformat.read(executed / "broken_magics.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "shell escapes run too" in text and "Wall time" in text and "image/png" in text


def test_pip_magic_ran_in_the_kernel(executed, graded):
    assert "hostile_pip_install" in graded
    nb = nbformat.read(executed / "hostile_pip_install.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "No matching distribution found for grader-no-such-package" in text


PRINTS_200MB = (
    "hostile_print_200mb",
    "hostile_print_200mb_past_the_cap",
    "hostile_print_200mb_after_resetting_write",
)


def test_executed_notebook_of_a_200mb_print_is_small(executed, graded):
    for name in PRINTS_200MB:
        assert name in graded
        size = (executed / f"{name}.ipynb").stat().st_size
        assert size < LIMITS.output_bytes + 256 * 1024, (name, size)


@pytest.mark.parametrize(
    "name", ["hostile_print_200mb", "hostile_print_200mb_after_resetting_write"]
)
def test_the_kernel_caps_printing_in_every_cell(executed, graded, name):
    """The first megabyte is kept: the kernel cut the print short, so no message was too big to
    take. IPython 9 resets ``sys.stdout.write`` after every cell, as the second notebook does."""
    assert name in graded
    kept = (executed / f"{name}.ipynb").read_text()
    assert "x" * 1000 in kept and "the grader dropped the rest" in kept


# -- the grader's own memory ----------------------------------------------------------------------
RSS_SCRIPT = """
import dataclasses, json, resource, sys
from pathlib import Path
from grader import GradingPlan, Limits, grade_notebook, load_assignment
plan = GradingPlan.build(load_assignment(Path(sys.argv[1])))
plan = dataclasses.replace(plan, limits=Limits(**json.loads(sys.argv[2])))
grade_notebook(plan, Path(sys.argv[1]) / "solution.ipynb")  # the baseline: a whole grading
growth = {}
for path in sys.argv[3:]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = grade_notebook(plan, Path(path))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    growth[Path(path).stem] = [(after - before) / 1024, result.total]
print(json.dumps(growth))
"""


def test_200mb_of_output_does_not_grow_the_grader(tmp_path):
    """ru_maxrss is a peak, so each notebook is graded in a fresh process after a baseline."""
    limits = json.dumps(dataclasses.asdict(LIMITS))
    names = ("hostile_print_200mb", "hostile_print_200mb_past_the_cap")
    files = [str(FILES / f"{name}.ipynb") for name in names]
    done = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(ASSIGNMENT), limits, *files],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    growth = json.loads(done.stdout.strip().splitlines()[-1])
    for name, (mib, total) in growth.items():
        assert total == 10.0, name
        assert mib < 150, f"{name}: the grader grew by {mib:.0f} MiB"


# -- the watchdog behind nbclient's own cell timeout ----------------------------------------------
def test_watchdog_kills_a_cell_when_nbclient_would_wait_forever(small_plan, monkeypatch):
    """With nbclient's timeout off, only the session's watchdog stops the endless cell; the
    kernel is restarted and the cells after it still count."""
    monkeypatch.setattr(_client.CappedClient, "_get_timeout", lambda self, cell: None)
    plan = dataclasses.replace(small_plan, limits=dataclasses.replace(LIMITS, cell_timeout=1))
    start = time.monotonic()
    result = grade_notebook(plan, FILES / "hostile_ignore_sigint.ipynb")
    assert result.total == 10.0
    assert re.search(restarted_without("timeout", "it ran longer than 1 s"), result_notes(result))
    assert time.monotonic() - start < 60


# -- processes that outlive their kernel ----------------------------------------------------------
def marker_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if ESCAPE_MARKER.encode() in cmdline:
                found.append(int(entry.name))
    return found


def live_processes_mentioning(text: str) -> list[int]:
    """Running processes whose command line or environment names ``text``.

    Not zombies: a killed process whose parent died waits for the machine's init to reap it
    (seconds on some machines), though nothing of it runs any more.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            seen = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X") and text.encode() in seen:
            found.append(int(entry.name))
    return found


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("sandbox", ["auto", "none"])
def test_a_process_that_leaves_the_kernels_group_dies_with_it(sandbox, monkeypatch):
    """A cell double-forks a child into a session of its own (setsid), out of the process group
    the grader kills; only a pid namespace (bwrap) takes it down with the kernel."""
    kill_all(marker_pids())
    monkeypatch.setenv("GRADER_SANDBOX", sandbox)
    level = _sandbox.isolation_level()
    try:
        with KernelSession(FILES / "hostile_escape_process_group.ipynb", LIMITS) as session:
            session.run_notebook()
            deadline = time.monotonic() + 10
            while not marker_pids() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert marker_pids(), "the notebook's child never started"
        deadline = time.monotonic() + 10
        while marker_pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = marker_pids()
    finally:
        kill_all(marker_pids())
    if left and level != "bwrap" and not _cgroup.available():
        pytest.xfail(f"isolation {level!r} and no cgroup: a setsid() child outlives the kernel")
    assert not left


# -- attacks that are safe only under a cap -------------------------------------------------------
@pytest.mark.parametrize("level", ["auto", "none"])
def test_fork_bomb_is_capped(level, small_plan, probe, tmp_path, monkeypatch):
    """In the sandbox and without it: as plain processes the bomb's dead children wait for the
    machine's init, still counted by the pids cgroup, and the restarted kernel must still start."""
    if level == "none" and "pids" not in _cgroup.available():
        pytest.skip("no pids cgroup: a plain-process fork bomb would be capped by nothing")
    monkeypatch.setenv("GRADER_SANDBOX", level)
    if int(probe["processes"]) >= 100:  # type: ignore[call-overload]
        pytest.skip(
            f"no cap on processes is in force in the kernel (it started {probe['processes']} of "
            "100 children; RLIMIT_NPROC does not bind root, and there is no pids cgroup): an "
            "uncapped fork bomb would take the machine down"
        )
    # Scratch folders under tmp_path: every process of the submission names it in its command
    # line (the connection file) and environment, which tells them from the rest of the machine.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    result = grade_notebook(small_plan, FILES / "hostile_fork_bomb.ipynb")
    left = live_processes_mentioning(str(tmp_path))
    kill_all(left)
    assert result.total == 10.0, result
    assert re.search(r"^cell \d+: (timeout|error|kernel_died) ", result_notes(result)), (
        result_notes(result)
    )
    assert not left, f"{len(left)} of the fork bomb's processes outlived the grading"


def test_pip_uninstall_in_a_cell_leaves_the_grader_alone(small_plan, probe):
    if probe["isolation"] != "bwrap":
        pytest.skip(
            f"kernel isolation is {probe['isolation']!r}, not bwrap: `pip uninstall numpy` "
            "could really remove the grader's numpy"
        )
    if probe["site_packages_writable"]:
        pytest.skip("the kernel can write to the grader's site-packages: not run")
    result = grade_notebook(small_plan, FILES / "hostile_pip_uninstall_numpy.ipynb")
    assert result.total == 10.0, result
    check = subprocess.run(
        [sys.executable, "-c", "import numpy; print(numpy.__version__)"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert check.stdout.strip() == numpy.__version__, check.stderr


# -- in a batch -----------------------------------------------------------------------------------
def test_a_batch_survives_its_bad_submissions(assignment, tmp_path):
    folder = tmp_path / "handins"
    folder.mkdir()
    names = [
        "broken_truncated_json",
        "broken_json_list",
        "hostile_os_exit_cell",
        "hostile_infinite_loop_cell",
        "hostile_exits_in_function",
    ]
    for name in names:
        shutil.copyfile(FILES / f"{name}.ipynb", folder / f"{name}.ipynb")
    shutil.copyfile(ASSIGNMENT / "solution.ipynb", folder / "honest.ipynb")
    report = grade_batch(assignment, [folder], tmp_path / "out", workers=2, limits=LIMITS)
    scores = pd.read_csv(report.scores_csv)
    assert len(scores) == 5 * (len(names) + 1)  # 1a, 1b, 1c and the two graded by hand
    assert set(scores.status) <= set(STATUSES)
    assert scores.feedback.notna().all()
    book = report.gradebook.set_index("submission")["total"]
    assert book["honest"] == 10.0
    assert book["hostile_os_exit_cell"] == 10.0 and book["hostile_infinite_loop_cell"] == 10.0
    assert book["hostile_exits_in_function"] == 9.0
    for name in ("broken_truncated_json", "broken_json_list"):
        automatic = scores[(scores.submission == name) & scores.question.isin(["1a", "1b", "1c"])]
        assert set(automatic.status) == {"invalid_notebook"}
