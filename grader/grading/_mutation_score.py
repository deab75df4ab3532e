"""``grader validate --mutants``: how strong are the checks? The share of mutants they catch.

Every mutant of the solution is graded like a student's notebook, in a real kernel, by the batch
machinery (workers in parallel). A mutant is caught when it loses a mark. A survivor is either a
blind spot of the checks or an equivalent mutant (same results on every valid input); it may be
called equivalent only when fresh inputs, drawn independently of the frozen ones (edges
included, ``FRESH_EXAMPLES`` of them), find no difference from the oracle either, and only
through the assignment's allow-list (``mutants.toml``), each entry with its reason. An entry
names one mutant (``id``) or a family: every mutant of one function whose change touches a line
of the solution holding a given text (``function`` and ``line``), such as all the mutants of one
constant, so that a family equivalent for one reason is listed once.
"""

from __future__ import annotations

import difflib
import hashlib
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from grader.assignment._frozen import draw_cases
from grader.assignment._plan import GradingPlan, _answers
from grader.assignment._spec import Assignment, Check
from grader.grading._batch import grade_batch
from grader.grading._mutate import Mutant, mutants, write_mutant
from grader.grading._notebook import grade_notebook
from grader.kernel._limits import Limits
from grader.report._render_text import check_text
from grader.results._context import FeedbackOptions
from grader.results._model import OK, SubmissionResult

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ALLOW_LIST = "mutants.toml"
#: Fresh inputs per check a survivor must agree on before it may be called equivalent.
FRESH_EXAMPLES = 2000


@dataclass(frozen=True)
class Equivalent:
    """An entry of the allow-list: one mutant (``id``), or a family (``function`` and
    ``line``: every mutant of that function that changes a solution line containing ``line``)."""

    reason: str
    id: str = ""
    function: str = ""
    line: str = ""

    @property
    def name(self) -> str:
        return self.id or f"{self.function}: line {self.line!r}"

    def matches(self, mutant: Mutant) -> bool:
        if self.id:
            return mutant.id == self.id
        return mutant.function == self.function and any(
            self.line in line for line in changed_lines(mutant)
        )


def changed_lines(mutant: Mutant) -> list[str]:
    """The solution's lines the mutant changes (as they are in the solution)."""
    diff = difflib.ndiff(mutant.original.splitlines(), mutant.source.splitlines())
    return [line[2:] for line in diff if line.startswith("- ")]


@dataclass(frozen=True)
class Survivor:
    mutant: Mutant
    #: The first fresh input where it differs from the oracle (feedback), "" if none.
    difference: str
    #: The allow-list's reason, where it lists this mutant as equivalent.
    allowed: str = ""


@dataclass(frozen=True)
class MutationReport:
    mutants: tuple[Mutant, ...]
    caught: frozenset[str]
    survivors: tuple[Survivor, ...]
    stale: tuple[str, ...]  # allow-list entries that match no mutant of the solution
    seconds: float  # grading every mutant, in parallel
    fresh_seconds: float  # drawing fresh inputs for the survivors and grading them on those
    fresh: int
    #: Every question of the sheet graded automatically, in order (each gets a summary line).
    questions: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        """Survivors the checks must catch: not allow-listed, or allow-listed but different."""
        found = []
        for s in self.survivors:
            if s.difference:
                found.append(
                    f"mutant {s.mutant.id} survives the checks but differs on {s.difference}"
                )
            elif not s.allowed:
                found.append(
                    f"mutant {s.mutant.id} survives; {self.fresh} fresh inputs find no difference: "
                    f"if it is equivalent, add it to {ALLOW_LIST} with the reason"
                )
        return found

    def _question_line(self, question: str) -> str:
        """One question's summary: caught, equivalent (allow-listed), and left to look at."""
        mine = [m for m in self.mutants if m.question == question]
        if not mine:
            return f"  {question}  no mutants (no checked function to mutate)"
        caught = sum(m.id in self.caught for m in mine)
        alive = [s for s in self.survivors if s.mutant.question == question]
        equivalent = sum(bool(s.allowed) and not s.difference for s in alive)
        line = f"  {question}  caught {caught}/{len(mine)}"
        if equivalent:
            line += f", {equivalent} equivalent (allow-listed)"
        if len(alive) > equivalent:
            line += f", {len(alive) - equivalent} to look at"
        return line

    def lines(self) -> list[str]:
        out = [
            f"Mutants of the solution's functions: {len(self.mutants)} graded in "
            f"{self.seconds:.0f} s, survivors tried on fresh inputs in {self.fresh_seconds:.0f} s"
        ]
        out += [self._question_line(question) for question in self.questions]
        for s in self.survivors:
            verdict = (
                f"differs on fresh inputs: {s.difference}"
                if s.difference
                else f"equivalent (allow-listed: {s.allowed})"
                if s.allowed
                else f"no difference on {self.fresh} fresh inputs per check"
            )
            out += [f"Survivor {s.mutant.id} ({s.mutant.change}): {verdict}", s.mutant.diff()]
        out += [f"Allow-list entry {i} matches no mutant of the solution" for i in self.stale]
        out.append(f"mutants caught: {len(self.caught)}/{len(self.mutants)}")
        return out


