"""Per-student variants: the ``[variants]`` table, each student's values, and their signature.

An assignment opts in with a ``[variants]`` table of named values, each drawn from one source::

    [variants]
    mu1 = { choices = [-1.0, -0.5, 0.5, 1.0] }   # a list to pick from
    sigma1 = { generator = "pick_sigma" }         # fn(seed: int) in the oracles or checks.py
    shift = { strategy = "shifts" }               # a Hypothesis strategy in checks.py

Each student's values are a deterministic function of HMAC-SHA256(course secret, assignment
name, student key, value name) (:func:`derive`): a 64-bit seed per value. ``choices`` picks
``seed % len(choices)`` (stable whatever the library versions); a generator gets the seed and
returns the value (stable as long as the author's code is); a strategy is drawn under that seed
(stable for one Hypothesis version). The values a student got are also kept, signed, in their
notebook's metadata and in ``manifest.csv``, so grading never depends on drawing them again.

The source notebook uses them through ``{{ name }}`` placeholders, rendered by
:func:`render_notebook`: a Python literal in code cells (``repr``), a readable number in text.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.assignment._drawing import scratch_home
from grader.assignment._secret import CourseSecret
from grader.errors import SpecError, VariantError

#: ``inputs = "variant"``: a function check called once, on the student's own values.
VARIANT_INPUTS = "variant"
#: The kinds of source a value may come from, one per value.
SOURCES = ("choices", "generator", "strategy")
#: Where the notebook's metadata keeps the variant: ``metadata.grader.variant``.
METADATA_KEY = "grader"
#: Draws a strategy makes before the one kept (its first draws are its simplest values).
_STRATEGY_DRAWS = 8
_DOMAIN = "grader-variant/1"


@dataclass(frozen=True)
class Parameter:
    """One named value of ``[variants]``: where it comes from."""

    name: str
    source: str  # one of SOURCES
    #: The list to pick from, or the name of the generator or strategy.
    what: Any


@dataclass(frozen=True)
class VariantSpec:
    """The ``[variants]`` table: its values, in the order the spec gives them."""

    parameters: tuple[Parameter, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)


@dataclass(frozen=True)
class Variant:
    """One student's values, their digest (what ``manifest.csv`` lists, and what tells two
    notebooks with the same numbers) and the signature that proves the grader made them."""

    assignment: str
    student: str
    values: dict[str, Any]
    digest: str
    signature: str

    def metadata(self) -> dict[str, Any]:
        """What the notebook keeps under ``metadata.grader.variant``."""
        return {
            "assignment": self.assignment,
            "student": self.student,
            "values": self.values,
            "digest": self.digest,
            "signature": self.signature,
        }


def read_variants(path: Path, raw: Any) -> VariantSpec | None:
    """The ``[variants]`` table checked for its form (sources are resolved by
    :func:`check_sources` once the modules are loaded); None when the spec has none."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        raise SpecError(
            path, "[variants] must be a table of named values, e.g. a = { choices = [1, 2] }"
        )
    parameters = []
    for name, entry in raw.items():
        where = f"[variants] {name}"
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise SpecError(path, f"{where}: a value's name must be a Python identifier")
        if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in SOURCES:
            raise SpecError(
                path,
                f"{where}: give exactly one of {', '.join(SOURCES)}, e.g. {{ choices = [1, 2] }}",
            )
        source, what = next(iter(entry.items()))
        if source == "choices":
            if not isinstance(what, list) or not what:
                raise SpecError(path, f"{where}: choices must be a non-empty list")
            for value in what:
                _require_plain(path, where, value)
        elif not isinstance(what, str) or not what:
            raise SpecError(path, f"{where}: {source} must name a function or strategy")
        parameters.append(Parameter(name, source, what))
    return VariantSpec(tuple(parameters))


def check_sources(
    path: Path, spec: VariantSpec, oracles: ModuleType | None, hooks: ModuleType | None
) -> None:
    """Every generator and strategy the table names exists, where the oracles are loaded (a
    student bundle, or a worker given the answers, derives nothing)."""
    if oracles is None:
        return
    for parameter in spec.parameters:
        if parameter.source == "choices":
            continue
        if _source(parameter, oracles, hooks) is None:
            where = "the oracles or checks.py" if parameter.source == "generator" else "checks.py"
            raise SpecError(
                path,
                f"[variants] {parameter.name}: {where} define(s) no {parameter.source} "
                f"{parameter.what!r}",
            )


def _source(parameter: Parameter, oracles: ModuleType | None, hooks: ModuleType | None) -> Any:
    if parameter.source == "generator":
        for module in (oracles, hooks):
            found = getattr(module, parameter.what, None) if module is not None else None
            if callable(found):
                return found
        return None
    found = getattr(hooks, parameter.what, None) if hooks is not None else None
    from hypothesis.strategies import SearchStrategy

    return found if isinstance(found, SearchStrategy) else None


