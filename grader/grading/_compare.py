"""Comparing a student's answer with the oracle's, in the grader's process only.

Element-wise, relative tolerance 1e-6 and absolute 1e-9; inf equals inf of the same sign; nan
never equals anything. Where one number is expected, an int or float is accepted (the kernel has
already turned numpy scalars and 0-d arrays into those), never a bool, None or a 1-element list.
Whatever came back (an int past any float such as 10**400, nested lists, nan, -0.0) is compared
without raising: one odd answer costs its own function's share, never the whole notebook.
"""

from __future__ import annotations

import math
import re
from typing import Any

REL_TOL = 1e-6
ABS_TOL = 1e-9


def close(expected: float, got: float) -> bool:
    """Within tolerance; an int too large for a float is close only to an equal int."""
    try:
        expected, got = float(expected), float(got)
    except OverflowError:
        return type(expected) is int and expected == got
    if math.isnan(expected) or math.isnan(got):
        return False
    if math.isinf(expected) or math.isinf(got):
        return expected == got
    return abs(expected - got) <= max(ABS_TOL, REL_TOL * abs(expected))


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _is_nan(value: Any) -> bool:
    """``math.isnan`` converts to float first, which raises for 10**400; ints are never nan."""
    return type(value) is float and math.isnan(value)


def mismatch(expected: Any, got: Any, returns: str) -> str | None:
    """Why ``got`` is not an acceptable answer (completing "returned X: ..."), or None."""
    if got is None:
        return "is a `return` statement missing?"
    if returns == "scalar":
        if isinstance(got, list):
            return f"one number was expected, not a list of length {len(got)}"
        if not _is_number(got):
            return "that is not a number"
        if _is_nan(got):
            return "nan is never a correct answer"
        return None if close(expected, got) else "that is not the right value"
    if _is_number(got):
        return "a vector was expected, not a single number"
    if not all(_is_number(x) for x in got):
        return "a flat vector of numbers was expected, not a nested list"
    if len(got) != len(expected):
        return f"a vector of length {len(expected)} was expected, not of length {len(got)}"
    if any(_is_nan(x) for x in got):
        return "nan is never a correct answer"
    ok = all(close(e, g) for e, g in zip(expected, got))
    return None if ok else "that is not the right value"


def show(value: Any, limit: int = 200) -> str:
    """A value as a student would type it, shortened for feedback."""
    text = _show(value, limit + 1)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: Any, budget: int) -> str:
    """At least ``budget`` characters of the value's text, when it has that many: a list of a
    million numbers is not written out in full only to be cut."""
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if math.isnan(value):
            return "nan"
        return repr(value)
    if isinstance(value, list | tuple):
        parts: list[str] = []
        used = 1
        for item in value:
            if used > budget:
                break
            parts.append(_show(item, budget - used))
            used += len(parts[-1]) + 2
        return "[" + ", ".join(parts) + ("]" if len(parts) == len(value) else ", ...")
    if type(value) is int and value.bit_length() > 3 * budget + 64:  # its digits could not show
        return f"an int of about {int(value.bit_length() * 0.30103)} digits"
    return repr(value)


def show_call(function: str, case: dict[str, Any], names: tuple[str, ...]) -> str:
    return f"{function}(" + ", ".join(f"{n}={show(case[n], 120)}" for n in names) + ")"


_SCRATCH = re.compile(r"(/[^\s'\"]*)?/grader-[A-Za-z0-9_]+(/[^\s'\"]*)?")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def normalise(text: str, limit: int = 1500) -> str:
    """Feedback identical between runs: no scratch paths, no memory addresses; bounded length."""
    text = _ADDRESS.sub("0x...", _SCRATCH.sub("<notebook folder>", text))
    return text if len(text) <= limit else text[: limit - 3] + "..."
