"""How jupyter_client starts a warm kernel: a provisioner that asks the zygote (``_warm``) for a
fork instead of running a command, and a Popen-like handle on the pidfd it gets back.

Apart from ``_warm`` so that module, which pool workers and the grade command load first to
start or adopt a zygote, does not import jupyter_client.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from grader.kernel._limits import Limits
from grader.kernel._sandbox import Scratch
from grader.kernel._warm import Zygote, exited, host_pid, signal_pidfd


class PidfdProcess:
    """The Popen-like handle LocalProvisioner wants, on a pidfd of a process that is not this
    process's child (the kernel's pid 1, forked by the zygote): no exit code, only whether."""

    stdin = stdout = stderr = None

    def __init__(self, pidfd: int) -> None:
        self.pidfd = pidfd
        self.pid = host_pid(pidfd)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and (self.pidfd < 0 or exited(self.pidfd)):
            self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self.pidfd >= 0:
            poller = select.poll()
            poller.register(self.pidfd, select.POLLIN)
            if not poller.poll(None if timeout is None else int(timeout * 1000)):
                raise subprocess.TimeoutExpired("kernel", timeout or 0)
        return self.poll() or 0

    def send_signal(self, signum: int) -> None:
        if self.pidfd >= 0:
            signal_pidfd(self.pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.kill()  # pid 1 of a namespace ignores SIGTERM: nothing gentler reaches it

    def close(self) -> None:
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1


class WarmProvisioner(LocalProvisioner):  # type: ignore[misc]
    """LocalProvisioner whose launch asks the zygote instead of running a command."""

    warm: tuple[Zygote, Scratch, Limits, dict[str, str]] | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        assert self.warm is not None
        zygote, scratch, limits, env = self.warm
        self.process = PidfdProcess(zygote.fork(scratch, env, limits))
        self.pid = self.pgid = self.process.pid  # B leads its own session and group
        self.cwd = str(scratch.work)
        return self.connection_info

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart)
        if isinstance(self.process, PidfdProcess):
            self.process.close()


def attach(km: Any, zygote: Zygote, scratch: Scratch, limits: Limits, env: dict[str, str]) -> None:
    """Make ``km`` start its kernel from ``zygote`` (before ``start_kernel``)."""
    import uuid

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    provisioner = WarmProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    provisioner.warm = (zygote, scratch, limits, env)
    km.provisioner = provisioner
