"""Inputs and answers as tagged JSON: stored as data, shown as the function received them.

Plain JSON holds numbers, strings, lists, dicts and None. A NumPy array is
``{"__ndarray__": nested_list, "dtype": "float64"}`` and a float JSON has no literal for is
``{"__float__": "nan" | "inf" | "-inf"}``, so a student who got ``np.array([0.5, 0.5])`` is
shown exactly that, not a list, and nan survives the store (whose JSON refuses it). A value
too large to keep whole (a list of a million numbers) is kept as ``{"__shown__": text}``, its
shortened rendering: feedback quotes a few hundred characters of it at most.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Largest JSON text of one value kept whole; beyond it only its shortened rendering is kept.
MAX_STORED_CHARS = 20_000
_SHOWN_CHARS = 300
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_TAGS = {"__float__", "__ndarray__", "__shown__"}


def encode(value: Any) -> Any:
    """``value`` as tagged JSON; never raises (what JSON cannot hold is kept as its text)."""
    try:
        data = _encode(value)
        if len(json.dumps(data, allow_nan=False)) <= MAX_STORED_CHARS:
            return data
    except (TypeError, ValueError, RecursionError, OverflowError):
        pass
    return {"__shown__": show(value, _SHOWN_CHARS)}


def _encode(value: Any) -> Any:
    if isinstance(value, float) or _numpy_kind(value) == "floating":
        value = float(value)
        if math.isfinite(value):
            return value
        return {"__float__": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if value is None or isinstance(value, bool | int | str):
        return value
    if _numpy_kind(value) in ("integer", "bool"):
        return value.item()
    if type(value).__name__ == "ndarray" and type(value).__module__ == "numpy":
        return {"__ndarray__": _encode(value.tolist()), "dtype": str(value.dtype)}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        if _TAGS.intersection(map(str, value)):  # a student's dict that looks like a tag
            raise TypeError("tag-like keys")
        return {str(k): _encode(v) for k, v in value.items()}
    raise TypeError(type(value).__name__)


def _numpy_kind(value: Any) -> str:
    """``floating``, ``integer`` or ``bool`` for a NumPy scalar, else ``""``."""
    if type(value).__module__ != "numpy" or not hasattr(value, "dtype") or value.ndim:
        return ""
    return {"f": "floating", "i": "integer", "u": "integer", "b": "bool"}.get(value.dtype.kind, "")


def decode(data: Any) -> Any:
    """The value tagged JSON stands for (a NumPy array for ``__ndarray__``)."""
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    if "__float__" in data:
        return _NONFINITE.get(data["__float__"], math.nan)
    if "__ndarray__" in data:
        import numpy as np

        return np.array(decode(data["__ndarray__"]), dtype=data.get("dtype", "float64"))
    if "__shown__" in data:
        return _Shown(data["__shown__"])
    return {k: decode(v) for k, v in data.items()}


class _Shown(str):
    """A value kept only as its rendering: shown as it is, never quoted."""

    def __repr__(self) -> str:
        return str(self)


def show(data: Any, limit: int = 200) -> str:
    """Tagged JSON as a student would type the value: ``np.array([0.5, 0.5])``, ``nan``, and
    ``0.0`` for ``-0.0`` (the sign of a zero is never what a student got wrong). Shortened to
    ``limit`` characters with ``...``."""
    text = _show(data, limit + 1)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(data: Any, budget: int) -> str:
    """At least ``budget`` characters of the value's text where it has that many: a list of a
    million numbers is not written out in full only to be cut."""
    if isinstance(data, float):
        return "0.0" if data == 0 else repr(data)
    if isinstance(data, int) and not isinstance(data, bool):
        if data.bit_length() > 3 * budget + 64:  # its digits could not show
            return f"an int of about {int(data.bit_length() * 0.30103)} digits"
        return repr(data)
    if isinstance(data, list):
        return "[" + _items([(None, item) for item in data], budget) + "]"
    if not isinstance(data, dict):
        return repr(data)
    if "__float__" in data:
        return str(data["__float__"])
    if "__ndarray__" in data:
        inner = _show(data["__ndarray__"], budget - 10)
        dtype = data.get("dtype", "float64")
        return f"np.array({inner})" if dtype == "float64" else f"np.array({inner}, dtype={dtype})"
    if "__shown__" in data:
        return str(data["__shown__"])
    return "{" + _items(list(data.items()), budget) + "}"


def _items(pairs: list[tuple[Any, Any]], budget: int) -> str:
    parts: list[str] = []
    used = 1
    for key, item in pairs:
        if used > budget:
            parts.append("...")
            break
        text = _show(item, budget - used)
        parts.append(text if key is None else f"{key!r}: {text}")
        used += len(parts[-1]) + 2
    return ", ".join(parts)
