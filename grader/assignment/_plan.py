"""What a batch needs once, not once per notebook: the frozen cases and the oracle's answers.

The oracle runs here, in the grader's process, on the frozen inputs; every worker then gets the
answers as plain data. Nothing a notebook does can reach this.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from grader import __version__
from grader.assignment._answer_cache import AnswerCache, answers_key
from grader.assignment._answers import call_seed, moments, part_of, plain_expected, seeded
from grader.assignment._frozen import Case, load_frozen
from grader.assignment._seeds import oracle_arguments
from grader.assignment._spec import Assignment, Check, require_oracles
from grader.assignment._variants import VARIANT_INPUTS, oracle_values
from grader.errors import SpecError, VariantError
from grader.kernel import _runtime
from grader.kernel._limits import Limits


def plain_answer(value: Any, returns: Any) -> Any:
    """An oracle's answer as plain data (a float, a list of floats, or the nesting the spec's
    ``returns`` describes) to compare against."""
    return plain_expected(value, returns)


@dataclass(frozen=True)
class GradingPlan:
    """An assignment ready to grade: its cases and expected answers per ``Check.key``."""

    assignment: Assignment
    cases: dict[str, tuple[Case, ...]]
    expected: dict[str, tuple[Any, ...]]
    limits: Limits = field(default_factory=Limits)
    frozen_sha256: str = ""
    show_expected: bool = False
    #: Checks whose answers depend on the student's variant (``[variants]``): their answers
    #: here are empty, each submission's are in ``students``.
    dependent: frozenset[str] = frozenset()
    #: Per submission name: the cases and answers of its own variant (see ``for_submission``).
    students: Mapping[str, StudentPart] = field(default_factory=dict)

    @classmethod
    def build(cls, assignment: Assignment, limits: Limits | None = None) -> GradingPlan:
        """The plan of ``assignment``: its frozen cases, and the oracles' answers to them,
        taken from the answer cache (``_answer_cache``) where it has them, else computed (and
        kept there)."""
        frozen = load_frozen(assignment)
        dependent = variant_dependent(assignment)
        expected = _kept_answers(assignment, frozen.sha256, dependent)
        if expected is None:
            expected = _computed_answers(assignment, frozen.cases, frozen.sha256, dependent)
        cases = dict(frozen.cases)
        for check in assignment.checks:  # called on each student's values: none of its own
            if check.key in dependent and not check.variable:
                cases[check.key] = ()
        return cls(
            assignment=assignment,
            cases=cases,
            expected=expected,
            limits=limits or Limits(),
            frozen_sha256=frozen.sha256,
            show_expected=assignment.show_expected,
            dependent=dependent,
        )

    def for_submission(self, name: str) -> GradingPlan:
        """The plan one submission is graded on: its own variant's cases and answers where the
        assignment has variants (refused, never graded on empty answers, where it has none)."""
        if not self.dependent and not self.students:
            return self
        part = self.students.get(name)
        if part is None:
            raise VariantError(f"no variant was worked out for submission {name!r}")
        cases = {**self.cases, **part.cases}
        expected = {**self.expected, **part.expected}
        return replace(self, cases=cases, expected=expected, dependent=frozenset(), students={})

    def __reduce__(self) -> tuple[Any, ...]:
        """Workers get plain data and reload the assignment: modules do not pickle."""
        return (
            _rebuild,
            (
                self.assignment.folder,
                self.cases,
                self.expected,
                self.limits,
                self.frozen_sha256,
                self.show_expected,
                self.dependent,
                dict(self.students),
            ),
        )

    def versions(self) -> dict[str, str]:
        """Recorded with every run, so an appeal months later knows what graded it."""
        import hypothesis

        return {
            "grader_version": __version__,
            "hypothesis_version": hypothesis.__version__,
            "python_version": platform.python_version(),
            "frozen_sha256": self.frozen_sha256,
        }


def _rebuild(
    folder: Any,
    cases: Any,
    expected: Any,
    limits: Limits,
    sha: str,
    show_expected: bool,
    dependent: frozenset[str] = frozenset(),
    students: Any = None,
) -> GradingPlan:
    from grader.assignment._spec import load_assignment

    # The expected answers came along as data: a worker has no use for the oracles. A worker
    # gets the plan with every submission; it loads the assignment only once.
    key = (str(folder), sha)
    loaded = _runtime.part(LoadedAssignments).by_folder
    if key not in loaded:
        loaded[key] = load_assignment(folder, oracles=False)
    return GradingPlan(
        loaded[key], cases, expected, limits, sha, show_expected, dependent, students or {}
    )


@dataclass(frozen=True)
class StudentPart:
    """One submission's own cases and answers, per ``Check.key``, for the dependent checks."""

    cases: dict[str, tuple[Case, ...]]
    expected: dict[str, tuple[Any, ...]]