class MutantsProgress(Protocol):
    """What :func:`run_mutants` says as it goes (``grader._console.MutantsProgress`` prints it):
    each stage, each mutant graded (as ``grade_batch``'s progress), each survivor tried."""

    def stage(self, text: str) -> None: ...

    def begin(self, todo: int, resumed: int) -> None: ...

    def __call__(self, result: SubmissionResult) -> None: ...

    def survivor(self, done: int, total: int) -> None: ...


def run_mutants(
    assignment: Assignment,
    workers: int | None = None,
    limits: Limits | None = None,
    fresh: int = FRESH_EXAMPLES,
    progress: MutantsProgress | None = None,
) -> MutationReport:
    """Grade every mutant (in parallel), then put each survivor to fresh inputs; ``progress``
    hears of each stage and step."""
    start = time.monotonic()
    if progress is not None:
        progress.stage("making the mutants of the solution's functions")
    every = tuple(mutants(assignment))
    entries = load_allow_list(assignment)
    if progress is not None:
        progress.stage(f"grading {len(every)} mutant(s), each in a kernel of its own")
    with tempfile.TemporaryDirectory(prefix="grader-mutants-") as scratch:
        folder = Path(scratch) / "mutants"
        folder.mkdir()
        solution = assignment.solution_notebook or Path()  # mutants() required it
        files = {
            m.id: write_mutant(solution, m, folder / f"{i:03d}_{m.id}.ipynb")
            for i, m in enumerate(every)
        }
        report = grade_batch(
            assignment,
            list(files.values()),
            Path(scratch) / "out",
            workers=workers,
            limits=limits,
            progress=progress,
        )
        lost = report.scores[report.scores["points"] < report.scores["max_points"]]
        caught_files = set(lost["submission"])
        caught = frozenset(m.id for m in every if files[m.id].stem in caught_files)
        alive = [m for m in every if m.id not in caught]
        graded = time.monotonic()
        if progress is not None and alive:
            progress.stage(
                f"{len(caught)}/{len(every)} caught; trying the {len(alive)} survivor(s) on "
                f"{fresh} fresh inputs per check"
            )
        survivors = []
        for done, m in enumerate(alive, start=1):
            difference = _difference(assignment, m, files[m.id], fresh, limits)
            survivors.append(Survivor(m, difference, _reason(entries, m)))
            if progress is not None:
                progress.survivor(done, len(alive))
    stale = tuple(e.name for e in entries if not any(e.matches(m) for m in every))
    seconds = (graded - start, time.monotonic() - graded)
    questions = tuple(q.id for q in assignment.questions)
    return MutationReport(every, caught, tuple(survivors), stale, *seconds, fresh, questions)


def _reason(entries: list[Equivalent], mutant: Mutant) -> str:
    """The reason of the first entry that lists the mutant (one by id first), else ""."""
    ordered = sorted(entries, key=lambda e: not e.id)
    return next((e.reason for e in ordered if e.matches(mutant)), "")


def load_allow_list(assignment: Assignment) -> list[Equivalent]:
    """``[[equivalent]]`` entries of ``mutants.toml``, each with its reason: an ``id``, or a
    family (``function`` and ``line``)."""
    from grader.errors import SpecError

    path = assignment.folder / ALLOW_LIST
    if not path.is_file():
        return []
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
        entries = [_entry(dict(e)) for e in raw]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SpecError(
            path, f"each [[equivalent]] needs an id, or a function and a line ({exc!r})"
        ) from None
    empty = [e.name for e in entries if not e.reason]
    if empty:
        raise SpecError(path, f"{', '.join(empty)}: an equivalent mutant needs its reason")
    return entries


def _entry(raw: dict[str, object]) -> Equivalent:
    reason = str(raw.get("reason", "")).strip()
    if "id" in raw:
        return Equivalent(reason, id=str(raw["id"]))
    function, line = str(raw["function"]), str(raw["line"]).strip()
    if not line:
        raise ValueError(f"the family of {function} needs a line to match")
    return Equivalent(reason, function=function, line=line)


def fresh_seed(assignment: Assignment, check: Check) -> int:
    """Not the frozen inputs' seed: the fresh draw is independent of what the checks use."""
    text = f"fresh/{assignment.name}/{assignment.seed}/{check.key}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def _difference(
    assignment: Assignment, mutant: Mutant, notebook: Path, fresh: int, limits: Limits | None
) -> str:
    """Grade the mutant on fresh inputs of its own function: the first failing feedback."""
    plan = _fresh_plan(assignment, mutant.function, fresh, limits)
    result = grade_notebook(plan, notebook)
    failing = [c for q in result.questions for c in q.checks if c.status != OK]
    return check_text(failing[0], FeedbackOptions(show_expected=True)) if failing else ""


def _fresh_plan(
    assignment: Assignment, function: str, fresh: int, limits: Limits | None
) -> GradingPlan:
    """A plan of just the checks of ``function``, on fresh draws with the oracle's answers."""
    checks = [c for c in assignment.checks if c.function == function]
    cases, expected = {}, {}
    for check in checks:
        drawn = draw_cases(
            assignment, replace(check, examples=fresh), fresh_seed(assignment, check)
        )
        cases[check.key] = tuple(drawn)
        expected[check.key] = _answers(assignment, check, cases[check.key])
    questions = tuple(
        replace(q, checks=tuple(c for c in q.checks if c in checks))
        for q in assignment.questions
        if any(c in checks for c in q.checks)
    )
    only = replace(assignment, questions=questions)
    return GradingPlan(only, cases, expected, limits or Limits(), "fresh", show_expected=True)
