"""Kernels forked from the grader's warm zygote (``GRADER_WARM=1``) against the cold path,
and the isolation properties of two consecutive warm kernels, checked from inside them.

    python benchmarks/warm_kernel_probe.py [--rounds 5]

The zygote is the grader's own (``grader.kernel._warm.Zygote``, running ``_zygote.py`` in bwrap);
this script asks it for kernels directly, without a notebook, and talks to them with a plain
jupyter_client, so it can time start-to-first-reply and run code the grader's protocol would
not. Printed: start-to-first-reply of ``import scipy.stats; x = 1`` (best of ``--rounds``) warm
and cold (the grader's own ``KernelSession`` in bwrap), then each isolation property checked from
inside two consecutive warm kernels, ``ok`` or ``FAILED``.

Linux, bwrap >= 0.8, as the grader runs (root here: cgroups are v1 and writable).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from _warm_checks import INSPECT, LEAVE, PIDS_CAP, Check, between, inside, interrupt
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from grader.kernel import _cgroup, _sandbox, _warm
from grader.kernel._limits import Limits
from grader.kernel._session import KernelSession

REPO = Path(__file__).resolve().parents[1]
CODE = "import scipy.stats; x = 1"


def fork_kernel(
    zygote: _warm.Zygote, name: str, limits: Limits, cgroup: _cgroup.SubmissionCgroup | None
) -> tuple[int, Path]:
    """A kernel for submission NAME: (pidfd of its namespace's pid 1, connection file)."""
    scratch = _sandbox.Scratch(zygote.inbox / name, cgroup=cgroup)
    for folder in (scratch.work, scratch.run, scratch.conn, scratch.home):
        folder.mkdir(parents=True, mode=0o700)
    conn = scratch.conn / "kernel.json"
    write_connection_file(str(conn), transport="ipc", ip=str(scratch.sockets))
    return zygote.fork(scratch, _sandbox.kernel_env(scratch), limits), conn


def host_pid(pidfd: int) -> int:
    for line in Path(f"/proc/self/fdinfo/{pidfd}").read_text().splitlines():
        if line.startswith("Pid:"):
            return int(line.split()[1])
    raise RuntimeError("no pid in the pidfd's fdinfo")


def client(conn: Path) -> BlockingKernelClient:
    kc = BlockingKernelClient(connection_file=str(conn))
    kc.load_connection_file()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return kc


def run(kc: BlockingKernelClient, code: str) -> str:
    out: list[str] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = kc.execute_interactive(code, timeout=120, output_hook=hook)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code[:40]!r} failed: {''.join(out)}")
    return "".join(out)


def warm_once(zygote: _warm.Zygote, name: str, limits: Limits) -> tuple[float, dict]:
    """Seconds from the request to the first reply, and the pieces for the checks."""
    start = time.perf_counter()
    cgroup = _cgroup.SubmissionCgroup.create(limits.memory_mb, limits.max_processes)
    pidfd, conn = fork_kernel(zygote, name, limits, cgroup)
    kc = client(conn)
    run(kc, CODE)
    seconds = time.perf_counter() - start
    return seconds, {"pidfd": pidfd, "kc": kc, "cgroup": cgroup, "conn": conn}


def end(zygote: _warm.Zygote, parts: dict) -> list[int]:
    """Kill the submission's pid 1; return what is left in its cgroup a moment later."""
    parts["kc"].stop_channels()
    signal.pidfd_send_signal(parts["pidfd"], signal.SIGKILL)
    os.close(parts["pidfd"])
    left: list[int] = []
    if parts["cgroup"] is not None:
        for _ in range(200):  # 20 s: a loaded machine reaps slowly
            left = parts["cgroup"].pids()
            if not left:
                break
            time.sleep(0.1)
        parts["cgroup"].kill_all()
        parts["cgroup"].remove()
    shutil.rmtree(parts["conn"].parents[1], ignore_errors=True)
    return left


def cold_once(folder: Path) -> float:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CODE)])
    path = folder / "cold.ipynb"
    nbformat.write(nb, path)
    os.environ[_sandbox.WARM_ENV] = "0"  # the grader's own cold path
    try:
        start = time.perf_counter()
        with KernelSession(path, Limits()) as session:
            session.start_kernel()
            session.run_cells()
            seconds = time.perf_counter() - start
    finally:
        del os.environ[_sandbox.WARM_ENV]
    return seconds