def variant_dependent(assignment: Assignment) -> frozenset[str]:
    """The checks whose answers are each student's own: read variables whose oracle takes a
    value of ``[variants]`` by name, and functions called on the student's values (``inputs =
    "variant"``); any other function's frozen inputs stay the assignment's."""
    if assignment.variants is None or assignment.oracles is None:
        return frozenset()
    names = dict.fromkeys(assignment.variants.names, 0)
    return frozenset(
        check.key
        for check in assignment.checks
        if (check.variable and oracle_values(assignment.oracle(check), names) is not None)
        or (not check.variable and check.inputs == VARIANT_INPUTS)
    )


def student_part(assignment: Assignment, dependent: frozenset[str], values: Any) -> StudentPart:
    """The answers of the dependent checks for one student's values, from the oracles here."""
    cases: dict[str, tuple[Case, ...]] = {}
    expected: dict[str, tuple[Any, ...]] = {}
    for check in assignment.checks:
        if check.key not in dependent:
            continue
        if check.variable:  # read, not called: its oracle takes the values it names
            arguments = oracle_values(assignment.oracle(check), values) or {}
            expected[check.key] = _answers(assignment, check, (arguments,))
            cases[check.key] = ({},)
        else:  # called once, on the student's own values
            case = {name: values[name] for name in check.param_names}
            expected[check.key] = _answers(assignment, check, (case,))
            cases[check.key] = (case,)
    return StudentPart(cases, expected)


@dataclass
class LoadedAssignments:
    """This process's part of the runtime state (``grader.kernel._runtime``): the assignments it
    loaded to rebuild the plans it was sent, per folder and frozen inputs' hash."""

    by_folder: dict[tuple[str, str], Assignment] = field(default_factory=dict)


def _cache_key(assignment: Assignment, frozen_sha256: str) -> tuple[AnswerCache, str] | None:
    """Where this assignment's answers are kept, and under which key; None where they are not
    (no cache, a bundle, something they depend on that cannot be pinned)."""
    cache = AnswerCache.here()
    if cache is None or assignment.oracles_file is None:
        return None
    files = (assignment.oracles_file, assignment.data_files)
    key = answers_key(assignment.spec_hash, frozen_sha256, *files)
    return None if key is None else (cache, key)


def _kept_answers(
    assignment: Assignment, frozen_sha256: str, dependent: frozenset[str]
) -> dict[str, tuple[Any, ...]] | None:
    """The answers the cache has for exactly these checks, or None."""
    where = _cache_key(assignment, frozen_sha256)
    found = where[0].get(where[1]) if where is not None else None
    keys = {check.key for check in assignment.checks}
    if found is None or set(found) != keys:
        return None
    if any(found[key] for key in dependent):
        return None
    return found


def _computed_answers(
    assignment: Assignment,
    cases: Mapping[str, tuple[Case, ...]],
    frozen_sha256: str,
    dependent: frozenset[str],
) -> dict[str, tuple[Any, ...]]:
    """The oracles' answers to every check's frozen cases (``()`` for a check whose answers
    are each student's), kept in the cache for the next command."""
    require_oracles(assignment)
    expected = {
        check.key: () if check.key in dependent else _answers(assignment, check, cases[check.key])
        for check in assignment.checks
    }
    where = _cache_key(assignment, frozen_sha256)
    if where is not None:
        where[0].put(where[1], expected)
    return expected


def _answers(assignment: Assignment, check: Check, cases: tuple[Case, ...]) -> tuple[Any, ...]:
    oracle = assignment.oracle(check)
    answers = []
    for case in cases:
        try:
            answer = _answer(oracle, check, case)
            answers.append(answer if check.field is None else part_of(answer, check.field))
        except Exception as exc:
            raise SpecError(
                assignment.folder / "frozen.json",
                f"the oracle {check.oracle} raised {exc!r} on the frozen case {case}; "
                "fix the oracle or the input strategy, then run `grader freeze`",
            ) from exc
    return tuple(answers)


def _answer(oracle: Any, check: Check, case: Case) -> Any:
    """The oracle's answer; a stochastic check's under the seeds the student's calls get, and
    over several samples their mean and standard deviation (and fourth central moment, which
    a spread judged in standard errors needs)."""
    if not check.stochastic:
        return plain_answer(oracle(**case), check.returns)
    values = []
    for index in range(check.samples):
        with seeded(call_seed(check.key, case, index)):
            arguments = oracle_arguments(check, case, index)
            values.append(plain_answer(oracle(**arguments), check.returns))
    if check.samples == 1:
        return values[0]
    return moments(values, fourth=check.spread_se is not None)
