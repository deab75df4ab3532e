"""The sheet's properties tried on a failing function's answers: an explanation, never marks.

All the calls the properties need go to the kernel at once, one request per function. The
result is data: the names of the properties broken, and for the first one the case and the
values the student's functions gave (tagged JSON), for the renderers to word.
"""

from __future__ import annotations

import json
from typing import Any

from grader.assignment._spec import Check
from grader.grading._explain import received
from grader.kernel._session import KernelDied
from grader.results._values import encode

#: How many of a failing check's failed cases the properties are tried on.
PROPERTY_CASES = 10


def broken_properties(
    grader: Any, check: Check, failed: list[dict[str, Any]]
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The properties ``check``'s answers break on the cases it ``failed``, and the first
    counterexample (or ``{}``): a hint quotes an input the check got wrong, never one it passed.

    ``grader`` is the notebook's ``_Grader``: its plan, session, inventory and broken functions.
    """
    plan = grader.plan
    if plan.assignment.hooks is None:
        return (), {}
    planned = []
    for name in check.properties:
        prop = plan.assignment.property(name)
        for case in failed[:PROPERTY_CASES]:
            calls = prop.calls(**case)
            if any(fn not in grader.inventory or fn in grader.broken for fn, _ in calls.values()):
                break
            planned.append((name, prop, case, calls))
    try:
        values = _call_grouped(grader, [c for *_, calls in planned for c in calls.values()])
    except KernelDied:
        grader.revive()
        return (), {}
    broken: list[str] = []
    example: dict[str, Any] = {}
    for name, prop, case, calls in planned:
        results = {label: values[_key(fn, args)] for label, (fn, args) in calls.items()}
        if name in broken or _holds(prop, case, results):
            continue
        broken.append(name)
        if not example:
            example = {
                "property": name,
                "statement": prop.statement,
                "args": received(check, case),
                "values": {k: encode(v) for k, v in results.items()},
            }
    return tuple(broken), example


def _call_grouped(grader: Any, calls: list[tuple[str, tuple[Any, ...]]]) -> dict[str, Any]:
    """Each distinct call once; a value, or None where no number came back."""
    by_function: dict[str, dict[str, list[Any]]] = {}
    for fn, args in calls:
        by_function.setdefault(fn, {})[_key(fn, args)] = list(args)
    values: dict[str, Any] = {}
    for fn, unique in by_function.items():
        try:
            cases = list(unique.values())
            outcomes = grader.session.call(fn, grader.kinds[fn], cases, rich=grader.rich[fn])
        except KernelDied:
            grader.broken.add(fn)  # never called again for a hint
            raise
        if any(o.kind == "timeout" for o in outcomes):
            grader.broken.add(fn)
        for key, outcome in zip(unique, outcomes):
            values[key] = outcome.value if outcome.kind == "value" else None
    return values


def _key(function: str, args: tuple[Any, ...]) -> str:
    return json.dumps([function, list(args)], allow_nan=True)


def _holds(prop: Any, case: dict[str, Any], results: dict[str, Any]) -> bool:
    """A property the sheet wrote, on whatever came back: if it cannot tell, it is no hint."""
    try:
        return bool(prop.holds(case, results))
    except Exception:
        return True
