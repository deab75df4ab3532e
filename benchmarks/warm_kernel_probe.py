"""Probe for issue 17: kernels forked from a warm, sandboxed zygote against the cold path.

    python benchmarks/warm_kernel_probe.py [--rounds 5]

The zygote (``_warm_zygote.py``) runs in the real bwrap with the kernels' view and flags
(``grader.kernel._bwrap.argv``) plus ``--cap-add CAP_SYS_ADMIN --cap-add CAP_SETPCAP`` inside its
own user namespace (still ``--disable-userns``) and a ``--tmpfs /stage``; it has ipykernel, numpy
and scipy.stats imported. Per submission the host creates the submission's cgroups, moves the
zygote in, asks it for a kernel over a unix socket, moves it back out, and connects with
jupyter_client. Printed: start-to-first-reply of ``import scipy.stats; x = 1`` (best of
``--rounds``) warm and cold (the grader's own ``KernelSession`` in bwrap), then each isolation
property checked from inside two consecutive warm kernels, ``ok`` or ``FAILED``.

Linux, bwrap >= 0.8, as the grader runs (root here: cgroups are v1 and writable).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from _warm_checks import INSPECT, LEAVE, PIDS_CAP, Check, between, inside, interrupt
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from grader.kernel import _bwrap, _cgroup, _sandbox
from grader.kernel._limits import Limits
from grader.kernel._session import KernelSession

ZYGOTE = Path(__file__).with_name("_warm_zygote.py")
REPO = Path(__file__).resolve().parents[1]
CODE = "import scipy.stats; x = 1"


class Zygote:
    """The warm process in bwrap, and how the host asks it for one submission's kernel."""

    def __init__(self, inbox: Path, limits: Limits) -> None:
        self.inbox = inbox
        self.limits = limits
        zroot = Path(tempfile.mkdtemp(prefix="z-", dir=inbox.parent))
        for name in ("work", "home", "conn"):
            (zroot / name).mkdir(mode=0o700)
        self.zroot = zroot
        view = _bwrap.View(zroot / "work", zroot / "home", inbox, zroot / "conn", (), 1 << 24)
        argv = _bwrap.argv(view, _bwrap.probe())
        argv[argv.index("ALL") + 1 : argv.index("ALL") + 1] = [
            "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"
        ]  # fmt: skip
        argv[-3:-3] = ["--tmpfs", "/stage", "--ro-bind", "/proc", "/.hostproc"]
        assert "--disable-userns" in argv
        host, guest = socket.socketpair()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONNOUSERSITE": "1",
            "HOME": str(zroot / "home"), "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg",
        }  # fmt: skip
        command = [*argv, sys.executable, "-s", "-c", ZYGOTE.read_text(), str(inbox)]
        command.append(str(guest.fileno()))
        self.process = subprocess.Popen(command, env=env, pass_fds=(guest.fileno(),))
        guest.close()
        host.settimeout(60)
        _, fds, _, _ = socket.recv_fds(host, 64, 1)
        host.close()
        self.pidfd = fds[0]
        self.pid = host_pid(self.pidfd)

    def fork_kernel(self, name: str, cgroup: _cgroup.SubmissionCgroup | None) -> tuple[int, Path]:
        """A kernel for submission NAME: (pidfd of its namespace's pid 1, connection file)."""
        own = self.inbox / name
        for sub in ("r", "conn"):
            (own / sub).mkdir(parents=True, mode=0o700)
        conn = own / "conn" / "kernel.json"
        write_connection_file(str(conn), transport="ipc", ip=str(own / "r" / "k"))
        scratch = _sandbox.Scratch(own)
        env = _sandbox.kernel_env(scratch)
        request = {
            "name": name, "env": env, "tmpfs_bytes": self.limits.scratch_mb << 20,
            "file_size_bytes": self.limits.file_size_mb << 20,
            "open_files": self.limits.open_files, "memory_bytes": self.limits.memory_mb << 20,
        }  # fmt: skip
        self._move(cgroup)
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(60)
                sock.connect(str(self.inbox / "zygote.sock"))
                sock.sendall(json.dumps(request).encode() + b"\n")
                reply, fds, _, _ = socket.recv_fds(sock, 65536, 1)
        finally:
            self._move(None)
        if not fds:
            raise RuntimeError(f"the zygote refused: {reply.decode(errors='replace')}")
        return fds[0], conn

    def _move(self, cgroup: _cgroup.SubmissionCgroup | None) -> None:
        """Into the submission's groups (v1: cgroup.procs of each), or back to the host's."""
        if cgroup is None:
            targets = [h.base for h in _cgroup.hierarchies().values()]
        else:
            targets = list(dict.fromkeys(cgroup.dirs.values()))
        for path in dict.fromkeys(targets):
            (path / "cgroup.procs").write_text(str(self.pid))

    def close(self) -> None:
        signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.zroot, ignore_errors=True)


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


def warm_once(zygote: Zygote, name: str, limits: Limits) -> tuple[float, dict]:
    """Seconds from the request to the first reply, and the pieces for the checks."""
    start = time.perf_counter()
    cgroup = _cgroup.SubmissionCgroup.create(limits.memory_mb, limits.max_processes)
    pidfd, conn = zygote.fork_kernel(name, cgroup)
    kc = client(conn)
    run(kc, CODE)
    seconds = time.perf_counter() - start
    return seconds, {"pidfd": pidfd, "kc": kc, "cgroup": cgroup, "conn": conn}


def end(zygote: Zygote, parts: dict) -> list[int]:
    """Kill the submission's pid 1; return what is left in its cgroup a moment later."""
    parts["kc"].stop_channels()
    signal.pidfd_send_signal(parts["pidfd"], signal.SIGKILL)
    os.close(parts["pidfd"])
    left: list[int] = []
    if parts["cgroup"] is not None:
        for _ in range(50):
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
    start = time.perf_counter()
    with KernelSession(path, Limits()) as session:
        session._start_kernel()
        session._run_cells()
        seconds = time.perf_counter() - start
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
    zygote = Zygote(inbox, limits)
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


def hold(zygote: Zygote, limits: Limits) -> None:
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
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids):
        time.sleep(0.1)
    alive = [p for p in pids if os.path.exists(f"/proc/{p}")]
    name = "kill -9 of the host: zygote, reaper and kernel end with it"
    return name, len(pids) == 3 and not alive, f"pids {pids}, alive {alive}"


def fmt(values: list[float]) -> str:
    return " ".join(f"{v:.3f}" for v in values)


def checks(zygote: Zygote, inbox: Path, limits: Limits) -> bool:
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
