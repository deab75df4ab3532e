"""Requests to a submission's running kernel: calls into its functions, values, what it defines.

The part of ``_session.KernelSession`` that talks to a kernel once its cells have run: each
request is one execute message, timed by the submission's CPU where its cgroup counts it (so a
loaded machine costs nobody marks), and a kernel found dead raises the right ``KernelDied``.
"""

from __future__ import annotations

from pathlib import Path
from queue import Empty
from typing import Any, Literal

from jupyter_core.utils import run_sync
from nbclient import NotebookClient

from grader.errors import KernelSetupError
from grader.kernel import _client, _phases, _process, _protocol, _sandbox
from grader.kernel._budget import Budget
from grader.kernel._execution import KernelDied, KernelOutOfMemory, KernelTimeout
from grader.kernel._limits import Limits

#: Bytes of a call's inputs above which they go to the kernel as a file, not in the code.
INLINE_BYTES = 512


class KernelRequests:
    """What a session asks its kernel; the session (``KernelSession``) owns the kernel."""

    limits: Limits
    deadline: float
    _client: _client.CappedClient | None
    _scratch: _sandbox.Scratch | None
    _oom_seen: int
    #: Files of call inputs written so far (``_inputs_file``), for the next one's name.
    _calls: int = 0

    def stop_kernel(self) -> None:
        raise NotImplementedError

    def _install_driver(self) -> None:
        assert self._scratch is not None
        with _phases.phase("calls", self._cpu_seconds):
            self._set_up(_protocol.install_request(self._scratch.conn), "after the cells")

    def _set_up(self, code: str, when: Literal["before the cells", "after the cells"]) -> None:
        """Run the grader's own code in the kernel; KernelSetupError where it failed there, so
        a kernel half set up is never graded (every function "not defined", say)."""
        failed = self._request(code, 30, want_result=False)
        if failed is not None:
            raise KernelSetupError(when, failed)

    def survey(self, names: list[str]) -> tuple[dict[str, list[str] | None], dict[str, str]]:
        """The notebook's top-level callables (name -> its parameters' names, None where it
        has no signature) and which of ``names`` it imported (name -> module): one request."""
        return _protocol.parse_survey(self._request(_protocol.survey_request(names), 30))

    def call(
        self,
        function: str,
        kinds: list[str],
        cases: list[list[Any]],
        rich: bool = False,
        every: bool = False,
        seeds: list[int] | None = None,
    ) -> list[_protocol.Outcome]:
        """Call ``function`` on every case in one round trip; a dead kernel raises KernelDied."""
        limits = self.limits
        code = _protocol.run_request(
            function,
            kinds,
            cases,
            limits.call_cpu_seconds,
            limits.call_wall_seconds,
            rich,
            every,
            seeds,
            self._inputs_file(cases, seeds),
        )
        budget = 10 + len(cases) * (limits.call_cpu_seconds + 0.05)
        budget = min(budget, limits.call_wall_seconds * 3 + 10)
        reply = self._request(code, budget)
        if self.oom_kills() > self._oom_seen:  # a child or a tmpfs write went over the cap
            self.stop_kernel()
            raise self._dead("a process was killed")
        return _protocol.parse_outcomes(reply, len(cases), rich)

    def _inputs_file(self, cases: list[list[Any]], seeds: list[int] | None) -> Path | None:
        """A call's inputs as a file of ``conn`` (``_protocol.run_request``), unless so few
        that they cost less in the request's code than a file (or there is no scratch)."""
        content = _protocol.call_inputs(cases, seeds)
        if self._scratch is None or len(content) < INLINE_BYTES:
            return None
        self._calls += 1
        return self._scratch.put(f"call-{self._calls}.json", content)

    def fetch(self, name: str, rich: bool = False) -> list[_protocol.Outcome]:
        """One top-level value of the notebook, as one outcome; a dead kernel raises."""
        reply = self._request(_protocol.value_request(name, rich), self.limits.call_wall_seconds)
        return _protocol.parse_outcomes(reply, 1, rich)

    def _request(self, code: str, budget: float, want_result: bool = True) -> str | None:
        """Send ``code``; ``budget`` is CPU seconds of the whole submission where its cgroup
        counts them (so a loaded machine costs nobody marks), wall-clock seconds elsewhere.
        Returns ``_client.reply_text``, or without ``want_result`` ``_client.reply_error``."""
        client = self._client
        if client is None or client.kc is None:
            raise KernelDied("no kernel")
        try:
            return run_sync(self._async_request)(client, code, budget, want_result)
        except KernelDied:
            self.stop_kernel()
            raise

    def cpu_seconds(self) -> float | None:
        """CPU seconds the submission's processes used so far, where its cgroup counts them."""
        return self._cpu_seconds()

    def _cpu_seconds(self) -> float | None:
        group = self._scratch.cgroup if self._scratch else None
        return group.cpu_seconds() if group is not None else None

    def oom_kills(self) -> int:
        """Processes of this submission killed so far for going over its memory cap."""
        group = self._scratch.cgroup if self._scratch else None
        return group.oom_kills() if group is not None else 0

    def resources(self) -> dict[str, str]:
        """What the submission used, from its cgroup, for the report (empty where none)."""
        group = self._scratch.cgroup if self._scratch else None
        if group is None:
            return {}
        found = {"cgroups": ",".join(group.controllers)}
        cpu, peak = group.cpu_seconds(), group.memory_peak_bytes()
        if cpu is not None:
            found["cpu_seconds"] = f"{cpu:.3f}"
        if peak is not None:
            found["memory_peak_mb"] = f"{peak / 2**20:.1f}"
        return found

    def _dead(self, why: str) -> KernelDied:
        """The right exception for a kernel found dead: out of memory if its cgroup says so."""
        if self.oom_kills() > self._oom_seen:
            self._oom_seen = self.oom_kills()
            return KernelOutOfMemory(
                f"the submission went over its memory cap of {self.limits.memory_mb} MiB "
                "(all its processes and files together)"
            )
        return KernelDied(why)

    async def _async_request(
        self, client: NotebookClient, code: str, budget: float, want_result: bool
    ) -> str | None:
        kc = client.kc
        assert kc is not None and client.km is not None
        expressions = {"out": "__grader_out__"} if want_result else {}
        msg_id = kc.execute(
            code, silent=True, store_history=False, user_expressions=expressions, allow_stdin=False
        )
        clock = Budget(budget, self._cpu_seconds, self.deadline)
        while True:
            if clock.spent():
                _process.kill_process_group(_client.pid_of(client.km))
                raise KernelTimeout("the kernel did not answer in time")
            try:
                reply = await kc.get_shell_msg(timeout=clock.wait())
            except Empty:
                await _client.drain(kc)
                if not await client.km.is_alive():
                    raise self._dead("the kernel died") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                await _client.drain(kc)
                if _protocol.asked_exit(reply):
                    _process.kill_process_group(_client.pid_of(client.km))
                    raise KernelDied("the code called exit()")
                return (_client.reply_text if want_result else _client.reply_error)(reply)