def value_seed(secret: CourseSecret, assignment: str, student: str, name: str) -> int:
    """The 64-bit seed of one value: the first 8 bytes (big-endian) of
    HMAC-SHA256(secret, "grader-variant/1\\0ASSIGNMENT\\0STUDENT\\0NAME")."""
    message = "\0".join((_DOMAIN, assignment, student, name)).encode()
    return int.from_bytes(hmac.new(secret.key, message, hashlib.sha256).digest()[:8], "big")


def derive(
    spec: VariantSpec,
    secret: CourseSecret,
    assignment: str,
    student: str,
    modules: tuple[ModuleType | None, ModuleType | None] = (None, None),
) -> Variant:
    """The student's values, as the secret decides them; ``modules`` are (oracles, checks)."""
    values = {}
    for parameter in spec.parameters:
        seed = value_seed(secret, assignment, student, parameter.name)
        values[parameter.name] = _value(parameter, seed, modules)
    return signed(secret, assignment, student, values)


def _value(parameter: Parameter, seed: int, modules: tuple[Any, Any]) -> Any:
    if parameter.source == "choices":
        return parameter.what[seed % len(parameter.what)]
    source = _source(parameter, *modules)
    if source is None:
        raise VariantError(f"[variants] {parameter.name}: no {parameter.source} {parameter.what!r}")
    try:
        value = source(seed) if parameter.source == "generator" else _drawn(source, seed)
        return plain(value)
    except Exception as exc:
        raise VariantError(
            f"[variants] {parameter.name}: {parameter.source} {parameter.what!r} failed: {exc!r}"
        ) from exc


def _drawn(strategy: Any, seed: int) -> Any:
    """One value of ``strategy`` under ``seed``: the last of a few draws (the first are its
    simplest values, the same for everyone)."""
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, settings

    drawn: list[Any] = []

    @settings(
        max_examples=_STRATEGY_DRAWS,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hypothesis.seed(seed)
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    with scratch_home():
        collect()
    return drawn[-1]


def plain(value: Any) -> Any:
    """A value as plain JSON data (numpy scalars and arrays become numbers and lists)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, bool | str | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    raise ValueError(
        f"a variant's value must be a finite number, a string or a list, got {value!r}"
    )


def _require_plain(path: Path, where: str, value: Any) -> None:
    try:
        if plain(value) != value:
            raise ValueError(value)
    except ValueError:
        raise SpecError(path, f"{where}: {value!r} is not a number, string or list") from None


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def digest_of(values: Mapping[str, Any]) -> str:
    """What identifies a set of values (``manifest.csv``, similarity): SHA-256, 16 hex digits."""
    return hashlib.sha256(canonical(dict(values))).hexdigest()[:16]


def signature_of(secret: CourseSecret, assignment: str, student: str, values: Any) -> str:
    """HMAC-SHA256 of the assignment, the student and the values, with the course secret."""
    body = {"assignment": assignment, "student": student, "values": values}
    return hmac.new(secret.key, canonical(body), hashlib.sha256).hexdigest()


def signed(secret: CourseSecret, assignment: str, student: str, values: dict[str, Any]) -> Variant:
    signature = signature_of(secret, assignment, student, values)
    return Variant(assignment, student, values, digest_of(values), signature)


def oracle_values(oracle: Any, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The values an oracle takes by name (all with ``**kwargs``); None when it takes none of
    them (its answer is the same for every student)."""
    try:
        parameters = inspect.signature(oracle).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return dict(values)
    taken = {p.name for p in parameters} & set(values)
    return {name: values[name] for name in values if name in taken} or None


def check_same_as(path: Path, spec: VariantSpec | None, checks: tuple[Any, ...]) -> None:
    """A variable's ``same_as`` names a function the spec checks, every parameter of which is
    a value of ``[variants]`` (the self-check calls it on the student's own values); a check
    with ``inputs = "variant"`` takes values of ``[variants]`` only."""
    functions = {c.function: c for c in checks if not c.variable}
    for check in checks:
        if not check.variable and check.inputs == VARIANT_INPUTS:
            names = spec.names if spec is not None else ()
            missing = [p for p in check.param_names if p not in names]
            if missing or spec is None:
                raise SpecError(
                    path,
                    f"question {check.question}, function {check.function}: inputs = "
                    f'"{VARIANT_INPUTS}" takes the values of [variants] by name; {missing or "no"} '
                    "[variants] value(s) are missing",
                )
        if check.same_as is None:
            continue
        where = f"question {check.question}, variable {check.function}"
        if not check.variable or spec is None:
            raise SpecError(path, f"{where}: same_as is for a variable of a sheet with [variants]")
        named = functions.get(check.same_as)
        if named is None:
            raise SpecError(path, f"{where}: same_as names no function the spec checks")
        missing = [p for p in named.call_names if p not in spec.names]
        if missing:
            raise SpecError(
                path, f"{where}: same_as {check.same_as} takes {missing}, not values of [variants]"
            )


def resolve(
    path: Path, spec: VariantSpec | None, checks: tuple[Any, ...], modules: tuple[Any, Any]
) -> None:
    """Every name ``[variants]`` and the checks using it mention exists; ``modules``: the
    oracles and checks.py, as loaded."""
    if spec is not None:
        check_sources(path, spec, *modules)
    check_same_as(path, spec, checks)
