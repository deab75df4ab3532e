"""One submission's kernel: its lifecycle, its notebook's cells, and requests for function calls.

nbclient executes the cells; a watchdog of our own kills the kernel's whole process group when a
cell outlives its timeout (nbclient alone hangs on a cell that ignores SIGINT). When a kernel
dies, the restart policy (``_restarts``) decides whether a fresh one reruns the notebook without
the fatal cell, so the student's other answers still count. ``CellOutcome``, ``Execution`` and
the ``KernelDied`` family live in ``_execution`` and are imported from here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from grader.errors import KernelSetupError, KernelStartError
from grader.kernel import (
    _client,
    _phases,
    _process,
    _protocol,
    _runtime,
    _sandbox,
    _warm,
    _warm_provisioner,
)
from grader.kernel._execution import (  # the KernelDied family, imported from here too
    CellOutcome,
    Execution,
    KernelDied,
    KernelOutOfMemory,
    KernelTimeout,
)
from grader.kernel._limits import Limits
from grader.kernel._requests import KernelRequests
from grader.kernel._restarts import RestartPolicy

__all__ = [
    "CellOutcome", "Execution", "KernelDied", "KernelOutOfMemory", "KernelSession",
    "KernelTimeout", "OpenSessions", "stop_sessions",
]  # fmt: skip


@dataclass
class OpenSessions:
    """This process's part of the runtime state (``_runtime``): its sessions between enter and
    exit, and whether it is stopping (it starts no kernel any more)."""

    open: set[KernelSession] = field(default_factory=set)
    stopping: bool = False


def stop_sessions() -> bool:
    """Kill the kernels of every open session and remove their scratch folders, and start no
    kernel from now on; whether any session was open.

    For a signal handler (a batch's worker told to stop): nothing is unwound for this, so it
    works wherever the signal lands, and code that goes on past the handler meets
    KeyboardInterrupt when it next wants a kernel.
    """
    state = _runtime.part(OpenSessions)
    state.stopping = True
    sessions = list(state.open)
    for session in sessions:
        session.abandon()
    return bool(sessions)


def _refuse_if_stopping() -> None:
    if _runtime.part(OpenSessions).stopping:
        raise KeyboardInterrupt("the grader is stopping")


class KernelSession(KernelRequests):
    """A fresh kernel for one notebook, in its own scratch folder, torn down on exit."""

    def __init__(
        self,
        notebook: Path,
        limits: Limits,
        data_files: tuple[Path, ...] = (),
        nb: nbformat.NotebookNode | None = None,
    ) -> None:
        """``nb``: the notebook already read and validated, so it is not parsed twice."""
        self.notebook_path = notebook
        self.limits = limits
        self.data_files = data_files
        self.nb = nb if nb is not None else nbformat.read(notebook, as_version=4)
        self.execution = Execution()
        self.deadline = time.monotonic() + limits.notebook_seconds
        self._scratch: _sandbox.Scratch | None = None
        self._oom_seen = 0
        #: Filled on exit: what the submission used, and whether any of its processes survived.
        self.usage: dict[str, str] = {}
        self.survivors = False
        self._client: _client.CappedClient | None = None
        #: Kernels forked from this process's zygote (``_warm``): bwrap, and GRADER_WARM not 0.
        self._warm = False
        #: ``self._client``'s kernel launched ahead (``launch``), not connected yet: whether it
        #: was forked warm; None where there is none.
        self._ahead: bool | None = None
        #: The id of the before-cells request a kernel launched ahead was sent (``launch``).
        self._ahead_setup: str | None = None
        self._restarts = RestartPolicy(self, limits, self.execution)

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> KernelSession:
        if self._scratch is not None:  # entered already, to launch its kernel ahead
            return self
        _refuse_if_stopping()
        self._warm = _sandbox.warm_wanted()
        base = _warm.inbox() if self._warm else None
        with _phases.phase("start"):
            self._scratch = _sandbox.Scratch.create(self.notebook_path, self.data_files, base)
        _runtime.part(OpenSessions).open.add(self)
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        with _phases.phase("teardown"):
            self._exit(kind)

    def _exit(self, kind: type[BaseException] | None) -> None:
        try:
            if kind is not None and not issubclass(kind, Exception):  # Ctrl-C, SystemExit
                _client.cancel_leftovers()
            self.stop_kernel()
            if self._scratch is not None:
                self.usage = self.resources()
                self.survivors = not self._scratch.kill_all()
                self._scratch.remove()
                self.execution.sockets_full = self._scratch.run_full
        finally:
            _runtime.part(OpenSessions).open.discard(self)

    def abandon(self) -> None:
        """Kill the kernel and everything of the submission, remove its scratch folder."""
        client = self._client
        if client is not None and client.km is not None:
            _process.kill_process_group(_client.pid_of(client.km))
        if self._scratch is not None:
            with contextlib.suppress(OSError):
                self._scratch.remove()  # closes the lifeline and kills the cgroup's processes

    def start_kernel(self) -> None:
        with _phases.phase("start", self._cpu_seconds):
            self._start_kernel()

    def launch(self) -> None:
        """Start the first kernel's process now, without waiting for it to answer: a worker
        asks this of its next submission while it grades the one before, so that kernel boots
        meanwhile, and ``start_kernel`` then only connects to it. The kernel is this
        submission's (its scratch folder and cgroup, never another's); where the launch fails,
        nothing of it is left and ``start_kernel`` starts one as it would have."""
        _refuse_if_stopping()
        assert self._scratch is not None and self._client is None
        with _phases.phase("start", self._cpu_seconds):
            launch = _sandbox.prepare_launch(self._scratch, self.limits)
            client, warm = self._new_client(launch)
            self._client = client  # from now on stop_kernel and abandon reach it
            try:
                client.start_new_kernel(**launch.popen_kwargs)
                _client.open_channels(client)  # subscribed to its output while it boots
                assert client.kc is not None
                # Run as soon as it is up: its shell answers in order, so the probe's reply
                # that ``connect`` waits for comes once this has run, before any cell.
                self._ahead_setup = client.kc.execute(
                    self._before_cells(), silent=True, store_history=False
                )
            except Exception as exc:
                self.stop_kernel()
                if warm:
                    _warm.note_failure(exc)
                    self._warm = False
                return
            self._ahead = warm

    def _start_kernel(self) -> None:
        _refuse_if_stopping()
        assert self._scratch is not None
        setup = None  # the id of the before-cells request, sent at a launch ahead
        if self._ahead is not None:
            client, warm, launch, setup = self._client, self._ahead, None, self._ahead_setup
            self._ahead = None
        else:
            launch = _sandbox.prepare_launch(self._scratch, self.limits)
            client, warm = self._new_client(launch)
        assert client is not None
        try:
            if launch is not None:
                client.start_new_kernel(**launch.popen_kwargs)
            failed = run_sync(_client.connect)(client, 60.0, setup)
        except Exception as exc:
            self._client = client
            self.stop_kernel()  # its sockets too: a context left to the GC can block forever
            if warm:  # no student code has run yet: the zygote failed, not the notebook
                _warm.note_failure(exc)
                self._warm = False
                return self._start_kernel()
            raise KernelStartError(f"could not start a kernel: {exc!r}") from exc
        self._client = client
        if failed is not None:  # launched ahead, the kernel has run it already
            raise KernelSetupError("before the cells", failed)
        if launch is not None:
            self._set_up(self._before_cells(), "before the cells")

    def _before_cells(self) -> str:
        assert self._scratch is not None
        return _protocol.before_cells_request(self.limits.output_bytes, self._scratch.conn)

    def _new_client(self, launch: _sandbox.Launch) -> tuple[_client.CappedClient, bool]:
        """The client and manager of one kernel, and whether it is forked from the zygote."""
        assert self._scratch is not None
        km = _client.new_manager(self._scratch)
        km.launch_argv = tuple(launch.argv)
        km.kernel_group = launch.kernel_group
        km.client_factory = _client.CappedKernelClient
        km.connection_file = str(self._scratch.conn / "kernel.json")
        zygote = _warm.zygote() if self._warm else None
        if zygote is not None:  # else cold, as without GRADER_WARM: never a weaker sandbox
            _warm_provisioner.attach(
                km, zygote, self._scratch, self.limits, launch.popen_kwargs["env"]
            )
        client = _client.CappedClient(
            self.nb,
            km=km,
            timeout=int(max(1, self.limits.cell_timeout)),
            allow_errors=False,
            interrupt_on_timeout=False,
            record_timing=False,
            startup_timeout=60,
            iopub_timeout=2,
        )
        client.output_cap = self.limits.output_bytes
        client.on_cell_executed = client.after_cell
        return client, zygote is not None

    def stop_kernel(self) -> None:
        client, self._client = self._client, None
        self._ahead = None
        if client is None or client.km is None:
            return
        km = client.km
        self.execution.output_dropped |= client.dropped
        _process.kill_process_group(_client.pid_of(km))
        if self._scratch is not None:
            self._scratch.kill_all()  # what left the process group (setsid, a fork bomb's tail)
        try:
            if client.kc is not None:
                client.kc.stop_channels()
                # Unsent requests to a dead kernel would block the context's term() forever
                # (in the garbage collector, anywhere): drop them now.
                client.kc.context.destroy(linger=0)
            run_sync(km.cleanup_resources)()
        except Exception:
            pass

    # -- the notebook's cells ----------------------------------------------------------------
    def run_notebook(self) -> Execution:
        """Run every code cell, past a cell that kills or hangs the kernel (``_restarts``)."""
        self._restarts.run()
        return self._ready_for_calls()

    def restart(self) -> None:
        """A fresh kernel with the notebook rerun (fatal cells skipped), after one died;
        KernelDied when no time or no restart is left."""
        self._restarts.revive()
        self._ready_for_calls()

    def _ready_for_calls(self) -> Execution:
        self._install_driver()
        self.execution.output_dropped |= bool(self._client and self._client.dropped)
        return self.execution

    def run_cells(self) -> int | None:
        """Run the cells not yet skipped; return the index of a fatal cell, if one is met."""
        with _phases.phase("cells", self._cpu_seconds):
            return self._run_cells()

    def _run_cells(self) -> int | None:
        assert self._client is not None
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code" or index in self.execution.skipped:
                continue
            outcome = self._run_cell(cell, index)
            self.execution.cells.append(outcome)
            if outcome.status in ("timeout", "kernel_died", "resource_limit"):
                return index
            if self.out_of_time():
                return None
        return None

    def _run_cell(self, cell: Any, index: int) -> CellOutcome:
        client = self._client
        assert client is not None
        timeout = min(self.limits.cell_timeout, max(1.0, self.deadline - time.monotonic()))
        client.timeout = int(max(1, timeout))
        client.before_cell()
        with self._watchdog(timeout + 5):
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                return CellOutcome(index, "timeout", f"it ran longer than {timeout:g} s")
            except DeadKernelError:
                if self._killed:
                    return CellOutcome(index, "timeout", f"it ran longer than {timeout:g} s")
                died = self._dead("the kernel died while it ran")
                if isinstance(died, KernelOutOfMemory):
                    return CellOutcome(index, "resource_limit", str(died))
                return CellOutcome(index, "kernel_died", str(died))
            except CellExecutionError as exc:
                outcome = CellOutcome(index, "error", f"{exc.ename}: {exc.evalue}"[:300])
            else:
                outcome = CellOutcome(index, "ok")
                if client.exit_asked:
                    text = "it shut the kernel down (exit() or quit())"
                    outcome = CellOutcome(index, "kernel_died", text)
        if self.oom_kills() > self._oom_seen:  # the kernel lived; a process of it did not
            return CellOutcome(index, "resource_limit", str(self._dead("")))
        return outcome

    @contextmanager
    def _watchdog(self, seconds: float) -> Iterator[None]:
        """Kill the kernel's process group if nbclient has not returned in time."""
        self._killed = False
        pid = _client.pid_of(self._client.km) if self._client else None

        def fire() -> None:
            self._killed = True
            _process.kill_process_group(pid)

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline
