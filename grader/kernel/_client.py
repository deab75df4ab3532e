"""The jupyter_client and nbclient pieces under a kernel session: a manager that ignores the
notebook's kernelspec, clients that cap what they take from the kernel, and connecting.
"""

from __future__ import annotations

import ast
import asyncio
import os
import time
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from traitlets import Type

from grader.kernel import _kernel_user, _protocol, _sandbox

#: Largest single message part taken from the kernel's output channel (iopub) and its replies
#: (shell). ZeroMQ refuses bigger ones before reading them, so a 200 MB print never sits in the
#: grader's memory; what is kept of the output is capped far lower, in ``CappedClient``. A shell
#: message refused there is lost with its connection: the request then times out.
IOPUB_MAX_BYTES = 16 * 1024 * 1024
SHELL_MAX_BYTES = 64 * 1024 * 1024
REPLY_MAX_BYTES = _protocol.REPLY_MAX_BYTES
#: Largest header a refused reply may have for the grader to tell which request it answers.
_HEADER_MAX_BYTES = 64 * 1024
_DELIM = b"<IDS|MSG>"
_OUTPUT_MESSAGES = {"stream", "display_data", "execute_result", "error", "update_display_data"}


class GraderKernelManager(AsyncKernelManager):
    """A kernel from the grader's own interpreter: the notebook's kernelspec is ignored."""

    launch_argv: tuple[str, ...] = ()
    #: The kernel user's group (isolation level ``user``), else None.
    kernel_group: int | None = None

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(argv=list(self.launch_argv), language="python", display_name="grader")

    def write_connection_file(self, **kwargs: Any) -> None:
        """jupyter_client writes it for the grader's user only; a kernel of its own user
        (``_kernel_user``) gets it through its group, read-only."""
        super().write_connection_file(**kwargs)
        if self.kernel_group is not None:
            _kernel_user.share_file(Path(self.connection_file), self.kernel_group)


class _MeasuredChannel(AsyncZMQSocketChannel):
    """A channel whose messages past ``max_decoded`` bytes are measured, never decoded.

    jupyter_client would decode a 60 MB reply as JSON, and the grader parse the answer in it
    twice more (a worker peaked at 600 MB); 150 displays of 15 MB took one to 685 MB. Here the
    parts are received without copying; past the cap only the small headers are read, so the
    message still answers its request, with a stand-in.
    """

    max_decoded: int = REPLY_MAX_BYTES

    async def _recv(self, **kwargs: Any) -> dict[str, Any]:
        assert self.socket is not None
        frames = await self.socket.recv_multipart(copy=False)
        size = sum(len(frame) for frame in frames)
        if size <= self.max_decoded:
            _, message = self.session.feed_identities(frames, copy=False)
            return self.session.deserialize(message, copy=False)
        header, parent = _headers(self.session, frames)
        return self.stand_in(header, parent, size)

    def stand_in(self, header: dict[str, Any], parent: dict[str, Any], size: int) -> dict:
        raise NotImplementedError


class BoundedShellChannel(_MeasuredChannel):
    """Replies: past REPLY_MAX_BYTES, the request's answer is ``too_large``."""

    def stand_in(self, header: dict[str, Any], parent: dict[str, Any], size: int) -> dict:
        content = {"status": "too_large", "bytes": size}
        return _message(header, header.get("msg_type"), parent, content)


class BoundedIopubChannel(_MeasuredChannel):
    """Output: a message larger than the output cap could keep is dropped undecoded."""

    max_decoded = IOPUB_MAX_BYTES

    def stand_in(self, header: dict[str, Any], parent: dict[str, Any], size: int) -> dict:
        return _message(header, DROPPED, parent, {"bytes": size})


#: The type of the stand-in for an output message dropped undecoded.
DROPPED = "grader_dropped"


def _headers(session: Any, frames: list[zmq.Frame]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A message's header and parent header, if they are small and sane; else empty.

    The signature is not checked: it would prove only that the kernel holds its own key.
    """
    delim = next(
        (i for i, f in enumerate(frames) if len(f) == len(_DELIM) and f.bytes == _DELIM), -1
    )
    parts = frames[delim + 2 : delim + 4] if delim >= 0 else []
    if len(parts) != 2 or any(len(f) > _HEADER_MAX_BYTES for f in parts):
        return {}, {}
    try:
        header, parent = (session.unpack(f.bytes) for f in parts)
    except (ValueError, RecursionError):
        return {}, {}
    if not isinstance(header, dict) or not isinstance(parent, dict):
        return {}, {}
    return header, parent


def _message(
    header: dict[str, Any], kind: Any, parent: dict[str, Any], content: dict[str, Any]
) -> dict[str, Any]:
    return {
        "header": header,
        "msg_id": header.get("msg_id"),
        "msg_type": kind,
        "parent_header": parent,
        "metadata": {},
        "content": content,
        "buffers": [],
    }


class CappedKernelClient(AsyncKernelClient):
    """A kernel client whose output and reply sockets refuse oversized messages."""

    shell_channel_class = Type(BoundedShellChannel)
    iopub_channel_class = Type(BoundedIopubChannel)

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


class CappedClient(NotebookClient):
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
        if kind == DROPPED:
            self.dropped = True
            return None
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


def new_manager(scratch: _sandbox.Scratch) -> GraderKernelManager:
    """Unix sockets in the scratch folder where there are any (they cross bubblewrap's network
    namespace, loopback TCP does not); loopback TCP on Windows."""
    if os.name == "posix":
        return GraderKernelManager(transport="ipc", ip=str(scratch.sockets))
    return GraderKernelManager()


def open_channels(client: NotebookClient) -> None:
    """The client's channels to its kernel, opened without waiting (the kernel may still be
    starting). A kernel launched ahead has them opened at launch, so its output subscription is
    live long before ``connect``, which then need not wait for it."""
    km = client.km
    assert km is not None
    if client.kc is not None:
        return
    kc = km.client()
    kc.start_channels()
    # Output that could never be kept whole is not decoded either.
    kc.iopub_channel.max_decoded = min(IOPUB_MAX_BYTES, 2 * client.output_cap + 2**20)
    kc.allow_stdin = False
    client.kc = kc


async def connect(client: NotebookClient, timeout: float, first: str | None = None) -> str | None:
    """nbclient's start_new_kernel_client without its fixed 0.2 s wait for a quiet IOPub.

    Ready is a reply on the shell channel plus one IOPub message: proof that the output
    subscription is live, so the first cell's output and status are not lost. The probe is a
    comm_info request, not kernel_info: IPython 9 puts a tip drawn from the global ``random``
    into the banner of every kernel_info reply, and a kernel launched ahead has run the seeding
    before-cells code already, so a kernel_info here moved the notebook's first draws.
    ``first``: the id of that code's request, sent before the probe; returns ``reply_error``
    of its reply (None where it ran).
    """
    km = client.km
    assert km is not None
    open_channels(client)
    kc = client.kc
    assert kc is not None
    deadline = time.monotonic() + timeout
    failed = None
    while time.monotonic() < deadline:
        msg_id = kc.comm_info()
        try:
            failed = await _replies_until(kc, msg_id, first) or failed
        except Empty:
            if not await km.is_alive():
                raise RuntimeError("the kernel died while starting") from None
            continue
        try:
            await kc.get_iopub_msg(timeout=0.1)
        except Empty:
            continue
        return failed
    raise RuntimeError(f"the kernel was not ready after {timeout:g} s")


async def _replies_until(kc: Any, msg_id: str, first: str | None) -> str | None:
    """Read shell replies up to ``msg_id``'s; ``reply_error`` of ``first``'s, if among them."""
    failed = None
    while True:
        reply = await kc.get_shell_msg(timeout=1.0)
        parent = reply["parent_header"].get("msg_id")
        if parent == msg_id:
            return failed
        if first is not None and parent == first:
            failed = reply_error(reply)


def cancel_leftovers() -> None:
    """After an interrupt unwound out of the event loop: cancel the tasks it left half-way.

    The loop is this thread's for good (jupyter_core's ``run_sync``), so they would otherwise
    run on during the cleanup, against a kernel being killed, and print their errors
    ("Task exception was never retrieved") when they are collected.
    """
    try:
        from jupyter_core.utils import ensure_event_loop
    except ImportError:  # an older jupyter_core, whose run_sync keeps no loop of its own
        return
    loop = ensure_event_loop()
    if loop.is_running():
        return
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


async def drain(kc: Any) -> None:
    """Throw away what the kernel published (prints, displays): none of it counts."""
    while True:
        try:
            await kc.get_iopub_msg(timeout=0)
        except (Empty, asyncio.TimeoutError):
            return


def reply_error(reply: dict[str, Any]) -> str | None:
    """The type name of what a request raised in the kernel (``"an error"`` where the kernel
    sent no plain name: its text is never passed on), or None where it ran."""
    content = reply.get("content", {})
    if content.get("status") == "ok":
        return None
    name = content.get("ename")
    plain = isinstance(name, str) and name.isidentifier() and len(name) <= 80
    return name if plain else "an error"


def reply_text(reply: dict[str, Any]) -> str | None:
    """The text a request left in ``__grader_out__``, or why there is none.

    It comes as the ``repr`` of a string: decoded by ``ast.literal_eval``, never run. A reply
    refused for its size gives ``_protocol.TOO_LARGE``.
    """
    content = reply.get("content", {})
    if content.get("status") == "too_large":
        return _protocol.TOO_LARGE
    if content.get("status") != "ok":
        return None
    out = content.get("user_expressions", {}).get("out", {})
    text = out.get("data", {}).get("text/plain") if out.get("status") == "ok" else None
    if not isinstance(text, str):
        return None
    if len(text) > REPLY_MAX_BYTES:
        return _protocol.TOO_LARGE
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def pid_of(km: Any) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    return getattr(process, "pid", None)
