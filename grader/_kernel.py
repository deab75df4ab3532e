"""One submission's kernel: run the notebook's cells, then answer requests for function calls.

nbclient executes the cells; a watchdog of our own kills the kernel's whole process group when a
cell outlives its timeout (nbclient alone hangs on a cell that ignores SIGINT). A kernel that dies
is restarted and the notebook rerun without the fatal cell, so the student's other answers still
count.
"""

from __future__ import annotations

import ast
import asyncio
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from grader import _protocol, _sandbox
from grader._limits import Limits
from grader.errors import KernelStartError

#: Largest single message taken from the kernel's output channel (iopub) and its replies (shell).
#: ZeroMQ refuses bigger ones before reading them, so a 200 MB print never sits in the grader's
#: memory; what is kept of the output is capped far lower, in ``_CappedClient``.
IOPUB_MAX_BYTES = 16 * 1024 * 1024
SHELL_MAX_BYTES = 96 * 1024 * 1024
_OUTPUT_MESSAGES = {"stream", "display_data", "execute_result", "error", "update_display_data"}


class _GraderKernelManager(AsyncKernelManager):
    """A kernel from the grader's own interpreter: the notebook's kernelspec is ignored."""

    launch_argv: tuple[str, ...] = ()

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(argv=list(self.launch_argv), language="python", display_name="grader")


class _CappedKernelClient(AsyncKernelClient):
    """A kernel client whose output and reply sockets refuse oversized messages."""

    def connect_iopub(self, identity: bytes | None = None) -> zmq.Socket:
        return self._capped(super().connect_iopub, IOPUB_MAX_BYTES, identity)

    def connect_shell(self, identity: bytes | None = None) -> zmq.Socket:
        return self._capped(super().connect_shell, SHELL_MAX_BYTES, identity)

    def _capped(self, connect: Any, cap: int, identity: bytes | None) -> zmq.Socket:
        """A context's options are the defaults of the sockets it makes next (before connect)."""
        self.context.setsockopt(zmq.MAXMSGSIZE, cap)
        try:
            return connect(identity=identity)
        finally:
            self.context.sockopts.pop(zmq.MAXMSGSIZE, None)


class _CappedClient(NotebookClient):
    """nbclient keeps every output byte; a 200 MB print must not take the grader with it.

    ``dropped``: output beyond ``output_cap`` characters, or a message over IOPUB_MAX_BYTES (the
    cell's idle status then never comes). ``exit_asked``: the last cell called ``exit()``.
    """

    output_cap: int = 1024 * 1024
    _kept: int = 0
    _idle: bool = False
    dropped: bool = False
    exit_asked: bool = False

    def process_message(self, msg, cell, cell_index):  # type: ignore[no-untyped-def]
        kind, content = msg.get("msg_type"), msg.get("content") or {}
        if kind == "status" and content.get("execution_state") == "idle":
            self._idle = True
        elif kind in _OUTPUT_MESSAGES and not self._admit(kind, content):
            return None
        return super().process_message(msg, cell, cell_index)

    def _admit(self, kind: str, content: dict[str, Any]) -> bool:
        """Count an output against the cap; the stream that crosses it is cut, the rest dropped."""
        size = _protocol.message_size(content)
        if self._kept + size <= self.output_cap:
            self._kept += size
            return True
        self.dropped = True
        room, self._kept = self.output_cap - self._kept, self.output_cap
        if kind != "stream" or room <= 0:
            return False
        content["text"] = str(content.get("text"))[:room] + "\n[the grader dropped the rest]\n"
        return True

    def before_cell(self) -> None:
        self._idle = self.exit_asked = False

    def after_cell(self, cell: Any, cell_index: int, execute_reply: Any) -> None:
        """nbclient's ``on_cell_executed`` hook: the reply has come, and the output with it."""
        if not self._idle:  # output lost in transit: ZeroMQ closed the channel, wait no more
            self.dropped, self.iopub_timeout = True, 0
        self.exit_asked = _protocol.asked_exit(execute_reply)


@dataclass
class CellOutcome:
    """How one code cell ended: ``ok``, ``error``, ``timeout`` or ``kernel_died``."""

    index: int
    status: str
    message: str = ""


@dataclass
class Execution:
    """What running the notebook's cells gave, for feedback."""

    cells: list[CellOutcome] = field(default_factory=list)
    restarts: int = 0
    skipped: list[int] = field(default_factory=list)
    output_dropped: bool = False
    #: Fatal cells outnumbered the restarts: the last kernel runs none of the notebook.
    gave_up: bool = False

    @property
    def errors(self) -> list[CellOutcome]:
        return [c for c in self.cells if c.status != "ok"]


