"""One zygote for a pool (``grader/kernel/_warm_shared.py``), with real workers and kernels.

The coordinator's zygote serves every worker: a batch with two workers runs one zygote, not
two; a worker that adopts it forks its kernels there; and a worker killed mid-notebook takes
its own kernel along (the lifeline it sends with each request) while the zygote and the other
worker's kernel live on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader import grade_batch
from grader.kernel import _bwrap, _sandbox, _warm, _warm_shared
from tests.conftest import ASSIGNMENT, EXAMPLES, ROOT

pytestmark = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and _bwrap.probe().ok),
    reason="warm kernels are built only in bubblewrap",
)

HOLDER = """
import json, sys, time
from pathlib import Path
from grader.kernel import _warm, _warm_provisioner, _warm_shared
from grader.kernel._limits import Limits
from grader.kernel._session import KernelSession
raw = json.loads(sys.argv[1])
_warm_shared.adopt(_warm_shared.ZygoteAddress(
    Path(raw["root"]), Path(raw["inbox"]), raw["bwrap"], raw["bwrap_pid"]))
with KernelSession(Path(raw["notebook"]), Limits()) as session:
    session.start_kernel()
    assert session._client.km.provisioner.__class__ is _warm_provisioner.WarmProvisioner
    print(_warm.zygote().pid, session._client.km.provisioner.pid, flush=True)
    time.sleep(600)
"""


@pytest.fixture(autouse=True)
def _warm_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_sandbox.WARM_ENV, "1")
    monkeypatch.delenv(_sandbox.SANDBOX_ENV, raising=False)


def _hold(address: _warm_shared.ZygoteAddress) -> tuple[subprocess.Popen[str], int, int]:
    """A process that adopts ``address`` and holds one kernel: it, its zygote's pid, its B."""
    raw = {
        "root": str(address.root), "inbox": str(address.inbox), "bwrap": address.bwrap,
        "bwrap_pid": address.bwrap_pid, "notebook": str(ASSIGNMENT / "solution.ipynb"),
    }  # fmt: skip
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, json.dumps(raw)], stdout=subprocess.PIPE, text=True,
        cwd=ROOT,
    )  # fmt: skip
    assert holder.stdout is not None
    zygote, kernel = (int(p) for p in holder.stdout.readline().split())
    return holder, zygote, kernel


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.1)
    return not os.path.exists(f"/proc/{pid}")


def test_workers_fork_from_one_zygote_and_a_killed_one_takes_only_its_kernel():
    address = _warm_shared.share()
    assert address is not None
    own = _warm.zygote()
    assert own is not None
    first, second = _hold(address), _hold(address)
    try:
        assert first[1] == second[1] == own.pid  # both asked the coordinator's zygote
        assert first[2] != second[2] and all(
            os.path.exists(f"/proc/{p[2]}") for p in (first, second)
        )
        first[0].send_signal(signal.SIGKILL)
        first[0].wait()
        assert _gone(first[2], 20), "a killed worker's kernel outlived it"
        assert os.path.exists(f"/proc/{second[2]}"), "another worker's kernel died with it"
        assert own.alive(), "the zygote died with a worker"
        third = _hold(address)  # and it still serves
        third[0].kill()
        third[0].wait()
        assert _gone(third[2], 20)
    finally:
        for holder in (first[0], second[0]):
            holder.kill()
            holder.wait()
        own.close()
        _warm.state().zygote = None
    assert _gone(second[2], 20)


def _zygotes_running() -> set[int]:
    """Zygotes now: processes of the zygote's program started by bwrap, in bwrap's pid namespace
    (not a fork answering a request, nor a kernel's namespace, whose pid 1 bwrap reaps)."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if b"/.grader/zygote.py" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            nspid = next(line.split()[1:] for line in status if line.startswith("NSpid:"))
            parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
            # bwrap's pid namespace, not a kernel's own below it; started by bwrap
            comm = [Path(f"/proc/{p}/comm").read_text().strip() for p in (pid, parent)]
            if len(nspid) == 2 and comm[0] != "bwrap" and comm[1] == "bwrap":
                found.add(int(pid))
        except (OSError, IndexError, StopIteration):
            pass
    return found


def test_a_batch_with_two_workers_runs_one_zygote(assignment, tmp_path):
    before = _zygotes_running()
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.update(_zygotes_running() - before)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        report = grade_batch(assignment, [EXAMPLES], tmp_path / "out", workers=2)
    finally:
        done.set()
        watcher.join()
    assert len(report.totals.totals) == len(list(EXAMPLES.glob("*.ipynb")))
    assert len(seen) == 1, f"zygotes seen: {sorted(seen)}"
