"""The shape of an answer a check asks for, and how it is graded, as the spec states them.

A shape is a leaf name (``"scalar"``, ``"int"``, ``"bool"``, ``"str"``, ``"vector"``,
``"array"``) or a nesting of them: a TOML array is a tuple of fixed length (``["scalar",
"int"]``), ``{ list_of = SHAPE }`` a list of any length, any other table a dict with exactly
those fields (``{ mu = "scalar", lam = "scalar" }``). Parsed once when the spec loads into
hashable data, so a typo fails before any notebook runs, and kept out of the frozen file's hash:
the shape decides how answers are compared, never which inputs are drawn.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Leaves, and what the oracle's answer becomes to be compared against.
LEAVES = frozenset({"scalar", "int", "bool", "str", "vector", "array"})
#: The leaves that existed first; answers of these travel and compare exactly as before.
NUMERIC = frozenset({"scalar", "vector"})
CREDITS = frozenset({"all", "proportional"})
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9
MAX_SHAPE_DEPTH = 6
MAX_SAMPLES = 10_000
#: Parameters the grader fills in per call, never drawn: an int seed, or a NumPy Generator built
#: from one (``np.random.default_rng(seed)``). Either makes a check stochastic.
SEEDED_KINDS = frozenset({"seed", "generator"})
#: Keys that judge a sampled statistic in standard errors instead of ``rtol``/``atol``.
SE_KEYS = ("location_se", "spread_se")

#: A parsed shape: a leaf name, ("tuple", (shape, ...)), ("list", shape) or
#: ("record", ((field, shape), ...)).
Shape = Any


class ShapeError(ValueError):
    """The spec's ``returns`` describes no shape; the message says what to write instead."""


def parse_shape(raw: Any, depth: int = 0) -> Shape:
    """The spec's ``returns`` as hashable data; :class:`ShapeError` names what is wrong."""
    if depth > MAX_SHAPE_DEPTH:
        raise ShapeError(f"is nested more than {MAX_SHAPE_DEPTH} levels deep")
    if isinstance(raw, str):
        if raw not in LEAVES:
            raise ShapeError(f"is {raw!r}; use one of {sorted(LEAVES)} or a nesting of them")
        return raw
    if isinstance(raw, list):
        if not raw:
            raise ShapeError("is an empty tuple []; a tuple names the shape of each item")
        return ("tuple", tuple(parse_shape(item, depth + 1) for item in raw))
    if isinstance(raw, dict):
        if not raw:
            raise ShapeError("is an empty table {}; a dict names the shape of each field")
        if set(raw) == {"list_of"}:
            return ("list", parse_shape(raw["list_of"], depth + 1))
        return ("record", tuple((name, parse_shape(s, depth + 1)) for name, s in raw.items()))
    raise ShapeError(f'is {raw!r}; use a name such as "scalar", an array or a table')


def is_numeric(shape: Shape) -> bool:
    """Whether answers travel as numbers only (the first two leaves), as they always did."""
    return isinstance(shape, str) and shape in NUMERIC


def plain_expected(value: Any, shape: Shape) -> Any:
    """An oracle's answer as the plain JSON data a student's answer is compared with.

    Raises ``ValueError`` or ``TypeError`` when the oracle's answer does not have the shape.
    """
    if isinstance(shape, str):
        return _leaf(value, shape)
    kind, inner = shape
    if kind == "tuple":
        items = list(value)
        if len(items) != len(inner):
            raise ValueError(f"{len(items)} items where the spec names {len(inner)}")
        return [plain_expected(v, s) for v, s in zip(items, inner)]
    if kind == "list":
        return [plain_expected(v, inner) for v in value]
    value = as_record(value)
    if not isinstance(value, dict) or set(value) != {name for name, _ in inner}:
        raise ValueError(f"not a dict with exactly the fields {[name for name, _ in inner]}")
    return {name: plain_expected(value[name], s) for name, s in inner}


