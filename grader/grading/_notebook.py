"""Grading one notebook: run it, call each asked-for function on the frozen cases, score.

Marks come only from agreement with the oracle. The sheet's properties are run only for checks
that failed, to explain what went wrong; they never earn anything. What happened is kept as
data (cases passed, the failing input, what came back, a reason code, events); the words are
the renderers' (``grader.report._render_text`` and friends).
"""

from __future__ import annotations

import difflib
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from grader.assignment._answers import call_seed, is_numeric
from grader.assignment._plan import GradingPlan
from grader.assignment._seeds import call_values
from grader.assignment._spec import Check, Question
from grader.errors import KernelSetupError
from grader.grading._ahead import Ahead
from grader.grading._diagnosis import name_misconception
from grader.grading._events import execution_events, imported_events
from grader.grading._explain import clean, died, reason_of, received
from grader.grading._hints import broken_properties
from grader.grading._intake import submission_name
from grader.grading._reading import read_submission, write_executed
from grader.grading._statistics import judge_samples
from grader.grading._ungraded import zero_result
from grader.grading._unpublished import unpublished
from grader.grading._uses import with_causes
from grader.grading._verdict import by_comparator, share_of, status_of, why_not
from grader.grading._written import written_answers
from grader.kernel import _phases, _protocol
from grader.kernel._session import Execution, KernelDied, KernelSession
from grader.results._model import (
    ERROR,
    INVALID_NOTEBOOK,
    KERNEL_DIED,
    MISSING,
    OK,
    PARTIAL,
    RESOURCE_LIMIT,
    TIMEOUT,
    CheckResult,
    Event,
    Mismatch,
    QuestionResult,
    Reason,
    Status,
    SubmissionResult,
)
from grader.results._values import encode

#: Exceptions that mean a cell did not parse: the functions it defines are missing for that.
_SYNTAX = ("SyntaxError", "IndentationError", "TabError")


def grade_notebook(
    plan: GradingPlan,
    path: Path,
    name: str | None = None,
    keep_executed: Path | None = None,
    ahead: Ahead | None = None,
) -> SubmissionResult:
    """Grade one notebook file. Nothing the notebook does raises here; it is all in the result.

    With ``keep_executed`` (a file's path), the executed notebook (outputs capped) is written
    there, for appeals.
    Reading the file counts in the submission's time, like its cells and calls. ``ahead``: this
    notebook read, and its kernel launched, while the one before was graded (``_ahead``).
    """
    name = name or submission_name(path)
    plan = plan.for_submission(name)  # its own variant's answers, where the sheet has [variants]
    start = time.monotonic()
    with _phases.phase("start"):
        submission = ahead.submission if ahead is not None else read_submission(path)
    if submission.nb is None:
        problem = submission.problem
        return zero_result(plan, name, INVALID_NOTEBOOK, problem, start, submission.params)
    answers = written_answers(plan.assignment, submission.nb)
    session = ahead.take() if ahead is not None else None
    session = session or KernelSession(path, plan.limits, plan.assignment.data_files, submission.nb)
    with session:
        session.deadline = start + plan.limits.notebook_seconds
        try:
            execution = session.run_notebook()
        except KernelDied as exc:
            why = f"The kernel died: {clean(str(exc))}."
            return replace(zero_result(plan, name, KERNEL_DIED, why, start), extra=answers)
        except KernelSetupError as exc:
            if exc.when != "after the cells":  # before them: the grader's environment
                raise
            return replace(zero_result(plan, name, ERROR, _unset(exc), start), extra=answers)
        grader = _Grader(plan, session, execution)
        imported = grader.imported()
        questions = with_causes(
            plan.assignment, tuple(grader.question(q) for q in plan.assignment.questions)
        )
    events = execution_events(session.execution, submission.repairs, plan.limits.memory_mb)
    events += imported
    if session.survivors:  # checked through the submission's cgroup once it was torn down
        events.append(Event("processes_survived"))
    # Once the kernel is gone: an executed notebook means done.
    with _phases.phase("store"):
        if keep_executed is not None and not write_executed(session.nb, keep_executed):
            events.append(Event("executed_not_kept"))
    seconds = round(time.monotonic() - start, 3)
    return SubmissionResult(
        name,
        questions,
        seconds=seconds,
        extra=answers,
        usage=session.usage,
        events=tuple(events),
    )


def _unset(exc: KernelSetupError) -> str:
    """Why a notebook whose kernel would not take the driver after its cells is not graded."""
    return (
        f"The grader's code could not run in this notebook's kernel after its cells "
        f"({exc.error}): the notebook may have replaced a built-in or a module it needs."
    )


class _Grader:
    """The per-notebook state of grading: the session, what the notebook defines, what ran."""

    def __init__(self, plan: GradingPlan, session: KernelSession, execution: Execution) -> None:
        self.plan = plan
        self.session = session
        self.execution = execution
        #: What the notebook defines (``_survey``), and where those it imported came from.
        self.inventory, self._modules = self._survey()
        self.kinds = {c.function: [k for _, k in c.params] for c in plan.assignment.checks}
        #: Functions whose answers are structured (dicts, bools, ...): hints must read them too.
        self.rich = {c.function: not is_numeric(c.returns) for c in plan.assignment.checks}
        #: Functions that hung or killed the kernel: never called again for a hint.
        self.broken: set[str] = set()
        #: Why nothing more can be graded (the kernel is gone for good), once that is so.
        self.dead: dict[str, Any] = {}
        #: Checked functions the notebook imported: name -> module.
        self.origins: dict[str, str] = {}
        if execution.gave_up:
            self.dead = {"cells": [i + 1 for i in execution.skipped]}

    def _phase(self, name: str) -> Any:
        """Time inside counted as ``name``'s, with the submission's CPU (``_phases``)."""
        return _phases.phase(name, self.session.cpu_seconds)

    def _survey(self) -> tuple[dict[str, list[str] | None], dict[str, str]]:
        try:
            with self._phase("calls"):
                return self.session.survey(self._checked_functions())
        except KernelDied:
            return {}, {}

    def _checked_functions(self) -> list[str]:
        names = [c.function for c in self.plan.assignment.checks if not c.variable]
        return list(dict.fromkeys(names))

    def question(self, question: Question) -> QuestionResult:
        results = tuple(self._origin(self._named(check)) for check in question.checks)
        weight = sum(r.weight for r in results)
        earned = sum(r.weight * r.earned for r in results)
        points = round(question.points * earned / weight, 6)
        failed = [r for r in results if not r.passed]
        status = failed[0].status if failed else OK
        if failed and 0 < points < question.points:
            status = PARTIAL  # never `missing` beside 2/4
        return QuestionResult(question.id, points, question.points, status, results)

    def imported(self) -> list[Event]:
        """Checked functions the notebook imported from a module rather than wrote."""
        names = [n for n in self._checked_functions() if n in self.inventory]
        if self.dead or not names:
            return []
        events = imported_events(self._modules, names)
        self.origins = {e.params["function"]: e.params["module"] for e in events}
        return events

    def _named(self, check: Check) -> CheckResult:
        """The check's result, named as the spec names it (a question may check a function
        more than once) and marked when it reads a variable."""
        result = self.check(check)
        if check.name is None and not check.variable:
            return result
        return replace(result, name=check.name, variable=check.variable)

    def _origin(self, result: CheckResult) -> CheckResult:
        """A passing check of an imported function says so: it is not the student's code."""
        module = self.origins.get(result.function)
        if module is None or not result.passed:
            return result
        return replace(result, reason=Reason("imported", {"module": module}))

    def check(self, check: Check) -> CheckResult:
        if self.dead:
            reason = Reason("kernel_died", {"not_graded": True, **self.dead})
            return CheckResult(check.function, KERNEL_DIED, check.weight, reason=reason)
        if check.variable:
            return self._variable(check)
        if check.function not in self.inventory:
            return self._missing(check)
        cases = self.plan.cases[check.key]
        n = check.samples
        seeds = None
        if check.stochastic:  # a hash per call: worked out only where calls are seeded
            seeds = [call_seed(check.key, c, i) for c in cases for i in range(n)]
        try:
            with self._phase("calls"):
                outcomes = self.session.call(
                    check.function,
                    self.kinds[check.function],
                    [call_values(check, c, i) for c in cases for i in range(n)],
                    rich=not is_numeric(check.returns),
                    every=check.credit == "proportional",
                    seeds=seeds,
                )
        except KernelDied as exc:
            return self._died(check, exc)
        with self._phase("comparisons"):
            return self._judged(check, cases, outcomes)

    def _judged(
        self, check: Check, cases: tuple[Any, ...], outcomes: list[_protocol.Outcome]
    ) -> CheckResult:
        """A check's result from its calls' outcomes, compared with the oracle's answers."""
        n = check.samples
        groups = [outcomes[i : i + n] for i in range(0, len(outcomes), n)]
        run = passed = hidden_passed = 0
        first = None
        failures = []
        expected_all = self.plan.expected[check.key]
        judged = judge_samples(check, groups, expected_all) if n > 1 else None
        for index, (expected, group) in enumerate(zip(expected_all, groups)):
            outcome, why = judged[index] if judged is not None else (group[0], None)
            if judged is None:
                why = self._judge(check, outcome, expected)
            run += outcome.kind != "skipped"
            if why is None:
                passed += 1
                hidden_passed += index >= check.public
            else:  # every failure: the misconceptions are tried on them all
                failures.append((cases[index], outcome, expected, why))
                first = first or (index, outcome, expected, why)
        if first is None:
            return CheckResult(check.function, OK, check.weight, cases_run=run, cases_passed=passed)
        share, uncounted = share_of(check, len(cases), passed, hidden_passed)
        wrong = [case for case, outcome, *_ in failures if outcome.kind == "value"]
        result = self._failure(check, first, share, run, passed, wrong)
        return replace(
            result, misconception=self._misconception(check, failures), uncounted=uncounted
        )

    def _misconception(self, check: Check, failures: list[Any]) -> str | None:
        """The catalogue's name for the mistake behind every failure, if one explains them."""
        if not self.plan.assignment.misconceptions:
            return None
        judge = partial(self._judge, check)
        return name_misconception(self.plan.assignment, check, failures, judge)

    def _failure(
        self,
        check: Check,
        first: tuple[int, _protocol.Outcome, Any, Mismatch],
        share: float | None,
        run: int,
        passed: int,
        wrong: list[dict[str, Any]] | None = None,
    ) -> CheckResult:
        """A check's first failing case, as data, with the properties it breaks as a hint: tried
        on the cases it answered wrongly (``wrong``) only, so a hint never quotes an input the
        check passed."""
        index, outcome, expected, why = first
        status = status_of(outcome)
        if status == TIMEOUT:
            self.broken.add(check.function)
        reason = reason_of(check, outcome, why, self.inventory, self.plan.limits.memory_mb)
        broken: tuple[str, ...] = ()
        if outcome.kind == "value":  # a call that raised or hung is explained already
            with self._phase("hints"):
                broken, example = broken_properties(self, check, wrong or [])
            if example:
                reason = replace(reason, params={**reason.params, "hint": example})
        case = self.plan.cases[check.key][index] if not check.variable else None
        return CheckResult(
            check.function,
            status,
            check.weight,
            share,
            cases_run=run,
            cases_passed=passed,
            failing_input=received(check, case) if case is not None else None,
            returned=encode(outcome.value) if outcome.kind == "value" else None,
            reason=reason,
            public=index < check.public,
            properties_broken=broken,
            expected=encode(expected) if self.plan.show_expected else None,
        )

    def _variable(self, check: Check) -> CheckResult:
        """A value the notebook computed at top level: read once, compared like an answer."""
        try:
            with self._phase("calls"):
                (outcome,) = self.session.fetch(check.function, rich=not is_numeric(check.returns))
        except KernelDied as exc:
            return self._died(check, exc)
        if outcome.kind == "missing":
            return self._missing(check)
        if not self.plan.expected[check.key]:  # a student bundle: the value is not public
            return unpublished(self, check, outcome)
        expected = self.plan.expected[check.key][0]
        why = self._judge(check, outcome, expected)
        if why is None:
            return CheckResult(check.function, OK, check.weight, cases_run=1, cases_passed=1)
        result = self._failure(check, (0, outcome, expected, why), None, 1, 0)
        misconception = self._misconception(check, [({}, outcome, expected, why)])
        return replace(result, misconception=misconception)

    def _judge(self, check: Check, outcome: _protocol.Outcome, expected: Any) -> Mismatch | None:
        """Why an outcome earns nothing, or None: by the check's comparator when it names one
        (on the plain data that came back), else by its shape and tolerances."""
        if outcome.kind != "value" or check.compare is None:
            return why_not(outcome, expected, check)
        compare = self.plan.assignment.comparator(check.compare)
        if compare is None:  # a bundle of a sheet whose comparators stayed in checks.py
            found = why_not(outcome, expected, check)
            return found and replace(found, strict=True)
        return by_comparator(compare, check, outcome.value, expected)

    def _missing(self, check: Check) -> CheckResult:
        """No such name: similar names, and the cell that defines it if that cell failed (never
        a failing cell that does not define it)."""
        similar = difflib.get_close_matches(check.function, list(self.inventory), n=3, cutoff=0.6)
        params: dict[str, Any] = {"variable": check.variable, "similar": similar}
        mark = f"{check.function} =" if check.variable else f"def {check.function}"
        defining = [c for c in self.execution.errors if mark in self._source(c.index)]
        code = "missing"
        if defining:
            cell = defining[0]
            params.update(cell=cell.index + 1, cell_error=clean(cell.message, cell.index + 1))
            if cell.message.split(":")[0] in _SYNTAX:
                code = "syntax_error"
        reason = Reason(code, params)
        return CheckResult(check.function, MISSING, check.weight, reason=reason)

    def _source(self, index: int) -> str:
        source = self.session.nb.cells[index].get("source", "")
        return "".join(source) if isinstance(source, list) else str(source)

    def _died(self, check: Check, exc: KernelDied) -> CheckResult:
        self.broken.add(check.function)
        reason = died(exc, self.plan.limits.memory_mb, self.revive())
        status: Status = {"resource_limit": RESOURCE_LIMIT, "timeout": TIMEOUT}.get(
            reason.code, KERNEL_DIED
        )
        return CheckResult(check.function, status, check.weight, reason=reason)

    def revive(self) -> bool:
        """A fresh kernel after one died; once that is impossible, say why for what is left."""
        try:
            self.session.restart()
        except KernelDied as exc:
            self.dead = {"message": clean(str(exc))}
            return False
        self.inventory = self._survey()[0]
        return True
