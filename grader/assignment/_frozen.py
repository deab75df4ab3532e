"""Frozen inputs: what every check calls the student's function on, drawn once and checked in.

A fixed seed is not enough for a grade that must not move: Hypothesis's draws change when
Hypothesis or Python is upgraded. So the draws are written to ``frozen.json`` in the assignment by
an instructor command, recorded with the seed, the Hypothesis version and the spec's hash, and
grading refuses a file that no longer matches its spec. Cases are stored simplest first, so the
first one that fails is both the simplest and a stable piece of feedback.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader._files import write_atomic
from grader.assignment._drawing import scratch_home
from grader.assignment._misconceptions import without_catalogue
from grader.assignment._spec import Assignment, Check
from grader.assignment._variants import VARIANT_INPUTS
from grader.errors import FrozenInputsError

FORMAT = 1
Case = dict[str, Any]


@dataclass(frozen=True)
class FrozenInputs:
    """The cases of every check, keyed by ``Check.key``, and the file's own hash."""

    cases: Mapping[str, tuple[Case, ...]]
    sha256: str
    hypothesis_version: str


def inputs_hash(assignment: Assignment) -> str:
    """What decides the drawn inputs, and nothing else: the assignment's name and seed, each
    check's key, arguments, strategy and count, and checks.py (strategies and edges) without its
    misconception catalogue. Points, tolerances, credit rules, comparators named by the spec,
    manual questions, feedback keys and misconceptions can change without a redraw: the same
    inputs, the same frozen file."""
    checks = [
        [c.key, list(c.param_names), c.inputs, c.examples]
        + ([list(c.public_cases)] if c.public_cases else [])  # today's hash without them
        for c in assignment.checks
    ]
    text = json.dumps([assignment.name, assignment.seed, checks], sort_keys=True)
    digest = hashlib.sha256(text.encode())
    hooks = assignment.hooks
    if hooks is not None and getattr(hooks, "__file__", None):
        digest.update(without_catalogue(Path(hooks.__file__).read_bytes()))
    return digest.hexdigest()


def check_seed(assignment: Assignment, check: Check) -> int:
    """Fixed per assignment, question and function; never the clock or the order of runs."""
    text = f"{assignment.name}/{assignment.seed}/{check.key}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def draw_cases(assignment: Assignment, check: Check, seed: int | None = None) -> list[Case]:
    """The edges plus ``check.examples`` distinct Hypothesis draws (fewer only if the strategy
    has fewer values), simplest first."""
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, settings

    if check.variable or check.inputs == VARIANT_INPUTS:  # read, or each student's own values
        return [{}]
    inputs = assignment.inputs(check)
    drawn: list[Case] = []

    @settings(
        max_examples=max(1, 2 * check.examples),
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        print_blob=False,
    )
    @hypothesis.seed(check_seed(assignment, check) if seed is None else seed)
    @given(inputs.strategy)
    def collect(case: Case) -> None:
        drawn.append(case)

    if check.examples:
        with scratch_home():
            collect()
    distinct = list({_canonical(case): case for case in drawn}.values())[: check.examples]
    return chosen_first(order_cases([dict(edge) for edge in inputs.edges] + distinct, check), check)


def chosen_first(cases: list[Case], check: Check) -> list[Case]:
    """The author's public cases first, in their order, then the others simplest first: the
    public ones are always the first ``check.public`` cases."""
    first = [dict(case) for case in check.public_cases]
    named = {_canonical(case) for case in first}
    return first + [case for case in cases if _canonical(case) not in named]


def order_cases(cases: list[Case], check: Check) -> list[Case]:
    """Deduplicate, check every case is plain finite JSON data, and sort simplest first."""
    unique: dict[str, Case] = {}
    for case in cases:
        if set(case) != set(check.param_names):
            raise ValueError(
                f"{check.key}: a drawn case has arguments {sorted(case)}, "
                f"expected {list(check.param_names)}"
            )
        _require_plain(case, check.key)
        unique.setdefault(_canonical(case), case)
    return [unique[key] for key in sorted(unique, key=lambda k: (len(k), k))]


def _canonical(case: Case) -> str:
    return json.dumps(case, sort_keys=True, allow_nan=False)


def _require_plain(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _require_plain(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            _require_plain(item, where)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: inputs must be numbers and lists, got {value!r}")
    elif not math.isfinite(value):
        raise ValueError(f"{where}: inputs must be finite, got {value!r}")


def freeze(assignment: Assignment) -> Path:
    """Draw every check's cases and write ``frozen.json``: an instructor's deliberate act."""
    import hypothesis

    checks = {}
    for check in assignment.checks:
        seed = check_seed(assignment, check)
        checks[check.key] = {"seed": seed, "cases": draw_cases(assignment, check, seed)}
    document = {
        "format": FORMAT,
        "assignment": assignment.name,
        "inputs_sha256": inputs_hash(assignment),
        "hypothesis": hypothesis.__version__,
        "python": platform.python_version(),
        "checks": checks,
    }
    write_atomic(assignment.frozen_path, json.dumps(document, indent=1, allow_nan=False) + "\n")
    return assignment.frozen_path


def _current(document: dict[str, Any], assignment: Assignment) -> bool:
    """Drawn for these inputs; a file frozen before ``inputs_sha256`` existed holds while the
    whole spec and checks.py are byte for byte the ones it was drawn for."""
    if "inputs_sha256" in document:
        return document["inputs_sha256"] == inputs_hash(assignment)
    return document.get("spec_sha256") == assignment.spec_hash


def load_frozen(assignment: Assignment) -> FrozenInputs:
    """Read ``frozen.json``, refusing one that does not match the spec it was drawn for."""
    path = assignment.frozen_path
    hint = f"run `grader freeze {assignment.folder}` to draw them (on purpose: grades follow them)"
    try:
        raw_bytes = path.read_bytes()
        document = json.loads(raw_bytes)
    except FileNotFoundError:
        raise FrozenInputsError(path, f"no frozen inputs; {hint}") from None
    except (OSError, ValueError) as exc:
        raise FrozenInputsError(path, f"unreadable frozen inputs ({exc}); {hint}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FrozenInputsError(path, f"not a frozen-inputs file of format {FORMAT}; {hint}")
    if not _current(document, assignment):
        raise FrozenInputsError(
            path, f"the spec or checks.py changed since these inputs were frozen; {hint}"
        )
    checks = document.get("checks", {})
    cases: dict[str, tuple[Case, ...]] = {}
    for check in assignment.checks:
        entry = checks.get(check.key)
        if not isinstance(entry, dict) or not isinstance(entry.get("cases"), list):
            raise FrozenInputsError(path, f"no frozen cases for {check.key}; {hint}")
        cases[check.key] = tuple(entry["cases"])
    return FrozenInputs(
        cases=cases,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        hypothesis_version=str(document.get("hypothesis")),
    )
