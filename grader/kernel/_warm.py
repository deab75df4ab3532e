"""Warm kernels (on unless ``GRADER_WARM=0``): forked from a sandboxed process that has imported.

Starting a kernel costs more than grading it: ``import ipykernel`` and the students'
``import scipy.stats`` are paid again for every submission. Here each grading process keeps one
*zygote* (``_zygote``, run inside bwrap with the kernels' view and flags) that has imported them
once, and asks it for one kernel per submission. The zygote gets two capabilities inside its own
user namespace (``CAP_SYS_ADMIN`` to mount each kernel's view, ``CAP_SETPCAP`` to empty its
bounding set), still with ``--disable-userns``; each kernel gets fresh mount, pid, net and ipc
namespaces, its own tmpfs folders, the submission's cgroups, no capability at all and
no_new_privs. The host holds a pidfd of each kernel's namespace (SIGKILL ends all of it).

The submission's scratch folder lives in the zygote's *inbox* (the one folder it can write),
so the zygote can hand each kernel its own ``r/``, ``conn/`` and files while hiding the others'.
Where the zygote cannot start, kernels start cold, as with ``GRADER_WARM=0``: never a weaker
sandbox. Two differences from a cold kernel (``docs/explanation/warm-kernels.md``): every kernel
of one zygote has the same ``str`` hash seed, and its ``/proc`` is read-only.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import GraderError, KernelStartError
from grader.kernel import _bounded, _bwrap, _cgroup, _runtime
from grader.kernel._cgroup import PREFIX, process_tag
from grader.kernel._limits import Limits
from grader.kernel._sandbox import Scratch, _scratch_base, warm_wanted
from grader.kernel._tree import remove_quietly

#: Seconds the zygote may take to import and say it is ready, and to answer one request.
START_SECONDS = 120.0
REQUEST_SECONDS = 60.0
#: The zygote's program, and where the sandbox sees it: that one file is bound read-only (the
#: grader's package is not mounted), so no command line carries its text. Not ``python -I``:
#: every kernel inherits the zygote's flags, and -I would drop PYTHONDONTWRITEBYTECODE's.
_PROGRAM = Path(__file__).with_name("_zygote.py")
PROGRAM_INSIDE = "/.grader/zygote.py"


class Zygote:
    """One grading process's warm process in bwrap, and how to ask it for a kernel."""

    #: Whether ``zygote()`` starts another in the same inbox when this one died (a shared
    #: zygote's inbox is its starter's: ``_warm_shared``).
    restartable = True

    def __init__(self, inbox: Path) -> None:
        """Starts the zygote without waiting for its imports (``ready`` does)."""
        self.root = Path(tempfile.mkdtemp(prefix="z-", dir=inbox.parent))
        self.inbox = inbox
        self._lock = threading.Lock()
        self._lifeline = -1
        self._hello: socket.socket | None = None
        for name in ("work", "home", "conn"):
            (self.root / name).mkdir(mode=0o700)
        (inbox / "zygote.sock").unlink(missing_ok=True)  # a dead zygote's
        try:
            self._start()
        except BaseException:
            remove_quietly(self.root, "warm kernel folder")
            raise

    def _start(self) -> None:
        root = self.root
        view = _bwrap.View(root / "work", root / "home", self.inbox, root / "conn", (), 1 << 24)
        found = _bwrap.probe()
        self.bwrap = found.path  # another bwrap asked for later (GRADER_BWRAP): a new zygote
        argv = _bwrap.argv(view, found)
        if threading.current_thread() is not threading.main_thread():
            # bwrap's death signal fires when the *thread* that started it ends; the lifeline
            # below ties the zygote to this process instead, whichever thread starts it.
            argv.remove("--die-with-parent")
        at = argv.index("ALL") + 1
        argv[at:at] = ["--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"]
        argv[-3:-3] = ["--tmpfs", "/stage", "--ro-bind", "/proc", "/.hostproc"]
        argv[-3:-3] = ["--ro-bind", str(_PROGRAM), PROGRAM_INSIDE]  # that one file, nothing else
        roots = [r for r in _bwrap.read_only_roots() if r.startswith("/tmp/")]
        host, guest = socket.socketpair()
        lifeline_read, self._lifeline = os.pipe()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONNOUSERSITE": "1",
            "HOME": str(root / "home"), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
        }  # fmt: skip
        command = [*argv, sys.executable, "-s", PROGRAM_INSIDE, str(self.inbox)]
        command += [str(guest.fileno()), str(lifeline_read), json.dumps(roots)]
        log = open(root / "zygote.log", "wb")  # noqa: SIM115 (the child holds it)
        try:
            self.process = subprocess.Popen(
                command, env=env, pass_fds=(guest.fileno(), lifeline_read),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()
            guest.close()
            os.close(lifeline_read)
        self._hello = host

    def ready(self) -> None:
        """Wait until the zygote has imported and listens; raise KernelStartError if it died."""
        host, self._hello = self._hello, None
        if host is None:
            return
        try:
            host.settimeout(START_SECONDS)
            _, fds, _, _ = socket.recv_fds(host, 64, 1)
        except OSError:
            fds = []
        finally:
            host.close()
        if not fds:
            self.process.kill()
            self.process.wait()
            tail = (self.root / "zygote.log").read_bytes()[-600:].decode(errors="replace")
            self.close()
            raise KernelStartError(f"the warm kernel process did not start: {tail.strip()}")
        self.pidfd = fds[0]
        self.pid = host_pid(self.pidfd)

    def alive(self) -> bool:
        if self.process.poll() is not None:
            return False
        return self._hello is not None or not exited(self.pidfd)

    def usable(self) -> bool:
        """Alive, and run by the bwrap this process would use now (``GRADER_BWRAP``)."""
        return self.alive() and self.bwrap == _bwrap.probe().path

    def fork(self, scratch: Scratch, env: dict[str, str], limits: Limits) -> int:
        """A kernel for the submission in ``scratch`` (inside the inbox): a pidfd of its pid 1.

        The zygote joins the submission's cgroups for its fork (it forks on accepting, and says
        ``F``), so the kernel is charged there from its first page, and leaves them before
        anything of the submission runs: under a lock of the zygote's folder too, since pool
        workers may share it (``_warm_shared``), held only until that fork (a few ms), not for
        the kernel's whole start. The request carries this process's lifeline: its kernels die
        with it.
        """
        request = {
            "name": scratch.root.name, "env": env, "files": [f.name for f in scratch.files],
            "tmpfs_bytes": limits.scratch_mb << 20, "file_size_bytes": limits.file_size_mb << 20,
            "open_files": limits.open_files, "memory_bytes": limits.memory_mb << 20,
        }  # fmt: skip
        with self._lock, open(self.root / "fork.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._move(scratch.cgroup)
            try:
                sock = self._forked()
            finally:
                self._move(None)
        reply, fds = self._ask_on(sock, request)
        if not fds:
            raise KernelStartError(f"the warm kernel process refused: {_reason(reply)}")
        return fds[0]

    def ask(self, request: dict[str, Any]) -> tuple[bytes, list[int]]:
        """One request on the zygote's socket, with this process's lifeline; its reply."""
        return self._ask_on(self._forked(), request)

    def _forked(self) -> socket.socket:
        """A connection the zygote has forked for (it says ``F``): the fork that answers."""
        sock = socket.socket(socket.AF_UNIX)
        try:
            sock.settimeout(REQUEST_SECONDS)
            sock.connect(str(self.inbox / "zygote.sock"))
            if sock.recv(1) != b"F":
                raise KernelStartError("the warm kernel process did not fork for a request")
        except BaseException:
            sock.close()
            raise
        return sock

    def _ask_on(self, sock: socket.socket, request: dict[str, Any]) -> tuple[bytes, list[int]]:
        with sock:
            socket.send_fds(sock, [b"L"], [kernel_lifeline()])
            sock.sendall(json.dumps(request).encode() + b"\n")
            reply, fds, _, _ = socket.recv_fds(sock, 65536, 1)
        return reply, fds

    def _move(self, group: _cgroup.SubmissionCgroup | None) -> None:
        if group is None:
            targets = [h.base for h in _cgroup.hierarchies().values()]
        else:
            targets = list(group.dirs.values())
        for path in dict.fromkeys(targets):
            (path / "cgroup.procs").write_text(str(self.pid))

    def close(self) -> None:
        if self._lifeline < 0:
            return
        os.close(self._lifeline)
        self._lifeline = -1
        if self._hello is not None:
            self._hello.close()
            self._hello = None
        if hasattr(self, "pidfd"):
            signal_pidfd(self.pidfd, signal.SIGKILL)
            os.close(self.pidfd)
        self.process.kill()
        self.process.wait()
        remove_quietly(self.root, "warm kernel folder")


def _reason(reply: bytes) -> str:
    try:
        return str(json.loads(reply).get("error", reply[:300]))[-600:]
    except ValueError:
        return reply[:300].decode(errors="replace")


def exited(pidfd: int) -> bool:
    """Whether the process of ``pidfd`` has exited (without waiting)."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(0))


def signal_pidfd(pidfd: int, signum: int) -> None:
    """Send ``signum`` to the process of ``pidfd``, if it is still there."""
    try:
        signal.pidfd_send_signal(pidfd, signum)
    except ProcessLookupError:
        pass


@dataclass
class WarmState:
    """This process's part of the runtime state (``_runtime``): its inbox (one for its lifetime,
    so a zygote started again serves the same folders), its zygote, why the last one could not
    start, and the lock that starts one zygote at a time. A fork starts with none of them."""

    inbox: Path | None = None
    zygote: Zygote | None = None
    failed: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: The read end of a pipe whose write end this process holds until it exits: sent with each
    #: kernel request, so a kernel's namespace ends with the process that asked for it.
    lifeline: int = -1
    lifeline_lock: threading.Lock = field(default_factory=threading.Lock)


def kernel_lifeline() -> int:
    """This process's lifeline for its kernels (``WarmState.lifeline``), made on first use
    (under a lock of its own: ``zygote()`` asks for it while holding ``lock``)."""
    current = state()
    with current.lifeline_lock:
        if current.lifeline < 0:
            current.lifeline, _ = os.pipe()  # the write end stays open, unreferenced, till exit
        return current.lifeline


def state() -> WarmState:
    """This process's warm kernels' state."""
    return _runtime.part(WarmState)


def inbox() -> Path:
    """This process's inbox, where its warm kernels' scratch folders go; one for its lifetime,
    so a zygote started again (the last one died) serves the same folders."""
    current = state()
    with current.lock:
        return _inbox(current)


def _inbox(current: WarmState) -> Path:
    if current.inbox is None:
        tag = process_tag(os.getpid()) or str(os.getpid())
        where = _scratch_base(tag, within="/in/s-12345678")
        base = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{tag}-", dir=where))
        (base / "in").mkdir(mode=0o700)
        if _bounded.available():  # the zygote then sees each kernel's bounded ``r/``
            _bounded.share(base / "in")
        atexit.register(_shutdown, base, os.getpid())
        current.inbox = base / "in"
    return current.inbox


def _shutdown(base: Path, owner: int) -> None:
    """At exit of the process that made ``base``: the zygote waited for (no stray process to
    warn about), its folders removed; a process that exits without this (kill -9,
    ``os._exit``) leaves them to the next run's sweep. A fork leaves its parent's alone."""
    if os.getpid() != owner:
        return
    current = state()
    if current.zygote is not None:
        current.zygote.close()
        current.zygote = None
    if _bounded.available():
        _bounded.unmount_under(base)
    remove_quietly(base, "warm kernels' folder")


def zygote(wait: bool = True) -> Zygote | None:
    """This process's zygote, started on first use (again if it died); None where it cannot
    start (``failure()`` says why), so the kernel starts cold. ``wait``: until it is ready."""
    current = state()
    with current.lock:
        where = _inbox(current)
        found = current.zygote
        if found is not None and not found.restartable and not found.usable():
            _give_up_shared(current, found)
            return None
        if found is None or not found.alive() or found.bwrap != _bwrap.probe().path:
            if found is not None:
                found.close()
            current.zygote = found = None
            try:
                found = current.zygote = Zygote(where)
            except (KernelStartError, OSError) as exc:
                current.failed = str(exc)
                return None
        if wait:
            try:
                found.ready()
            except (KernelStartError, OSError) as exc:
                if not found.restartable:
                    _give_up_shared(current, found)
                current.failed = str(exc)
                current.zygote = None
                return None
        return found


def _give_up_shared(current: WarmState, found: Zygote) -> None:
    """A shared zygote is gone: this kernel starts cold, and the next submission's scratch
    folder goes to an inbox of this process's own, served by a zygote of its own."""
    found.close()
    current.zygote = current.inbox = None
    current.failed = "the shared warm kernel process is gone"


def prestart() -> None:
    """Start this process's zygote now, where warm kernels are asked for, without waiting: its
    imports overlap whatever the process does before its first kernel (planning, oracles)."""
    try:
        if warm_wanted():
            zygote(wait=False)
    except GraderError:  # a typo in GRADER_WARM: said where the first kernel starts
        pass


def note_failure(exc: BaseException) -> None:
    """A kernel the zygote could not give: that kernel starts cold, and the next one asks a
    new zygote (this one may be broken in a way ``alive`` does not see)."""
    current = state()
    with current.lock:
        current.failed = f"a warm kernel did not start: {exc!r}"[:600]
        found, current.zygote = current.zygote, None
        if found is not None and not found.restartable:
            current.inbox = None  # the next scratch folder goes to an inbox of this process's own
    if found is not None:
        found.close()


def failure() -> str | None:
    """Why the last zygote of this process could not start, if it could not."""
    return state().failed


def host_pid(pidfd: int) -> int:
    """The pid, in this process's namespace, of the process of ``pidfd``."""
    for line in Path(f"/proc/self/fdinfo/{pidfd}").read_text().splitlines():
        if line.startswith("Pid:"):
            return int(line.split()[1])
    raise KernelStartError("the warm kernel's pidfd names no process")
