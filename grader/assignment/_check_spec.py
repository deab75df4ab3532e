"""One ``[[questions.checks]]`` table of spec.toml, read into a :class:`Check`.

A check names a function (or a value) of the notebook, how it is called, the answer's shape and
how it is graded; a question may check one function several times, told apart by ``name``, and
grade one ``field`` of its answer. Kept apart from the spec's reader (``_spec``), which reads
the questions around the checks and resolves the names they mention.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.assignment._answers import (
    SEEDED_KINDS,
    ShapeError,
    field_problem,
    parse_grading,
    parse_shape,
    part_shape,
)
from grader.assignment._fields import no_unknown as _no_unknown
from grader.assignment._fields import nonempty_str as _str
from grader.assignment._spec_keys import SPEC_KEYS
from grader.errors import SpecError

#: How an argument travels to the student's function (see the kernel driver); the seeded kinds
#: are not drawn: the grader passes each call its own seed (or a Generator made from it).
PARAM_KINDS = frozenset({"float", "int", "vector", "array", "vector_list"}) | SEEDED_KINDS


@dataclass(frozen=True)
class Check:
    """One function a question asks for, and how it is exercised."""

    question: str
    function: str
    params: tuple[tuple[str, str], ...]
    returns: Any  # a shape of grader.assignment._answers: "scalar", or a nesting
    inputs: str
    oracle: str
    weight: float
    examples: int
    public: int
    properties: tuple[str, ...]
    rtol: float = 1e-6
    atol: float = 1e-9
    credit: str = "all"
    compare: str | None = None
    #: A top-level value of the notebook (``variable = NAME``), read once, not called.
    variable: bool = False
    #: Seeded per call from the case; ``samples`` > 1 compares mean and std over that many.
    stochastic: bool = False
    samples: int = 1
    #: With ``samples``: the mean (the variance) may be this many standard errors from the
    #: reference's, per input and pooled over the inputs; None: within ``rtol``/``atol``.
    location_se: float | None = None
    spread_se: float | None = None
    #: Tells this check from the question's other checks of the same function (its key).
    name: str | None = None
    #: The one part of the answer graded: a record's field, or a tuple's item (an index).
    field: str | int | None = None
    #: Other student functions this one relies on (``uses``): when one of them fails its own
    #: check, this check's letter names it as the cause to fix first. Marks are unchanged.
    uses: tuple[str, ...] = ()
    #: A variable of a sheet with ``[variants]``: the student's own function of this name,
    #: called on their own values, is what the self-check compares it with (``same_as``).
    same_as: str | None = None
    #: Inputs the author chose to publish (``public_cases``): the first cases, in this order.
    public_cases: tuple[dict[str, Any], ...] = ()
    #: Whether the public cases count towards a proportional share (by default they do not:
    #: their answers are in the student's bundle).
    public_credit: bool = False

    @property
    def key(self) -> str:
        """Where its cases are kept (``frozen.json``, ``public.json``) and what seeds its draws:
        ``question/function`` as always, ``question/function#name`` for a named check."""
        base = f"{self.question}/{self.function}"
        return base if self.name is None else f"{base}#{self.name}"

    @property
    def label(self) -> str:
        """How results and letters name it: the function, and its name if it has one."""
        return self.function if self.name is None else f"{self.function}#{self.name}"

    @property
    def graded_shape(self) -> Any:
        """The shape of what is compared: the whole answer, or the ``field`` graded."""
        return self.returns if self.field is None else part_shape(self.returns, self.field)

    @property
    def param_names(self) -> tuple[str, ...]:
        """The arguments a case holds (drawn and frozen): all but the seeded ones."""
        return tuple(name for name, kind in self.params if kind not in SEEDED_KINDS)

    @property
    def call_names(self) -> tuple[str, ...]:
        """Every argument of the call, seeded ones too, in the order the function takes them."""
        return tuple(name for name, _ in self.params)


_CHECK_KEYS = {k.name for k in SPEC_KEYS if k.table == "checks"}
#: The keys a check that reads a variable may have.
_VARIABLE_KEYS = {k.name for k in SPEC_KEYS if k.table == "checks" and k.variable}