class KernelDied(Exception):
    """The kernel stopped answering (it died, or was killed for overrunning a time limit)."""


class KernelTimeout(KernelDied):
    """The kernel was killed because a request overran its budget: the code ignored its limits."""


class KernelSession:
    """A fresh kernel for one notebook, in its own scratch folder, torn down on exit."""

    def __init__(self, notebook: Path, limits: Limits, data_files: tuple[Path, ...] = ()) -> None:
        self.notebook_path = notebook
        self.limits = limits
        self.data_files = data_files
        self.nb = nbformat.read(notebook, as_version=4)
        self.execution = Execution()
        self.deadline = time.monotonic() + limits.notebook_seconds
        self._scratch: _sandbox.Scratch | None = None
        self._client: _CappedClient | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> KernelSession:
        self._scratch = _sandbox.Scratch.create(self.notebook_path, self.data_files)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_kernel()
        if self._scratch is not None:
            self._scratch.remove()

    def _start_kernel(self) -> None:
        assert self._scratch is not None
        launch = _sandbox.prepare_launch(self._scratch, self.limits)
        km = _new_manager(self._scratch)
        km.launch_argv = tuple(launch.argv)
        km.client_factory = _CappedKernelClient
        km.connection_file = str(self._scratch.run / "kernel.json")
        client = _CappedClient(
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
        try:
            client.start_new_kernel(**launch.popen_kwargs)
            run_sync(_connect)(client, 60.0)
        except Exception as exc:
            _sandbox.kill_process_group(_pid(km))
            raise KernelStartError(f"could not start a kernel: {exc!r}") from exc
        self._client = client
        self._request(_protocol.output_cap_request(self.limits.output_bytes), 30, False)

    def _stop_kernel(self) -> None:
        client, self._client = self._client, None
        if client is None or client.km is None:
            return
        km = client.km
        self.execution.output_dropped |= client.dropped
        _sandbox.kill_process_group(_pid(km))
        if self._scratch is not None:
            self._scratch.kill_all()  # what left the process group (setsid, a fork bomb's tail)
        try:
            if client.kc is not None:
                client.kc.stop_channels()
            run_sync(km.cleanup_resources)()
        except Exception:
            pass

    # -- the notebook's cells ----------------------------------------------------------------
    def run_notebook(self) -> Execution:
        """Run every code cell; restart past a cell that kills or hangs the kernel."""
        while True:
            self._start_kernel()
            fatal = self._run_cells()
            if fatal is None:
                break
            self.execution.skipped.append(fatal)
            self._stop_kernel()
            if self.execution.restarts >= self.limits.max_restarts or self._out_of_time():
                self.execution.gave_up = True
                self._start_kernel()
                break
            self.execution.restarts += 1
            self._forget_cells()
        self._install_driver()
        self.execution.output_dropped |= bool(self._client and self._client.dropped)
        return self.execution

    def _forget_cells(self) -> None:
        """Before a rerun: only the outcomes of the cells skipped from now on are kept."""
        skipped = self.execution.skipped
        self.execution.cells = [c for c in self.execution.cells if c.index in skipped]

    def _run_cells(self) -> int | None:
        """Run the cells not yet skipped; return the index of a fatal cell, if one is met."""
        assert self._client is not None
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code" or index in self.execution.skipped:
                continue
            outcome = self._run_cell(cell, index)
            self.execution.cells.append(outcome)
            if outcome.status in ("timeout", "kernel_died"):
                return index
            if self._out_of_time():
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
                return CellOutcome(index, "kernel_died", "the kernel died while it ran")
            except CellExecutionError as exc:
                return CellOutcome(index, "error", f"{exc.ename}: {exc.evalue}"[:300])
        if client.exit_asked:
            return CellOutcome(index, "kernel_died", "it shut the kernel down (exit() or quit())")
        return CellOutcome(index, "ok")

    @contextmanager
    def _watchdog(self, seconds: float) -> Iterator[None]:
        """Kill the kernel's process group if nbclient has not returned in time."""
        self._killed = False
        pid = _pid(self._client.km) if self._client else None

        def fire() -> None:
            self._killed = True
            _sandbox.kill_process_group(pid)

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    # -- calls into the student's functions ---------------------------------------------------
    def _install_driver(self) -> None:
        self._request(_protocol.install_request(), 30, want_result=False)

    def inventory(self) -> dict[str, list[str] | None]:
        return _protocol.parse_inventory(self._request(_protocol.INVENTORY_REQUEST, 30))

    def call(
        self, function: str, kinds: list[str], cases: list[list[Any]]
    ) -> list[_protocol.Outcome]:
        """Call ``function`` on every case in one round trip; a dead kernel raises KernelDied."""
        limits = self.limits
        code = _protocol.run_request(
            function, kinds, cases, limits.call_cpu_seconds, limits.call_wall_seconds
        )
        budget = 10 + len(cases) * (limits.call_cpu_seconds + 0.05)
        budget = min(budget, limits.call_wall_seconds * 3 + 10)
        return _protocol.parse_outcomes(self._request(code, budget), len(cases))

    def restart(self) -> None:
        """A fresh kernel with the notebook rerun (fatal cells skipped), after one died."""
        self._stop_kernel()
        if self._out_of_time():
            raise KernelDied("no time left")
        if self.execution.restarts >= self.limits.max_restarts:
            raise KernelDied("no restarts left")
        self.execution.restarts += 1
        self._forget_cells()
        self.run_notebook()

    def _request(self, code: str, budget: float, want_result: bool = True) -> str | None:
        client = self._client
        if client is None or client.kc is None:
            raise KernelDied("no kernel")
        budget = max(1.0, min(budget, self.deadline - time.monotonic()))
        try:
            return run_sync(self._async_request)(client, code, budget, want_result)
        except KernelDied:
            self._stop_kernel()
            raise

    async def _async_request(
        self, client: NotebookClient, code: str, budget: float, want_result: bool
    ) -> str | None:
        kc = client.kc
        assert kc is not None and client.km is not None
        expressions = {"out": "__grader_out__"} if want_result else {}
        msg_id = kc.execute(
            code, silent=True, store_history=False, user_expressions=expressions, allow_stdin=False
        )
        deadline = time.monotonic() + budget
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _sandbox.kill_process_group(_pid(client.km))
                raise KernelTimeout("the kernel did not answer in time")
            try:
                reply = await kc.get_shell_msg(timeout=min(remaining, 1.0))
            except Empty:
                await _drain(kc)
                if not await client.km.is_alive():
                    raise KernelDied("the kernel died") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                await _drain(kc)
                if _protocol.asked_exit(reply):
                    _sandbox.kill_process_group(_pid(client.km))
                    raise KernelDied("the code called exit()")
                return _reply_text(reply) if want_result else None


def _new_manager(scratch: _sandbox.Scratch) -> _GraderKernelManager:
    """Unix sockets in the scratch folder where there are any (they cross bubblewrap's network
    namespace, loopback TCP does not); loopback TCP on Windows."""
    if os.name == "posix":
        return _GraderKernelManager(transport="ipc", ip=str(scratch.run / "kernel"))
    return _GraderKernelManager()


async def _connect(client: NotebookClient, timeout: float) -> None:
    """nbclient's start_new_kernel_client without its fixed 0.2 s wait for a quiet IOPub.

    Ready is a kernel_info reply plus one IOPub message: proof that the output subscription is
    live, so the first cell's output and status are not lost.
    """
    km = client.km
    assert km is not None
    kc = km.client()
    kc.start_channels()
    kc.allow_stdin = False
    client.kc = kc
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg_id = kc.kernel_info()
        try:
            while (await kc.get_shell_msg(timeout=1.0))["parent_header"].get("msg_id") != msg_id:
                pass
        except Empty:
            if not await km.is_alive():
                raise RuntimeError("the kernel died while starting") from None
            continue
        try:
            await kc.get_iopub_msg(timeout=0.1)
        except Empty:
            continue
        return
    raise RuntimeError(f"the kernel was not ready after {timeout:g} s")


async def _drain(kc: Any) -> None:
    """Throw away what the kernel published (prints, displays): none of it counts."""
    while True:
        try:
            await kc.get_iopub_msg(timeout=0)
        except (Empty, asyncio.TimeoutError):
            return


def _reply_text(reply: dict[str, Any]) -> str | None:
    content = reply.get("content", {})
    if content.get("status") != "ok":
        return None
    out = content.get("user_expressions", {}).get("out", {})
    text = out.get("data", {}).get("text/plain") if out.get("status") == "ok" else None
    if not isinstance(text, str) or len(text) > 64 * 1024 * 1024:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _pid(km: Any) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    return getattr(process, "pid", None)