def main() -> int:
    """0 when every property holds, 1 when one does not."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    limits = Limits()
    base = Path(tempfile.mkdtemp(prefix="warm-", dir="/tmp"))
    inbox = base / "in"
    inbox.mkdir(mode=0o700)
    t0 = time.perf_counter()
    zygote = _warm.Zygote(inbox)
    zygote.ready()
    try:
        if args.hold:
            hold(zygote, limits)
            return 0
        print(f"zygote ready in {time.perf_counter() - t0:.2f} s (host pid {zygote.pid})")
        print(f"zygote RSS {rss_mb(zygote.pid):.1f} MiB")
        warm, cold = [], []
        for i in range(args.rounds):
            seconds, parts = warm_once(zygote, f"t{i}", limits)
            end(zygote, parts)
            warm.append(seconds)
            cold.append(cold_once(base))
        print(f"warm start-to-first-reply: best {min(warm):.3f} s  all {fmt(warm)}")
        print(f"cold start-to-first-reply: best {min(cold):.3f} s  all {fmt(cold)}")
        print(f"warm / cold (best): {min(warm) / min(cold):.2f}")
        held = checks(zygote, inbox, limits)
        print(f"zygote RSS {rss_mb(zygote.pid):.1f} MiB after {args.rounds + 2} kernels")
        return 0 if held else 1
    finally:
        zygote.close()
        shutil.rmtree(base, ignore_errors=True)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def hold(zygote: _warm.Zygote, limits: Limits) -> None:
    """For the death check: one kernel, its host pids on stdout, then wait to be killed."""
    _, parts = warm_once(zygote, "held", limits)
    reaper = host_pid(parts["pidfd"])
    kernel = Path(f"/proc/{reaper}/task/{reaper}/children").read_text().split()
    print(zygote.pid, reaper, *kernel, flush=True)
    time.sleep(600)


def death_check() -> Check:
    """kill -9 of the process that started the zygote: zygote, reaper and kernel all end."""
    command = [sys.executable, __file__, "--hold"]
    holder = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    pids = [int(p) for p in holder.stdout.readline().split()]
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids):
        time.sleep(0.1)
    alive = [p for p in pids if os.path.exists(f"/proc/{p}")]
    name = "kill -9 of the host: zygote, reaper and kernel end with it"
    return name, len(pids) == 3 and not alive, f"pids {pids}, alive {alive}"


def fmt(values: list[float]) -> str:
    return " ".join(f"{v:.3f}" for v in values)


def checks(zygote: _warm.Zygote, inbox: Path, limits: Limits) -> bool:
    """Two consecutive submissions of one zygote: every property, checked from inside."""
    inspect = (
        f"INBOX, REPO = {str(inbox)!r}, {str(REPO)!r}\nCONN = INBOX + '/s%s/conn/kernel.json'\n"
    )
    _, one = warm_once(zygote, "s1", limits)
    first = json.loads(run(one["kc"], inspect % 1 + INSPECT))
    leftover = int(run(one["kc"], LEAVE).strip())
    b_pid = host_pid(one["pidfd"])
    in_group = set(one["cgroup"].pids()) if one["cgroup"] else set()
    left = end(zygote, one)
    _, two = warm_once(zygote, "s2", limits)
    second = json.loads(run(two["kc"], inspect % 2 + INSPECT))
    interrupted = interrupt(two["kc"])
    started = int(run(two["kc"], PIDS_CAP % (3 * limits.max_processes)).strip())
    end(zygote, two)
    results: list[Check] = [
        ("kernel charged to the submission's cgroup", b_pid in in_group, b_pid),
        ("zygote moved back out of it", zygote.pid not in in_group, zygote.pid),
        *inside(first, "1"),
        *inside(second, "2"),
        *between(first, second),
        (f"1's setsid sleep (pid {leftover} inside) died with its pid 1", not left, left),
        (
            "interrupt_request (interrupt_mode message) stops a sleeping cell",
            interrupted == "ok",
            interrupted,
        ),
        (
            f"[2] pids cgroup caps the kernel ({started} of {3 * limits.max_processes} started)",
            0 < started < limits.max_processes,
            started,
        ),
        death_check(),
    ]
    for name, ok, detail in results:
        print(f"{'ok    ' if ok else 'FAILED'} {name}" + ("" if ok else f": {detail}"))
    same = first["hash"] == second["hash"]
    print(f"note   str hash seed {'shared by' if same else 'differs between'} the two forks")
    print(f"properties: {sum(ok for _, ok, _ in results)}/{len(results)} hold")
    return all(ok for _, ok, _ in results)


if __name__ == "__main__":
    sys.exit(main())