def as_record(value: Any) -> Any:
    """A dataclass instance as the dict of its fields (an oracle may return one, as a
    student's function may: they are compared as the dict the spec's table describes)."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return value


def field_problem(shape: Shape, part: Any) -> str | None:
    """Why ``part`` names no part of answers of ``shape`` (a field of a record, an item of a
    tuple), or None."""
    if isinstance(shape, tuple) and shape[0] == "record" and isinstance(part, str):
        names = [name for name, _ in shape[1]]
        return None if part in names else f"{part!r} is not one of the fields {names}"
    if isinstance(shape, tuple) and shape[0] == "tuple" and type(part) is int:
        count = len(shape[1])
        return None if 0 <= part < count else f"{part} is not an item of a {count}-tuple (0..)"
    return (
        f"{part!r} names no part of this answer: a field name needs returns a table of "
        "fields, an item's index (0, 1, ...) a tuple []"
    )


def part_shape(shape: Shape, part: str | int) -> Shape:
    """The shape of one field or item (``part`` checked by :func:`field_problem`)."""
    kind, inner = shape
    if kind == "record":
        return dict(inner)[part]
    return inner[part]


def part_of(value: Any, part: str | int) -> Any:
    """One field (or item) of an expected answer, as plain data already."""
    return value[part]


def _leaf(value: Any, leaf: str) -> Any:
    import numpy as np  # here: reading a spec (grader serve, --help) needs no NumPy

    if leaf == "scalar":
        return float(value)
    if leaf == "vector":
        return [float(x) for x in np.asarray(value, dtype=np.float64).reshape(-1)]
    if leaf == "array":
        return np.asarray(value, dtype=np.float64).tolist()
    if leaf == "int":
        if isinstance(value, bool | np.bool_):
            raise TypeError("a bool where the spec asks for an int")
        return operator.index(value)
    if leaf == "bool":
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{type(value).__name__} where the spec asks for a bool")
        return bool(value)
    if not isinstance(value, str):
        raise TypeError(f"{type(value).__name__} where the spec asks for a str")
    return str(value)


def parse_grading(raw: dict[str, Any]) -> dict[str, Any]:
    """A check's grading keys (``rtol``, ``atol``, ``credit``, ``compare``), with defaults;
    ``ValueError`` names a bad one."""
    grading: dict[str, Any] = {}
    for key, default in (("rtol", DEFAULT_RTOL), ("atol", DEFAULT_ATOL)):
        value = raw.get(key, default)
        ok = type(value) in (int, float) and math.isfinite(value) and value >= 0
        if not ok:
            raise ValueError(f"{key} must be a number >= 0, got {value!r}")
        grading[key] = float(value)
    credit = raw.get("credit", "all")
    if credit not in CREDITS:
        raise ValueError(f"credit is {credit!r}; use one of {sorted(CREDITS)}")
    grading["credit"] = credit
    compare = raw.get("compare")
    if compare is not None and (not isinstance(compare, str) or not compare):
        raise ValueError(f"compare must name a function of COMPARATORS, got {compare!r}")
    grading["compare"] = compare
    grading.update(_stochastic(raw))
    return grading


def _stochastic(raw: dict[str, Any]) -> dict[str, Any]:
    stochastic, samples = raw.get("stochastic", False), raw.get("samples", 1)
    if not isinstance(stochastic, bool):
        raise ValueError(f"stochastic must be true or false, got {stochastic!r}")
    if type(samples) is not int or not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must be a whole number from 1 to {MAX_SAMPLES}, got {samples!r}")
    if samples > 1 and not stochastic:
        raise ValueError("samples needs stochastic = true")
    if samples > 1 and raw.get("returns") not in NUMERIC:
        raise ValueError('samples > 1 compares moments: returns must be "scalar" or "vector"')
    if samples > 1 and raw.get("compare") is not None:
        raise ValueError("samples > 1 compares moments, not by a comparator")
    return {"stochastic": stochastic, "samples": samples, **_in_standard_errors(raw, samples)}


def _in_standard_errors(raw: dict[str, Any], samples: int) -> dict[str, float | None]:
    """``location_se``/``spread_se``: how many standard errors a sampled mean (a variance) may
    be from the reference's; a standard error shrinks as ``samples`` grows, so does the
    tolerance, where one ``rtol`` stays as loose at 10,000 samples as at 30."""
    found: dict[str, float | None] = {}
    for key in SE_KEYS:
        value = raw.get(key)
        if value is not None:
            if type(value) not in (int, float) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{key} must be a number > 0 (standard errors), got {value!r}")
            if samples < 2:
                raise ValueError(f"{key} compares samples: it needs samples >= 2")
            value = float(value)
        found[key] = value
    return found


def call_seed(key: str, case: Any, index: int) -> int:
    """The seed of one call: from the check and the case, the same for the student and the
    oracle, for every run and every order of runs."""
    text = json.dumps([key, case, index], sort_keys=True, allow_nan=True)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """The oracle's call under the student's seed; the grader's own generators are put back."""
    import numpy as np

    state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)
        np.random.set_state(np_state)


def moments(values: list[Any], fourth: bool = False) -> dict[str, Any]:
    """Mean and standard deviation over seeded calls, per number (a float, or a list); with
    ``fourth`` also the fourth central moment, which the standard error of a variance needs."""
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    found = {"mean": array.mean(axis=0).tolist(), "std": array.std(axis=0).tolist()}
    if fourth:
        found["m4"] = ((array - array.mean(axis=0)) ** 4).mean(axis=0).tolist()
    return found


def comparator_problem(module: Any, name: str, file: str) -> str | None:
    """Why ``module`` (checks.py, or the comparators file) gives no comparator of this name."""
    comparators = getattr(module, "COMPARATORS", None)
    if not isinstance(comparators, dict):
        return f"compare = {name!r}, but {file} defines no dict COMPARATORS"
    if not callable(comparators.get(name)):
        return f"{file} COMPARATORS has no function {name!r}"
    return None
