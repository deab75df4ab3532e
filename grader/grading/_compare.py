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
from dataclasses import replace
from typing import Any

from grader.results._model import AnswerKind, Mismatch, ValueKind

REL_TOL = 1e-6
ABS_TOL = 1e-9


def close(expected: float, got: float, rtol: float = REL_TOL, atol: float = ABS_TOL) -> bool:
    """Within tolerance; an int too large for a float is close only to an equal int."""
    try:
        expected, got = float(expected), float(got)
    except OverflowError:
        return type(expected) is int and expected == got
    if math.isnan(expected) or math.isnan(got):
        return False
    if math.isinf(expected) or math.isinf(got):
        return expected == got
    return abs(expected - got) <= max(atol, rtol * abs(expected))


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _is_nan(value: Any) -> bool:
    """``math.isnan`` converts to float first, which raises for 10**400; ints are never nan."""
    return type(value) is float and math.isnan(value)


def mismatch(
    expected: Any, got: Any, returns: str, rtol: float = REL_TOL, atol: float = ABS_TOL
) -> Mismatch | None:
    """Why ``got`` is not an acceptable answer, as data (the renderers word it), or None."""
    if got is None:
        return Mismatch("returned_none")
    if returns == "scalar":
        if isinstance(got, list):
            return Mismatch("list_for_number", got_count=len(got))
        if not _is_number(got):
            return Mismatch("not_a_number", got_kind=_kind(got))
        if _is_nan(got):
            return Mismatch("not_finite")
        return None if close(expected, got, rtol, atol) else Mismatch("wrong_value")
    if _is_number(got):
        return Mismatch("number_for_vector", got_kind=_kind(got))
    if not all(_is_number(x) for x in got):
        return Mismatch("nested_vector")
    if len(got) != len(expected):
        return Mismatch("wrong_length", expected_count=len(expected), got_count=len(got))
    if any(_is_nan(x) for x in got):
        return Mismatch("not_finite")
    ok = all(close(e, g, rtol, atol) for e, g in zip(expected, got))
    return None if ok else Mismatch("wrong_value")


def mismatch_shaped(
    expected: Any, got: Any, shape: Any, rtol: float = REL_TOL, atol: float = ABS_TOL
) -> Mismatch | None:
    """Like :func:`mismatch` for any shape of ``grader.assignment._answers``; a mismatch inside
    a structure says where (its ``path``: field lam, item 0), never what was expected there."""
    return _differ(expected, got, shape, rtol, atol, ())


Where = tuple[str | int, ...]


def _differ(
    expected: Any, got: Any, shape: Any, rtol: float, atol: float, where: Where
) -> Mismatch | None:
    if got is None:
        return Mismatch("returned_none", where)
    if isinstance(shape, str):
        found = _leaf_mismatch(expected, got, shape, rtol, atol)
        return None if found is None else replace(found, path=where)
    kind, inner = shape
    if kind == "record":
        return _record_differ(expected, got, inner, rtol, atol, where)
    if type(got) is not list:
        wanted = "tuple" if kind == "tuple" else "list"
        return Mismatch("wrong_kind", where, expected_kind=wanted, got_kind=_kind(got))
    if len(got) != len(expected):
        return Mismatch("wrong_count", where, expected_count=len(expected), got_count=len(got))
    shapes = inner if kind == "tuple" else [inner] * len(got)
    for index, (e, g, s) in enumerate(zip(expected, got, shapes)):
        found = _differ(e, g, s, rtol, atol, (*where, index))
        if found is not None:
            return found
    return None


def _record_differ(
    expected: Any, got: Any, fields: Any, rtol: float, atol: float, where: Where
) -> Mismatch | None:
    names = tuple(name for name, _ in fields)
    if type(got) is not dict:
        return Mismatch(
            "wrong_kind", where, expected_kind="record", got_kind=_kind(got), fields=names
        )
    for name in names:
        if name not in got:
            return Mismatch("field_missing", where, field=name)
    extra = sorted(set(got) - set(names))
    if extra:
        name = extra[0] if type(extra[0]) is str else repr(extra[0])
        return Mismatch("extra_field", where, field=name[:200])
    for name, shape in fields:
        found = _differ(expected[name], got[name], shape, rtol, atol, (*where, name))
        if found is not None:
            return found
    return None


_LEAF_KINDS: dict[str, AnswerKind] = {"scalar": "number", "vector": "vector"}
_EXACT_KINDS: dict[str, tuple[type, AnswerKind]] = {
    "int": (int, "int"),
    "bool": (bool, "bool"),
    "str": (str, "str"),
}


def _leaf_mismatch(expected: Any, got: Any, leaf: str, rtol: float, atol: float) -> Mismatch | None:
    if leaf in ("scalar", "vector"):
        if type(got) in (bool, str, dict):
            return Mismatch("wrong_kind", expected_kind=_LEAF_KINDS[leaf], got_kind=_kind(got))
        return mismatch(expected, got, leaf, rtol, atol)
    if leaf == "array":
        return _array_mismatch(expected, got, rtol, atol)
    wanted, kind = _EXACT_KINDS[leaf]
    if type(got) is not wanted:
        return Mismatch("wrong_kind", expected_kind=kind, got_kind=_kind(got))
    return None if got == expected else Mismatch("wrong_value")


def _array_mismatch(expected: Any, got: Any, rtol: float, atol: float) -> Mismatch | None:
    want, have = _array_shape(expected), _array_shape(got)
    if have is None:
        return Mismatch("wrong_kind", expected_kind="array", got_kind=_kind(got))
    if want != have:
        return Mismatch("wrong_array_shape", expected_shape=want, got_shape=have)
    flat_e, flat_g = _flatten(expected), _flatten(got)
    if any(_is_nan(x) for x in flat_g):
        return Mismatch("not_finite")
    for index, (e, g) in enumerate(zip(flat_e, flat_g)):
        if not close(e, g, rtol, atol):
            return Mismatch("wrong_element", index=_unravel(index, want))
    return None


def _array_shape(value: Any) -> tuple[int, ...] | None:
    """The shape of a regular nested list of numbers; None for a ragged or non-numeric one."""
    if _is_number(value):
        return ()
    if type(value) is not list:
        return None
    shapes = {_array_shape(item) for item in value}
    if len(shapes) > 1 or None in shapes:
        return None
    return (len(value), *(shapes.pop() if shapes else ()))


def _flatten(value: Any) -> list[Any]:
    return [x for item in value for x in _flatten(item)] if type(value) is list else [value]


def _unravel(index: int, shape: tuple[int, ...] | None) -> tuple[int, ...]:
    position = []
    for size in reversed(shape or ()):
        position.append(index % size)
        index //= size
    return tuple(position[::-1])


_KINDS: dict[type, ValueKind] = {
    bool: "bool",
    str: "str",
    dict: "dict",
    list: "list",
    int: "int",
    float: "float",
}


def kind_of(value: Any) -> ValueKind:
    """What kind of value came back, as a mismatch names it."""
    return _KINDS.get(type(value), "other")


_kind = kind_of


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
