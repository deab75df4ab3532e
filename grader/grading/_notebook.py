"""Grading one notebook: run it, call each asked-for function on the frozen cases, score.

Marks come only from agreement with the oracle. The sheet's properties are run only for checks
that failed, to explain what went wrong; they never earn anything.
"""

from __future__ import annotations

import difflib
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader.assignment._answers import call_seed, is_numeric
from grader.assignment._plan import GradingPlan
from grader.assignment._spec import Check, Question
from grader.grading._compare import normalise, show, show_call
from grader.grading._reading import read_submission, write_executed
from grader.grading._verdict import sampled, why_not
from grader.kernel import _client, _protocol
from grader.kernel._session import (
    Execution,
    KernelDied,
    KernelOutOfMemory,
    KernelSession,
    KernelTimeout,
)
from grader.results._model import CheckResult, QuestionResult, SubmissionResult

#: How many of a failing check's cases the properties are tried on.
PROPERTY_CASES = 10

_STATUS_OF_OUTCOME = {
    "value": "wrong",
    "unsupported": "wrong",
    "unreadable": "wrong",
    "too_large": "wrong",
    "error": "error",
    "timeout": "timeout",
    "skipped": "timeout",
    "missing": "missing",
}


def grade_notebook(
    plan: GradingPlan, path: Path, name: str | None = None, keep_executed: Path | None = None
) -> SubmissionResult:
    """Grade one notebook file. Nothing the notebook does raises here; it is all in the result.

    With ``keep_executed``, the executed notebook (outputs capped) is written there, for appeals.
    Reading the file counts in the submission's time, like its cells and calls.
    """
    name = name or path.stem
    start = time.monotonic()
    submission = read_submission(path)
    if submission.nb is None:
        return zero_result(plan, name, "invalid_notebook", submission.problem, start)
    with KernelSession(path, plan.limits, plan.assignment.data_files, submission.nb) as session:
        session.deadline = start + plan.limits.notebook_seconds
        try:
            execution = session.run_notebook()
        except KernelDied as exc:
            return zero_result(plan, name, "kernel_died", f"The kernel died: {exc}.", start)
        grader = _Grader(plan, session, execution)
        questions = tuple(grader.question(q) for q in plan.assignment.questions)
    notes = _notes(session.execution, submission.repairs)
    if session.survivors:  # checked through the submission's cgroup once it was torn down
        notes = "; ".join(filter(None, [notes, "some of its processes could not be killed"]))
    # Once the kernel is gone: an executed notebook means done.
    if keep_executed is not None and not write_executed(session.nb, keep_executed, name):
        notes = normalise(f"{notes}; the executed notebook could not be kept".lstrip("; "))
    seconds = round(time.monotonic() - start, 3)
    return SubmissionResult(name, questions, notes, seconds, usage=session.usage)


def zero_result(
    plan: GradingPlan, name: str, status: str, why: str, start: float | None = None
) -> SubmissionResult:
    """Every question gets the same zero and reason when the notebook as a whole failed."""
    questions = tuple(
        QuestionResult(q.id, 0.0, q.points, status, feedback=why) for q in plan.assignment.questions
    )
    seconds = round(time.monotonic() - start, 3) if start is not None else 0.0
    return SubmissionResult(name, questions, why, seconds)


def _notes(execution: Execution, repairs: tuple[str, ...] = ()) -> str:
    parts = list(repairs)
    for cell in execution.errors:
        parts.append(f"cell {cell.index + 1}: {cell.status} ({cell.message})")
    if execution.restarts:
        text = f"the kernel was restarted {execution.restarts} time(s) and the notebook rerun"
        if execution.skipped:
            text += f" without cell(s) {', '.join(str(i + 1) for i in execution.skipped)}"
        parts.append(text)
    if execution.output_dropped:
        parts.append("output beyond the cap was dropped")
    return normalise("; ".join(parts))


