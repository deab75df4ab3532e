"""What a kernel's process gets between fork and exec, and how it is stopped.

Resource limits, a death signal tied to the grading process, and a lifeline pipe: the kernel exits
when the pipe's write end, held only by the grading process, closes. Death signals alone are not
enough: bubblewrap changes credentials, which clears them, and a grader killed between fork and
prctl never sends one; a pipe's EOF always comes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

from grader.kernel._limits import Limits

#: Run inside the kernel's process before ipykernel: exit when the grading process is gone.
#: Death signals alone are not enough: bubblewrap changes credentials, which clears them, and a
#: grader killed between fork and prctl never sends one. A pipe's EOF always comes.
_LIFELINE = (
    "import os, sys, threading, runpy\n"
    "fd = int(sys.argv.pop(1))\n"
    "def _watch():\n"
    "    try:\n"
    "        while os.read(fd, 1):\n"
    "            pass\n"
    "    finally:\n"
    "        os._exit(1)\n"
    "threading.Thread(target=_watch, daemon=True).start()\n"
    "sys.argv[0] = 'ipykernel_launcher'\n"
    "runpy.run_module('ipykernel_launcher', run_name='__main__', alter_sys=True)\n"
)


def kernel_argv(lifeline: int | None) -> list[str]:
    """The grader's own interpreter, whatever kernelspec the notebook names (e.g. a conda env);
    with a lifeline (a pipe's read end) the kernel exits when that pipe's write end closes."""
    kernel = [sys.executable, "-s"]
    if lifeline is None:
        return [*kernel, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return [*kernel, "-c", _LIFELINE, str(lifeline), "-f", "{connection_file}"]


def limits_preexec(limits: Limits) -> Callable[[], None] | None:
    """A function run in the kernel's process after fork, before exec: caps and a death signal."""
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the wall-clock watchdog still applies.
        return None

    caps = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * 1024 * 1024),
        (resource.RLIMIT_NOFILE, limits.open_files),
    ]
    if limits.memory_mb:
        caps.append((resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024))
    if os.getuid() != 0 and hasattr(resource, "RLIMIT_NPROC"):
        # Counted per user, and ignored for root: only meaningful for a kernel with its own user.
        caps.append((resource.RLIMIT_NPROC, limits.max_processes))

    def preexec() -> None:
        for which, value in caps:
            _, hard = resource.getrlimit(which)
            soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (soft, hard if hard != resource.RLIM_INFINITY else soft))
        die_with_parent()

    return preexec


def chain(*steps: Callable[[], None] | None) -> Callable[[], None] | None:
    present = [step for step in steps if step is not None]
    if not present:
        return None

    def preexec() -> None:
        for step in present:
            step()

    return preexec


def ignoring_sigint(then: Callable[[], None] | None) -> Callable[[], None]:
    """bwrap must survive an interrupt meant for the kernel, or the kernel dies with it.

    jupyter_client interrupts by sending SIGINT to the whole process group, bwrap included,
    and bwrap has no handler for it. An ignored signal stays ignored across exec; ipykernel sets
    its own SIGINT handler while it runs a cell, so the kernel still gets KeyboardInterrupt.
    """

    def preexec() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if then is not None:
            then()

    return preexec


def die_with_parent() -> None:
    """Linux: the kernel gets SIGKILL when the process that started it dies, even by kill -9."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def die_with(pid: int) -> None:
    """SIGKILL to this process as soon as process ``pid`` (not its parent) exits, even by
    kill -9: a thread waits on a pidfd of it. For a pool worker forked by a fork server, whose
    parent is the server, and which holds the server's lifeline (the server lives while any of
    its forks does): dying with the parent alone, a worker would outlive a killed coordinator.
    Where there are no pidfds, nothing."""
    import select
    import threading

    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:  # gone already
        os.kill(os.getpid(), signal.SIGKILL)
        return
    except (OSError, AttributeError):
        return

    def watch() -> None:
        select.select([pidfd], [], [])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="grader-die-with", daemon=True).start()


def kill_process_group(pid: int | None) -> None:
    """Kill a kernel and everything it started (it leads its own session and group)."""
    if pid is None or not hasattr(os, "killpg"):
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
