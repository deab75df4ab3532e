"""What the frozen inputs of an assignment are, and where they may mislead (``grader inputs``,
and warnings in ``grader validate``).

An author writes strategies and sees marks; between the two are the inputs Hypothesis drew,
which decide what a check can tell apart. Two things go wrong without anyone seeing: the public
cases (the simplest first) can all have the same answer, so a function returning that constant
passes every public check; and a strategy can give one value most of the time (``K = 1`` in
most draws of ``st.integers(1, 4)``, once duplicates are dropped), so the checks test less
than the strategy suggests. This module summarises each check's inputs and names both.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grader.assignment._plan import GradingPlan
from grader.assignment._spec import Assignment, Check

#: A parameter whose commonest value is this share of a check's inputs or more is "lopsided".
LOPSIDED = 0.5


@dataclass(frozen=True)
class ParameterSpread:
    """How one parameter varies over a check's inputs: its distinct values, its commonest one
    and that value's share, and its range (numbers: values; lists and arrays: sizes)."""

    name: str
    distinct: int
    commonest: str
    share: float
    low: float | None
    high: float | None
    measure: str  # "value", "length" or "" (neither)


@dataclass(frozen=True)
class CheckInputs:
    key: str
    count: int
    edges: int
    examples: int
    public: int
    parameters: tuple[ParameterSpread, ...]
    #: The public cases' expected answers are all the same value.
    public_degenerate: bool
    #: Public cases the author chose (``public_cases``), graded besides the edges and draws.
    chosen: int = 0
    #: Each public case and its answer, as one line of JSON each (what the bundle shows).
    shown: tuple[str, ...] = ()

    @property
    def dropped(self) -> int:
        """Draws and edges that did not become inputs (duplicates, or a strategy with fewer
        distinct values than asked for)."""
        return max(0, self.edges + self.chosen + self.examples - self.count)

    def warnings(self) -> list[str]:
        found = []
        if self.public_degenerate:
            found.append(
                f"{self.key}: its {self.public} public case(s) all have the same answer, so a "
                "function returning that constant passes every public check; choose them "
                "with `public_cases`, or raise `public`"
            )
        for p in self.parameters:
            if p.distinct > 1 and p.share >= LOPSIDED and self.count >= 4:
                found.append(
                    f"{self.key}: {p.name} is {p.commonest} in {p.share:.0%} of its {self.count} "
                    "inputs; the strategy gives that value far more often than the others"
                )
        return found


def summarise(plan: GradingPlan) -> list[CheckInputs]:
    """Every check's inputs, in the spec's order; not those called on each student's own values
    (``inputs = "variant"``): nothing of theirs is frozen."""
    checks = plan.assignment.checks
    return [_check(plan, c) for c in checks if c.variable or c.key not in plan.dependent]


def _check(plan: GradingPlan, check: Check) -> CheckInputs:
    cases = plan.cases[check.key]
    expected = plan.expected[check.key][: check.public]
    answers = {json.dumps(_plain(a), sort_keys=True, default=str) for a in expected}
    edges = 0 if check.variable else len(plan.assignment.inputs(check).edges)
    names = check.param_names
    return CheckInputs(
        key=check.key,
        count=len(cases),
        edges=edges,
        examples=check.examples,
        public=min(check.public, len(cases)),
        parameters=tuple(_spread(name, [c[name] for c in cases]) for name in names),
        public_degenerate=len(expected) > 1 and len(answers) == 1,
        chosen=len(check.public_cases),
        shown=tuple(_shown(case, answer) for case, answer in zip(cases, expected, strict=False)),
    )


def _shown(case: dict[str, Any], answer: Any) -> str:
    """A public case on one line, cut short: the author checks them at a glance."""
    return f"{_short(case)} -> {_short(answer)}"


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(_plain(value), sort_keys=True, default=str)
    return text if len(text) <= width else text[: width - 3] + "..."


def _spread(name: str, values: Sequence[Any]) -> ParameterSpread:
    texts = Counter(json.dumps(v, sort_keys=True) for v in values)
    commonest, times = texts.most_common(1)[0] if texts else ("", 0)
    numbers, measure = _measures(values)
    return ParameterSpread(
        name=name,
        distinct=len(texts),
        commonest=commonest if len(commonest) <= 40 else commonest[:37] + "...",
        share=times / len(values) if values else 0.0,
        low=min(numbers) if numbers else None,
        high=max(numbers) if numbers else None,
        measure=measure,
    )


def _measures(values: Sequence[Any]) -> tuple[list[float], str]:
    """Numbers: their values; lists (arrays are nested lists here): their lengths."""
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values if math.isfinite(float(v))], "value"
    if values and all(isinstance(v, list) for v in values):
        return [float(len(v)) for v in values], "length"
    return [], ""


def _plain(value: Any) -> Any:
    """An expected answer as JSON can hold it (arrays as lists)."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


def lines(assignment: Assignment, found: list[CheckInputs]) -> list[str]:
    """``grader inputs``: a block per check, then the warnings."""
    out = [f"Frozen inputs of {assignment.name} (from frozen.json):"]
    for item in found:
        chosen = f" + {item.chosen} chosen public" if item.chosen else ""
        out.append(
            f"{item.key}: {item.count} inputs ({item.edges} edges{chosen} + {item.examples} "
            f"drawn, {item.dropped} dropped as duplicates), the first {item.public} public"
            + (" (chosen by the author)" if item.chosen else "")
        )
        for p in item.parameters:
            span = (
                f", {p.measure} {p.low:g}..{p.high:g}"
                if p.low is not None and p.high is not None
                else ""
            )
            out.append(
                f"    {p.name}: {p.distinct} distinct{span}; commonest {p.commonest} "
                f"({p.share:.0%})"
            )
        out += [f"    public: {shown}" for shown in item.shown]
    warnings = [w for item in found for w in item.warnings()]
    out += [f"Warning: {w}" for w in warnings] or ["No warnings."]
    return out
