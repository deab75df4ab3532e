"""What a grading process holds for its whole life, in one place: its runtime state.

Some state belongs to the process, not to a call or an object: its open kernel sessions and
whether it is stopping (``kernel._session``), its warm kernels' zygote and inbox
(``kernel._warm``), a pool worker's stop (``grading._worker``), the assignments a worker loaded
for the plans it was sent (``assignment._plan``), a Dask worker's plans
(``integrations._dask_task``) and the warnings given once (``integrations._dask_security``).
Each of those modules declares its part as a small class whose constructor takes no argument,
next to the code that uses it, and asks for it with ``part(ThatClass)``; nothing else keeps
state at module level. The kernel, the bottom layer, knows no part: the layers above import
this module, never the other way round.

Lifetime: a process's state is made on its first use and lives as long as the process; each
part is made on its first use. A fork of a process that had state starts with none, checked by
the owner's pid on every use: the parent's sessions, zygote and kernels are not the child's to
kill or close, nor its locks (one held by another thread at the fork would never be released).
Nothing is torn down here: a part holding resources (the zygote) registers its own ``atexit``
handler, which does nothing outside the process that registered it.

No lock: a signal handler (a worker told to stop) may ask for its part while the interrupted
code was asking for one. Two threads may both make a part the first time; one is kept and both
get that one, so a part's constructor must be cheap and have no effect beyond the object.

Not here: caches of facts that a fork still finds true (``functools.lru_cache`` on the machine's
``_bwrap.probe``, ``_cgroup.hierarchies`` and ``_bounded.available``, on ``grading._written``'s
pure function), and constants.
"""

from __future__ import annotations

import os
from typing import TypeVar, cast

T = TypeVar("T")


class Runtime:
    """One process's state: its parts, one per class, and the pid that owns them."""

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self._parts: dict[type, object] = {}

    def part(self, kind: type[T]) -> T:
        found = self._parts.get(kind)
        if found is None:
            found = self._parts.setdefault(kind, kind())
        return cast(T, found)


#: This process's Runtime, keyed by its pid so a fork finds none of its own.
_BY_PID: dict[int, Runtime] = {}


def current() -> Runtime:
    """This process's runtime state, made on first use (and in a fork, made anew)."""
    pid = os.getpid()
    found = _BY_PID.get(pid)
    if found is None:
        for stale in [owner for owner in _BY_PID if owner != pid]:  # the parent's, in a fork
            _BY_PID.pop(stale, None)
        found = _BY_PID.setdefault(pid, Runtime(pid))
    return found


def part(kind: type[T]) -> T:
    """This process's instance of ``kind`` (made with ``kind()`` on first use)."""
    return current().part(kind)