class _Grader:
    """The per-notebook state of grading: the session, what the notebook defines, what ran."""

    def __init__(self, plan: GradingPlan, session: KernelSession, execution: Execution) -> None:
        self.plan = plan
        self.session = session
        self.execution = execution
        self.inventory = self._inventory()
        self.kinds = {c.function: [k for _, k in c.params] for c in plan.assignment.checks}
        #: Functions that hung or killed the kernel: never called again for a hint.
        self.broken: set[str] = set()
        #: Why nothing more can be graded (the kernel is gone for good), once that is so.
        self.dead = ""
        if execution.gave_up:
            cells = ", ".join(str(i + 1) for i in execution.skipped)
            self.dead = f"cells {cells} each killed or hung the kernel, so the notebook never ran"

    def _inventory(self) -> dict[str, list[str] | None]:
        try:
            return self.session.inventory()
        except KernelDied:
            return {}

    def question(self, question: Question) -> QuestionResult:
        results = tuple(self.check(check) for check in question.checks)
        results = tuple(replace(r, feedback=normalise(r.feedback)) for r in results)
        weight = sum(r.weight for r in results)
        earned = sum(r.weight * r.earned for r in results)
        points = round(question.points * earned / weight, 6)
        failed = [r for r in results if not r.passed]
        status = failed[0].status if failed else "ok"
        if failed:
            feedback = " ".join(dict.fromkeys(r.feedback for r in failed))  # each reason once
        else:
            feedback = f"All {len(results)} function(s) agree with the reference on every input."
        return QuestionResult(
            question.id, points, question.points, status, results, feedback=normalise(feedback)
        )

    def check(self, check: Check) -> CheckResult:
        if self.dead:
            text = f"Not graded: {self.dead}."
            return CheckResult(check.function, "kernel_died", check.weight, feedback=text)
        if check.variable:
            return self._variable(check)
        if check.function not in self.inventory:
            return CheckResult(
                check.function, "missing", check.weight, feedback=self._missing(check)
            )
        cases = self.plan.cases[check.key]
        every = check.credit == "proportional"
        n = check.samples
        seeds = [call_seed(check.key, c, i) for c in cases for i in range(n)]
        try:
            outcomes = self.session.call(
                check.function,
                self.kinds[check.function],
                [_protocol.encode_case(c, check.param_names) for c in cases for _ in range(n)],
                rich=not is_numeric(check.returns),
                every=every,
                seeds=seeds if check.stochastic else None,
            )
        except KernelDied as exc:
            return self._died(check, exc)
        groups = [outcomes[i : i + n] for i in range(0, len(outcomes), n)]
        failures = []
        for case, expected, group in zip(cases, self.plan.expected[check.key], groups):
            outcome, reason = sampled(check, group, expected) if n > 1 else (group[0], None)
            if n == 1:
                reason = self._judge(check, outcome, expected)
            if reason is not None:
                failures.append((case, outcome, expected, reason))
                if not every:
                    break
        if not failures:
            return CheckResult(check.function, "ok", check.weight)
        case, outcome, expected, reason = failures[0]
        status = _status(outcome)
        if status == "timeout":
            self.broken.add(check.function)
        text = self._explain(check, case, outcome, expected, reason)
        if not every:
            return CheckResult(check.function, status, check.weight, feedback=text)
        right = len(cases) - len(failures)
        text = f"{check.function} is right on {right} of {len(cases)} inputs. {text}"
        return CheckResult(check.function, status, check.weight, right / len(cases), feedback=text)

    def _variable(self, check: Check) -> CheckResult:
        """A value the notebook computed at top level: read once, compared like an answer."""
        try:
            (outcome,) = self.session.fetch(check.function, rich=not is_numeric(check.returns))
        except KernelDied as exc:
            return self._died(check, exc)
        if outcome.kind == "missing":
            return CheckResult(
                check.function, "missing", check.weight, feedback=self._missing(check)
            )
        if not self.plan.expected[check.key]:  # a student bundle: the value is not public
            return CheckResult(check.function, "ok", check.weight)
        expected = self.plan.expected[check.key][0]
        reason = self._judge(check, outcome, expected)
        if reason is None:
            return CheckResult(check.function, "ok", check.weight)
        text = self._explain(check, {}, outcome, expected, reason)
        return CheckResult(check.function, _status(outcome), check.weight, feedback=text)

    def _judge(self, check: Check, outcome: _protocol.Outcome, expected: Any) -> str | None:
        """Why an outcome earns nothing, or None: by the check's comparator when it names one
        (on the plain data that came back), else by its shape and tolerances."""
        comparators = getattr(self.plan.assignment.hooks, "COMPARATORS", None)
        if outcome.kind != "value" or check.compare is None:
            return why_not(outcome, expected, check)
        if comparators is None:  # a student bundle holds no checks.py: say what is compared
            reason = why_not(outcome, expected, check)
            note = "compared as the reference gives it; the final grade accepts the answers"
            return reason and f"{reason} ({note} the sheet calls equal)"
        if outcome.value is None:
            return "is a `return` statement missing?"
        try:
            same = comparators[check.compare](expected, outcome.value) is True
        except Exception:  # the instructor's function on a student's odd answer: not equal
            same = False
        return None if same else "that is not the right value"

    def _missing(self, check: Check) -> str:
        similar = difflib.get_close_matches(check.function, list(self.inventory), n=3, cutoff=0.6)
        what = "variable" if check.variable else "function"
        text = f"{check.function}: the notebook defines no {what} with this exact name."
        if similar:
            text += f" Similar names found: {', '.join(similar)}."
        failing = self.execution.errors
        mark = f"{check.function} =" if check.variable else f"def {check.function}"
        defining = [c for c in failing if mark in self._source(c.index)]
        if failing:
            cell = (defining or failing)[0]
            text += f" Cell {cell.index + 1} did not run ({cell.message})."
        return text

    def _source(self, index: int) -> str:
        source = self.session.nb.cells[index].get("source", "")
        return "".join(source) if isinstance(source, list) else str(source)

    def _died(self, check: Check, exc: KernelDied) -> CheckResult:
        self.broken.add(check.function)
        if isinstance(exc, KernelOutOfMemory):
            status = "resource_limit"
            text = f"{check.function}: while it ran on its inputs, {exc}."
        elif isinstance(exc, KernelTimeout):
            status = "timeout"
            text = (
                f"{check.function} kept running past its time limits on its inputs (it ignored "
                "the time-out), so the kernel was stopped."
            )
        else:
            status = "kernel_died"
            text = f"{check.function}: the kernel died while this function ran on its inputs."
        if self._revive():
            text += " The kernel was restarted for the remaining functions."
        return CheckResult(check.function, status, check.weight, feedback=text)

    def _revive(self) -> bool:
        """A fresh kernel after one died; once that is impossible, say why for what is left."""
        try:
            self.session.restart()
        except KernelDied as exc:
            self.dead = f"the kernel died and could not be restarted ({exc})"
            return False
        self.inventory = self._inventory()
        return True

    def _explain(
        self,
        check: Check,
        case: dict[str, Any],
        outcome: _protocol.Outcome,
        expected: Any,
        reason: str,
    ) -> str:
        call = show_call(check.function, case, check.param_names)
        returned = "returned"
        if check.variable:
            call, returned = check.function, "is"
        if outcome.kind == "value" and check.samples > 1:
            text = f"{call} over {check.samples} seeded calls: {reason}."
        elif outcome.kind == "value":
            text = f"{call} {returned} {show(outcome.value)}: {reason}"
            text += "" if text.endswith("?") else "."
            if self.plan.show_expected:
                text += f" Expected {show(expected)}."
        elif outcome.message.startswith("NotImplementedError"):
            text = f"{call} is not implemented yet (it raised NotImplementedError)."
        elif outcome.kind == "error":
            text = f"{call} raised {outcome.message.rstrip(': ')}." + self._signature(check)
        elif outcome.kind in ("timeout", "skipped"):
            text = f"{call} did not finish: {outcome.message}."
        elif outcome.kind == "unsupported":
            text = f"{call} returned {outcome.message}, not a number or a list of numbers."
            if not is_numeric(check.returns):
                text = f"{call} {returned} {outcome.message}, which the grader cannot compare."
        elif outcome.kind == "too_large":
            cap = _client.REPLY_MAX_BYTES // 2**20
            text = (
                f"{check.function}: the answer was too large (its reply on the sheet's inputs "
                f"went past the grader's cap of {cap} MiB, so it was not read)."
            )
        else:
            text = f"{call}: {outcome.message or 'no answer came back'}."
        # Hints explain a wrong number; a call that raised or hung is explained already.
        broken = self._broken_properties(check) if outcome.kind == "value" else ""
        if broken:
            text += " " + broken
        return text

    def _signature(self, check: Check) -> str:
        """Where the notebook's function takes other arguments than the sheet asks for."""
        params = self.inventory.get(check.function)
        if params is None or tuple(params) == tuple(check.param_names):
            return ""
        return (
            f" Your {check.function} takes ({', '.join(params)}); the sheet asks for "
            f"{check.function}({', '.join(check.param_names)})."
        )

    def _broken_properties(self, check: Check) -> str:
        """The first property from the sheet the answer breaks, as a hint: never marks.

        All the calls the properties need go to the kernel at once, one request per function.
        """
        if self.plan.assignment.hooks is None:
            return ""
        planned = []
        for name in check.properties:
            prop = self.plan.assignment.property(name)
            for case in self.plan.cases[check.key][:PROPERTY_CASES]:
                calls = prop.calls(**case)
                if any(fn not in self.inventory or fn in self.broken for fn, _ in calls.values()):
                    break
                planned.append((prop, case, calls))
        try:
            values = self._call_grouped([c for _, _, calls in planned for c in calls.values()])
        except KernelDied:
            self._revive()
            return ""
        for prop, case, calls in planned:
            results = {label: values[_key(fn, args)] for label, (fn, args) in calls.items()}
            if not _holds(prop, case, results):
                shown = ", ".join(f"{k}={show(v, 80)}" for k, v in results.items())
                args = ", ".join(f"{n}={show(case[n], 80)}" for n in check.param_names)
                return (
                    f"Hint: the sheet says {prop.statement}, but for {args} "
                    f"your functions give {shown}."
                )
        return ""

    def _call_grouped(self, calls: list[tuple[str, tuple[Any, ...]]]) -> dict[str, Any]:
        """Each distinct call once; a value, or None where no number came back."""
        by_function: dict[str, dict[str, list[Any]]] = {}
        for fn, args in calls:
            by_function.setdefault(fn, {})[_key(fn, args)] = list(args)
        values: dict[str, Any] = {}
        for fn, unique in by_function.items():
            try:
                outcomes = self.session.call(fn, self.kinds[fn], list(unique.values()))
            except KernelDied:
                self.broken.add(fn)  # never called again for a hint
                raise
            if any(o.kind == "timeout" for o in outcomes):
                self.broken.add(fn)
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


def _status(outcome: _protocol.Outcome) -> str:
    if outcome.kind == "error" and outcome.message.startswith("MemoryError"):
        return "resource_limit"
    return _STATUS_OF_OUTCOME.get(outcome.kind, "wrong")
