"""One process's runtime state (``grader.kernel._runtime``): made on first use, one per class,
and none of it in a fork (the parent's sessions and zygote are not the child's)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from grader.kernel import _runtime, _session, _warm


@dataclass
class Counter:
    seen: list[str] = field(default_factory=list)


def test_a_part_is_made_once_per_process_and_class():
    first = _runtime.part(Counter)
    first.seen.append("here")
    assert _runtime.part(Counter) is first
    assert _runtime.part(_warm.WarmState) is _warm.state()
    assert _runtime.current().owner == os.getpid()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_fork_starts_with_none_of_its_parents_state():
    _runtime.part(Counter).seen.append("parent")
    sessions = _runtime.part(_session.OpenSessions)
    marker = object()
    sessions.open.add(marker)  # type: ignore[arg-type]
    try:
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover (runs in the child)
            try:
                fresh = (
                    _runtime.part(Counter).seen == []
                    and not _runtime.part(_session.OpenSessions).open
                    and _warm.state().zygote is None
                    and _runtime.current().owner == os.getpid()
                )
                os.write(write, b"fresh" if fresh else b"inherited")
            finally:
                os._exit(0)
        os.close(write)
        answer = os.read(read, 64)
        os.close(read)
        os.waitpid(child, 0)
    finally:
        sessions.open.discard(marker)  # type: ignore[arg-type]
    assert answer == b"fresh"
    assert "parent" in _runtime.part(Counter).seen  # the parent keeps its own
