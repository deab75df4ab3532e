"""One zygote for a whole pool: the coordinator starts it, every worker forks its kernels from it.

Each zygote imports ipykernel, NumPy and SciPy once: about 1.5 CPU seconds, paid again by every
worker that had its own, which is most of a 20-notebook command's fixed cost at two workers
(issue 31). A zygote serves many processes as well as one (each request is answered in a fork
of it), so the coordinator starts one before its pool and the workers adopt it:

* the kernels' scratch folders go to the coordinator's inbox, the one folder the zygote sees;
* a worker asks the zygote for a pidfd of itself (``{"hello": true}``), to move it into a
  submission's cgroups for a fork as its owner does, under a lock file in the zygote's folder
  (``Zygote.fork``), so two workers never move it at once;
* every request carries the asking process's own lifeline (``_warm.kernel_lifeline``): a worker
  killed mid-notebook takes its kernel with it, while the zygote serves the others;
* a worker never starts or kills the shared zygote; if it is gone, that worker's next kernel
  starts cold and the ones after from a zygote of its own, in an inbox of its own.

Nothing is weaker than with a zygote per worker: kernels of one zygote were already siblings,
each in its own namespaces with every other submission's folder hidden.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from grader.errors import KernelStartError
from grader.kernel import _warm


@dataclass(frozen=True)
class ZygoteAddress:
    """What a worker needs to use its coordinator's zygote: plain data, sent to each worker."""

    root: Path
    inbox: Path
    bwrap: str
    #: The host pid of the bwrap process that runs the zygote: while it lives, so may the zygote.
    bwrap_pid: int


def share() -> ZygoteAddress | None:
    """This process's zygote, started now if need be (without waiting for its imports), as an
    address its pool workers adopt; None where there is none (kernels cold, or no bwrap)."""
    _warm.prestart()
    found = _warm.state().zygote
    if found is None or not found.restartable:
        return None
    return ZygoteAddress(found.root, found.inbox, found.bwrap, found.process.pid)


def adopt(address: ZygoteAddress) -> None:
    """Make ``address``'s zygote this worker's (before its first kernel); kernels' scratch
    folders then go to its inbox."""
    current = _warm.state()
    with current.lock:
        current.inbox = address.inbox
        current.zygote = AdoptedZygote(address)


class AdoptedZygote(_warm.Zygote):
    """A worker's handle on its coordinator's zygote: asks it for kernels; never starts, waits
    for or kills it."""

    restartable = False

    def __init__(self, address: ZygoteAddress) -> None:  # no super().__init__: nothing starts
        self.root = address.root
        self.inbox = address.inbox
        self.bwrap = address.bwrap
        self._lock = threading.Lock()
        self._lifeline = -1
        self._hello = None
        self.pidfd = -1
        try:
            self._bwrap_pidfd = os.pidfd_open(address.bwrap_pid)
        except OSError:  # gone already
            self._bwrap_pidfd = -1

    def ready(self) -> None:
        """Until the zygote answers (it may still be importing): a pidfd of it, for ``alive``
        and its pid, which the cgroup moves need."""
        if self.pidfd >= 0:
            return
        deadline = time.monotonic() + _warm.START_SECONDS
        while True:
            if self._bwrap_pidfd < 0 or _warm.exited(self._bwrap_pidfd):
                raise KernelStartError("the shared warm kernel process is gone")
            try:
                _, fds = self.ask({"hello": True})
            except (FileNotFoundError, ConnectionRefusedError):  # not listening yet
                if time.monotonic() > deadline:
                    raise KernelStartError("the shared warm kernel process did not start") from None
                time.sleep(0.02)
                continue
            except OSError as exc:
                raise KernelStartError(f"the shared warm kernel process: {exc}") from exc
            if not fds:
                raise KernelStartError("the shared warm kernel process did not answer")
            self.pidfd = fds[0]
            self.pid = _warm.host_pid(self.pidfd)
            return

    def alive(self) -> bool:
        if self._bwrap_pidfd < 0 or _warm.exited(self._bwrap_pidfd):
            return False
        return self.pidfd < 0 or not _warm.exited(self.pidfd)

    def close(self) -> None:
        """Only this worker's handles: the zygote is its starter's to stop."""
        for fd in (self.pidfd, self._bwrap_pidfd):
            if fd >= 0:
                os.close(fd)
        self.pidfd = self._bwrap_pidfd = -1
