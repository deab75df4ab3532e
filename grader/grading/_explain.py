"""A failing check as data: which case failed, as the function received it, what came back, and
why (a :class:`Reason` code and its parameters). The words come later, from the renderers.

Text that comes from the notebook (exception messages) is kept as it came but for what would
differ between two runs of the same notebook (scratch paths, memory addresses, the grader's own
install folders); the renderers neutralise or escape it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from grader.assignment._answers import is_numeric
from grader.assignment._spec import Check
from grader.grading._compare import normalise
from grader.kernel import _protocol
from grader.results._model import Mismatch, Reason
from grader.results._values import encode

#: Where the grader and the Python it runs on are installed: never shown in feedback or notes.
_INSTALLS = sorted(
    {
        (str(Path(__file__).resolve().parents[2]), "<grader>"),
        *((prefix, "<python>") for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix)),
    },
    key=lambda pair: len(pair[0]),
    reverse=True,
)
#: ipykernel names each cell's code after a hash (``633802105.py``); feedback says the cell.
_CELL_FILE = re.compile(r"(?:[^\s'\"(]*/)?\d{6,}\.py\b")


def clean(text: str, cell: int | None = None) -> str:
    """A message from the notebook, the same on every run and naming no folder of the grader;
    within ``cell``'s own message, its code file is called "cell N"."""
    for folder, shown in _INSTALLS:
        if len(folder) > 1:
            text = text.replace(folder, shown)
    if cell is not None:
        text = _CELL_FILE.sub(f"cell {cell}", text)
    return normalise(text)


def received(check: Check, case: dict[str, Any]) -> dict[str, Any]:
    """A case's arguments as the function got them: vectors and arrays as float64 arrays."""
    import numpy as np

    shown: dict[str, Any] = {}
    for name, kind in check.params:
        if name not in case:  # a seed or Generator: each call got its own, none is the input
            continue
        value = case[name]
        if kind in ("vector", "array"):
            value = np.asarray(value, dtype=np.float64)
        elif kind == "vector_list":
            value = [np.asarray(v, dtype=np.float64) for v in value]
        shown[name] = encode(value)
    return shown


def reason_of(
    check: Check,
    outcome: _protocol.Outcome,
    why: Mismatch,
    inventory: dict[str, list[str] | None],
    memory_mb: int,
) -> Reason:
    """Why ``outcome`` earns nothing; ``why`` is the comparison's verdict on a value."""
    if outcome.kind == "value":
        params: dict[str, Any] = {"samples": check.samples} if check.samples > 1 else {}
        return Reason(why.reason_code, params, mismatch=why)
    message = clean(outcome.message)
    if outcome.kind == "error":
        return _raised(check, message, inventory, memory_mb)
    if outcome.kind in ("timeout", "skipped"):
        return Reason("timeout", {"message": message})
    if outcome.kind == "unsupported":
        return Reason(
            "wrong_type", {"returned_kind": message, "numeric": is_numeric(check.returns)}
        )
    if outcome.kind == "too_large":
        return Reason("too_large", {"cap_mib": _protocol.REPLY_MAX_BYTES // 2**20})
    return Reason("unreadable", {"message": message})


def _raised(
    check: Check, message: str, inventory: dict[str, list[str] | None], memory_mb: int
) -> Reason:
    exception, _, said = message.partition(":")
    params: dict[str, Any] = {"exception": exception.strip(), "message": said.strip()}
    if exception == "NotImplementedError":
        return Reason("not_implemented", params)
    if exception == "MemoryError":
        params["limit"] = f"memory {memory_mb} MiB" if memory_mb else "the machine's memory"
        return Reason("resource_limit", params)
    takes = inventory.get(check.function)
    if takes is not None and tuple(takes) != tuple(check.call_names):
        params.update(takes=list(takes), asked=list(check.call_names))
    return Reason("raised", params)


def died(exc: Exception, memory_mb: int, restarted: bool) -> Reason:
    """A call that took the kernel down: out of memory, past its time limits, or dead."""
    from grader.kernel._session import KernelOutOfMemory, KernelTimeout

    if isinstance(exc, KernelOutOfMemory):
        limit = f"memory {memory_mb} MiB" if memory_mb else "the machine's memory"
        return Reason(
            "resource_limit", {"limit": limit, "message": clean(str(exc)), "restarted": restarted}
        )
    if isinstance(exc, KernelTimeout):
        return Reason("timeout", {"ignored_timeout": True, "restarted": restarted})
    return Reason("kernel_died", {"restarted": restarted})