def read_check(path: Path, qid: str, raw: Any) -> Check:
    where = f"question {qid}"
    if not isinstance(raw, dict):
        raise SpecError(path, f"{where}: each check must be a table, got {raw!r}")
    _no_unknown(path, raw, _CHECK_KEYS, f"a check of {where}")
    if "variable" in raw:
        return _variable_check(path, qid, raw)
    function = _str(path, raw, "function")
    where = f"question {qid}, function {function}"
    params = raw.get("params")
    if not isinstance(params, dict) or not params:
        raise SpecError(path, f'{where}: params must be a table like {{ p = "vector" }}')
    for name, kind in params.items():
        if kind not in PARAM_KINDS:
            raise SpecError(
                path,
                f"{where}: parameter {name} has kind {kind!r}; use one of {sorted(PARAM_KINDS)}",
            )
    try:
        returns = parse_shape(raw.get("returns"))
        grading = parse_grading(_seeded_is_stochastic(raw, params))
    except ShapeError as exc:
        raise SpecError(path, f"{where}: returns {exc}") from None
    except ValueError as exc:
        raise SpecError(path, f"{where}: {exc}") from None
    weight, examples, public = raw.get("weight", 1), raw.get("examples", 100), raw.get("public", 5)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise SpecError(path, f"{where}: weight must be a positive number, got {weight!r}")
    for key, value in (("examples", examples), ("public", public)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SpecError(path, f"{where}: {key} must be a whole number >= 0, got {value!r}")
    properties = raw.get("properties", [])
    if not isinstance(properties, list) or not all(isinstance(p, str) for p in properties):
        raise SpecError(path, f"{where}: properties must be a list of names")
    name, part = _name_and_field(path, where, raw, returns)
    uses = raw.get("uses", [])
    if not isinstance(uses, list) or not all(isinstance(u, str) and u for u in uses):
        raise SpecError(path, f"{where}: uses must be a list of function names")
    if function in uses:
        raise SpecError(path, f"{where}: uses names the function itself")
    chosen = _public_cases(path, where, raw, params)
    if chosen and "public" in raw and public != len(chosen):
        raise SpecError(
            path,
            f"{where}: public is {public} but public_cases lists {len(chosen)}; give one of them",
        )
    public_credit = raw.get("public_credit", False)
    if not isinstance(public_credit, bool):
        raise SpecError(path, f"{where}: public_credit must be true or false")
    return Check(
        question=qid,
        function=function,
        params=tuple(params.items()),
        returns=returns,
        inputs=_str(path, raw, "inputs"),
        oracle=str(raw.get("oracle", function)),
        weight=float(weight),
        examples=examples,
        public=len(chosen) if chosen else public,
        properties=tuple(properties),
        name=name,
        field=part,
        uses=tuple(uses),
        same_as=_same_as(path, where, raw.get("same_as")),
        public_cases=chosen,
        public_credit=public_credit,
        **grading,
    )


def _public_cases(
    path: Path, where: str, raw: dict[str, Any], params: dict[str, Any]
) -> tuple[dict[str, Any], ...]:
    """The cases the author publishes, each a table of every drawn argument: refused here, so
    that ``assign``, ``freeze`` and ``validate`` refuse the same specs."""
    chosen = raw.get("public_cases", [])
    drawn = sorted(name for name, kind in params.items() if kind not in SEEDED_KINDS)
    if not isinstance(chosen, list):
        raise SpecError(path, f"{where}: public_cases must be a list of argument tables")
    for number, case in enumerate(chosen, 1):
        if not isinstance(case, dict) or sorted(case) != drawn:
            got = sorted(case) if isinstance(case, dict) else case
            raise SpecError(
                path,
                f"{where}: public case {number} must give exactly the arguments {drawn}, "
                f"got {got!r}",
            )
        bad = _not_plain(case)
        if bad is not None:
            raise SpecError(
                path, f"{where}: public case {number} holds {bad!r}; use finite numbers and lists"
            )
    unique = {json.dumps(c, sort_keys=True): dict(c) for c in chosen}
    if len(unique) < len(chosen):
        raise SpecError(path, f"{where}: public_cases lists one case twice")
    return tuple(unique.values())


def _not_plain(value: Any) -> Any:
    """The first part of an input that is not a finite number or a list of them, if any."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return next((bad for item in value if (bad := _not_plain(item)) is not None), None)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return value
    return None


def _same_as(path: Path, where: str, name: Any) -> str | None:
    if name is not None and (not isinstance(name, str) or not name.isidentifier()):
        raise SpecError(path, f"{where}: same_as must name a function, got {name!r}")
    return name


def _seeded_is_stochastic(raw: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A function given a seed or a Generator is stochastic: each call gets its own seed."""
    if not any(kind in SEEDED_KINDS for kind in params.values()):
        return raw
    if raw.get("stochastic", True) is not True:
        raise ValueError("a seed or generator parameter needs stochastic = true (the default)")
    return {**raw, "stochastic": True}


_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _name_and_field(
    path: Path, where: str, raw: dict[str, Any], returns: Any
) -> tuple[str | None, str | int | None]:
    """A check's ``name`` (its key's suffix) and ``field`` (the part graded); a named field
    names the check by itself, so three per-field checks need no ``name`` each."""
    part = raw.get("field")
    if part is not None:
        problem = field_problem(returns, part)
        if problem:
            raise SpecError(path, f"{where}: field {problem}")
    name = raw.get("name", None if part is None else str(part))
    if name is not None and (not isinstance(name, str) or not _NAME.fullmatch(name)):
        raise SpecError(
            path, f"{where}: name must be letters, digits, _ or - (it ends the key), got {name!r}"
        )
    return name, part


def one_key_each(path: Path, qid: str, checks: tuple[Check, ...]) -> None:
    """Several checks of one function in a question are told apart by their names."""
    seen: set[str] = set()
    for check in checks:
        if check.key in seen:
            what = "variable" if check.variable else "function"
            raise SpecError(
                path,
                f"question {qid} checks the {what} {check.function} more than once under the "
                f"key {check.key!r}: give each of these checks its own `name` (its key is then "
                f"{qid}/{check.function}#NAME)",
            )
        seen.add(check.key)


def known_uses(path: Path, checks: tuple[Check, ...]) -> None:
    """Each name in a check's ``uses`` is a function the spec checks: a cause a letter can
    point to is one the grader tells right from wrong."""
    functions = {c.function for c in checks if not c.variable}
    for check in checks:
        unknown = [name for name in check.uses if name not in functions]
        if unknown:
            raise SpecError(
                path,
                f"question {check.question}, function {check.function}: uses {unknown} "
                f"but the spec checks no such function (it checks {sorted(functions)})",
            )


def same_signature(path: Path, checks: tuple[Check, ...]) -> None:
    """Every check of one function calls it the same way and reads the same answer: the
    function is one, and so are its parameters' kinds and its answer's shape."""
    first: dict[str, Check] = {}
    for check in checks:
        seen = first.setdefault(check.function, check)
        if (seen.params, seen.returns, seen.variable) != (
            check.params,
            check.returns,
            check.variable,
        ):
            raise SpecError(
                path,
                f"{check.function} is checked in {seen.key} and {check.key} with different "
                "params, returns or kind (function or variable): give them the same",
            )


def _variable_check(path: Path, qid: str, raw: dict[str, Any]) -> Check:
    """A value the notebook computes at top level: no arguments, no drawn inputs, one case."""
    name = _str(path, raw, "variable")
    _no_unknown(path, raw, _VARIABLE_KEYS, f"the check of question {qid}, variable {name}")
    as_function = {k: v for k, v in raw.items() if k != "variable"}
    as_function.update(function=name, params={"_": "float"}, inputs="-", examples=0, public=0)
    check = read_check(path, qid, as_function)
    return replace(check, params=(), inputs="", variable=True)
