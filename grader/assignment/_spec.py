"""An assignment's spec: questions, checks and points, validated once when it loads.

A spec is data (``spec.toml``) plus the instructor's Python beside it (``checks.py``: input
strategies and the sheet's properties) and the oracles under ``reference/``. Every name the spec
mentions is resolved here, so a typo fails before the first notebook runs, not half-way through.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, published on PyPI before it joined the standard library
    import tomli as tomllib

from grader.assignment._answers import comparator_problem
from grader.assignment._check_spec import (
    Check,
    known_uses,
    one_key_each,
    read_check,
    same_signature,
)
from grader.assignment._comparators import load_comparators
from grader.assignment._fields import no_unknown as _no_unknown
from grader.assignment._fields import nonempty_str as _str
from grader.assignment._fields import optional_spec_file as _optional_file
from grader.assignment._fields import spec_file as _file
from grader.assignment._fields import table_list as _list
from grader.assignment._fields import unique as _unique
from grader.assignment._fields import whole_number as _int
from grader.assignment._find import SPEC_FILE, find_assignment
from grader.assignment._late import LatePolicy, read_late
from grader.assignment._misconceptions import Misconception, read_catalogue
from grader.assignment._rubric import RubricEntry, read_rubric
from grader.assignment._spec_keys import SPEC_KEYS
from grader.assignment._variants import VARIANT_INPUTS, VariantSpec, read_variants, resolve
from grader.errors import SpecError


@dataclass(frozen=True)
class Inputs:
    """Where a check's inputs come from: a Hypothesis strategy of argument dicts, plus edges.

    ``edges`` are the cases the sheet's conventions single out (zeros, identical distributions,
    a one-dimensional joint); they are always graded, whatever Hypothesis happens to draw.
    """

    strategy: Any
    edges: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Property:
    """A property from the sheet, used to explain a wrong answer (it never earns marks).

    ``calls(**case)`` names the student calls it needs, as ``{label: (function, args)}``;
    ``holds(case, results)`` gets the case and ``{label: returned value}``.
    """

    statement: str
    calls: Callable[..., Mapping[str, tuple[str, tuple[Any, ...]]]]
    holds: Callable[[Mapping[str, Any], Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    points: float
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class ManualQuestion:
    """A question graded by hand (an explanation, a proof): in the notebooks, not the report."""

    id: str
    title: str
    points: float
    #: The rubric ``grader serve`` starts from, and how its items make the score.
    rubric: tuple[RubricEntry, ...] = ()
    scoring: str = "additive"


@dataclass(frozen=True)
class Assignment:
    """A loaded, validated assignment; ``oracles`` and ``hooks`` are None in a student bundle."""

    name: str
    title: str
    folder: Path
    student_notebook: Path
    solution_notebook: Path | None
    seed: int
    show_expected: bool
    questions: tuple[Question, ...]
    data_files: tuple[Path, ...]
    spec_hash: str
    oracles: ModuleType | None = field(default=None, compare=False, repr=False)
    hooks: ModuleType | None = field(default=None, compare=False, repr=False)
    #: Graded by hand: not in ``questions`` or ``total_points`` (the automatic full marks); the
    #: outputs add them as pending until the instructor's marks are merged.
    manual_questions: tuple[ManualQuestion, ...] = ()
    #: checks.py's ``MISCONCEPTIONS`` (empty in a student bundle, which has no checks.py).
    misconceptions: Mapping[str, Misconception] = field(
        default_factory=dict, compare=False, repr=False
    )
    #: The comparators file the spec names (it ships in the bundle), or None.
    comparators: ModuleType | None = field(default=None, compare=False, repr=False)
    #: The ``[late]`` table: due time and late rule (None: lateness is not judged).
    late: LatePolicy | None = None
    #: The ``[variants]`` table: per-student values (None: every student gets the same).
    variants: VariantSpec | None = None
    #: The oracles' file, resolved (None in a student bundle): what ``oracles`` was loaded from,
    #: known before a deferred load (``load_assignment``) runs it.
    oracles_file: Path | None = field(default=None, compare=False, repr=False)

    def comparator(self, name: str) -> Callable[[Any, Any], Any] | None:
        """The function ``compare = name`` names: from the comparators file, else from
        checks.py (a sheet whose comparators are there); None where neither is at hand (the
        bundle of such a sheet: its answers are then compared as the reference gives them)."""
        for module in (self.comparators, self.hooks):
            table = getattr(module, "COMPARATORS", None) if module is not None else None
            if isinstance(table, dict) and callable(table.get(name)):
                return table[name]  # type: ignore[no-any-return]
        return None

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(c for q in self.questions for c in q.checks)

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def frozen_path(self) -> Path:
        return self.folder / "frozen.json"

    @property
    def public_path(self) -> Path:
        return self.folder / "public.json"

    def oracle(self, check: Check) -> Callable[..., Any]:
        assert self.oracles is not None, "oracles are not loaded in a student bundle"
        return getattr(self.oracles, check.oracle)

    def inputs(self, check: Check) -> Inputs:
        if check.inputs == VARIANT_INPUTS:  # each student's own values: nothing is drawn
            return Inputs(None)
        assert self.hooks is not None
        return self.hooks.INPUTS[check.inputs]

    def property(self, name: str) -> Property:
        assert self.hooks is not None
        return self.hooks.PROPERTIES[name]


def load_assignment(
    name_or_path: str | Path,
    *,
    bundle_ok: bool = False,
    oracles: bool = True,
    defer_oracles: bool = False,
) -> Assignment:
    """Load and validate an assignment; raise :class:`SpecError` on the first problem found.

    With ``bundle_ok`` a spec whose oracles are absent (a student bundle) still loads; with
    ``oracles=False`` they are not imported at all (a worker that was given the answers). With
    ``defer_oracles`` their file runs only when something first reads them, and its names are
    checked then (``require_oracles``): a plan whose answers are cached never runs it.
    """
    folder = find_assignment(name_or_path)
    mode = "deferred" if oracles and defer_oracles else oracles
    return _build(folder / SPEC_FILE, read_spec(folder), bundle_ok, mode)


def require_oracles(assignment: Assignment) -> ModuleType | None:
    """The oracles, run now where their load was deferred, every name the spec gives them
    checked: SpecError where the file fails to import or lacks one. None in a bundle."""
    module, file = assignment.oracles, assignment.oracles_file
    if module is None or file is None:
        return module
    spec = assignment.folder / SPEC_FILE
    try:
        getattr(module, "__name__")  # noqa: B009 (any attribute runs a deferred module)
    except Exception as exc:
        raise SpecError(spec, f"the oracles file {file} failed to import: {exc!r}") from exc
    for check in assignment.checks:
        if not callable(getattr(module, check.oracle, None)):
            where = f"question {check.question}, function {check.function}"
            raise SpecError(spec, f"{where}: the oracles define no function {check.oracle!r}")
    return module


def check_spec(folder: Path) -> Assignment:
    """The one validation of a spec that ``grader assign``, ``freeze`` and ``validate`` share:
    all of :func:`load_assignment` but the notebooks' existence, which ``assign`` is about to
    write. So a spec ``assign`` accepts is one ``freeze`` accepts, and the other way round."""
    return _build(folder / SPEC_FILE, read_spec(folder), False, True, notebooks=False)


def read_spec(folder: Path) -> dict[str, Any]:
    """The spec as parsed TOML, nothing resolved: enough to write the notebooks it names."""
    path = folder / SPEC_FILE
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(path, f"cannot read the spec: {exc}") from None


def _keys(table: str, *, variable: bool = False) -> set[str]:
    return {k.name for k in SPEC_KEYS if k.table == table and (k.variable or not variable)}


_TOP_KEYS = _keys("top")
_QUESTION_KEYS = _keys("questions")


def _build(
    path: Path,
    raw: dict[str, Any],
    bundle_ok: bool,
    with_oracles: bool | Literal["deferred"],
    notebooks: bool = True,
) -> Assignment:
    folder = path.parent
    _no_unknown(path, raw, _TOP_KEYS, "the spec")
    deferred = with_oracles == "deferred"
    oracles = (
        _load_module(path, folder, raw.get("oracles"), "oracles", bundle_ok, deferred)
        if with_oracles
        else None
    )
    hooks = _load_module(path, folder, raw.get("checks"), "checks", bundle_ok)
    comparators = _comparators(path, raw)
    notebook = _file if notebooks else _named_file
    every = [_question(path, q) for q in _list(path, raw, "questions")]
    questions = tuple(q for q in every if isinstance(q, Question))
    if not questions:
        raise SpecError(path, "the spec has no automatically graded [[questions]]")
    _unique(path, [q.id for q in every], "question id")
    same_signature(path, tuple(c for q in questions for c in q.checks))
    known_uses(path, tuple(c for q in questions for c in q.checks))
    assignment = Assignment(
        name=_str(path, raw, "name"),
        title=str(raw.get("title", raw.get("name"))),
        folder=folder,
        student_notebook=notebook(path, folder, _str(path, raw, "student_notebook")),
        solution_notebook=_optional_file(path, folder, raw.get("solution_notebook"), bundle_ok)
        if notebooks
        else folder / str(raw.get("solution_notebook")),
        seed=_int(path, raw, "seed"),
        show_expected=bool(raw.get("show_expected", False)),
        questions=questions,
        data_files=tuple(_file(path, folder, f) for f in raw.get("data_files", [])),
        spec_hash=_spec_hash(path, hooks),
        manual_questions=tuple(q for q in every if isinstance(q, ManualQuestion)),
        oracles=oracles,
        oracles_file=(folder / str(raw["oracles"])).resolve() if oracles is not None else None,
        hooks=hooks,
        comparators=comparators,
        late=read_late(path, raw.get("late"), _keys("late")),
        variants=read_variants(path, raw.get("variants")),
        misconceptions=read_catalogue(
            path, hooks, (c.function for q in questions for c in q.checks)
        ),
    )
    _resolve_names(path, assignment, oracle_names=not deferred)
    if assignment.variants is not None:  # names the oracles take: they run now
        oracles = require_oracles(assignment)
    resolve(path, assignment.variants, assignment.checks, (oracles, hooks))
    return assignment


def _named_file(path: Path, folder: Path, relative: str) -> Path:
    return folder / relative


def _comparators(path: Path, raw: dict[str, Any]) -> ModuleType | None:
    """The comparators module the spec names, checked to reach neither the oracles nor
    checks.py (it ships in the bundle); None when the spec names none."""
    relative = raw.get("comparators")
    if relative is None:
        return None
    if not isinstance(relative, str) or not relative:
        raise SpecError(path, f"comparators must name a Python file, got {relative!r}")
    private = {
        role: (path.parent / str(raw[key])) if isinstance(raw.get(key), str) else None
        for role, key in (("the oracles", "oracles"), ("checks.py", "checks"))
    }
    private = {role: p for role, p in private.items() if p is not None and p.is_file()}
    return load_comparators(path, relative, dict(private))


def _question(path: Path, raw: Any) -> Question | ManualQuestion:
    if not isinstance(raw, dict):
        raise SpecError(path, f"each [[questions]] entry must be a table, got {raw!r}")
    _no_unknown(path, raw, _QUESTION_KEYS, "a question")
    qid = _str(path, raw, "id")
    points = raw.get("points")
    if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
        raise SpecError(path, f"question {qid}: points must be a positive number, got {points!r}")
    manual = raw.get("manual", False)
    if not isinstance(manual, bool):
        raise SpecError(path, f"question {qid}: manual must be true or false, got {manual!r}")
    checks = tuple(read_check(path, qid, c) for c in _list(path, raw, "checks"))
    title = str(raw.get("title", qid))
    if manual and checks:
        raise SpecError(path, f"question {qid} is graded by hand (manual = true) but has checks")
    rubric, scoring = read_rubric(path, qid, raw, _keys("rubric"), manual)
    if manual:
        return ManualQuestion(qid, title, float(points), rubric, scoring)
    if not checks:
        raise SpecError(
            path, f"question {qid} has no [[questions.checks]] (manual = true if graded by hand)"
        )
    one_key_each(path, qid, checks)
    return Question(id=qid, title=title, points=float(points), checks=checks)


def _resolve_names(path: Path, assignment: Assignment, oracle_names: bool = True) -> None:
    """Every oracle, input strategy and property the spec names must exist (the oracles'
    names at ``require_oracles`` where their load is deferred)."""
    hooks, oracles = assignment.hooks, assignment.oracles if oracle_names else None
    inputs = getattr(hooks, "INPUTS", None) if hooks else None
    props = getattr(hooks, "PROPERTIES", None) if hooks else None
    if hooks is not None and not (isinstance(inputs, dict) and isinstance(props, dict)):
        raise SpecError(path, "checks.py must define dicts INPUTS and PROPERTIES")
    for check in assignment.checks:
        where = f"question {check.question}, function {check.function}"
        if oracles is not None and not callable(getattr(oracles, check.oracle, None)):
            raise SpecError(path, f"{where}: the oracles define no function {check.oracle!r}")
        problem = check.compare and _comparator_problem(assignment, check.compare)
        if problem:
            raise SpecError(path, f"{where}: {problem}")
        if inputs is None or props is None or check.variable or check.inputs == VARIANT_INPUTS:
            continue
        if not isinstance(inputs.get(check.inputs), Inputs):
            raise SpecError(path, f"{where}: checks.py INPUTS has no Inputs named {check.inputs!r}")
        for edge in inputs[check.inputs].edges:
            if set(edge) != set(check.param_names):
                raise SpecError(
                    path,
                    f"{where}: an edge case of {check.inputs!r} has arguments {sorted(edge)}, "
                    f"the function takes {list(check.param_names)}",
                )
        for name in check.properties:
            if not isinstance(props.get(name), Property):
                raise SpecError(path, f"{where}: checks.py PROPERTIES has no Property {name!r}")


def _comparator_problem(assignment: Assignment, name: str) -> str | None:
    """Where ``compare = name`` is found: the comparators file when the spec names one (and
    then not in checks.py too), else checks.py's COMPARATORS (a sheet written before)."""
    hooks, module = assignment.hooks, assignment.comparators
    if module is None:
        return comparator_problem(hooks, name, "checks.py") if hooks is not None else None
    legacy = getattr(hooks, "COMPARATORS", None)
    if isinstance(legacy, dict) and name in legacy:
        return (
            f"compare = {name!r} is in both the comparators file and checks.py; keep it in "
            "the comparators file only (it ships in the bundle, checks.py does not)"
        )
    return comparator_problem(module, name, Path(module.__file__ or "comparators").name)


def _load_module(
    spec: Path, folder: Path, relative: Any, what: str, bundle_ok: bool, deferred: bool = False
) -> ModuleType | None:
    if relative is None:
        if bundle_ok:
            return None
        raise SpecError(spec, f"the spec names no {what} file (key {what!r})")
    file = (folder / str(relative)).resolve()
    if not file.is_file():
        if bundle_ok:
            return None
        raise SpecError(spec, f"the {what} file {file} does not exist")
    module_name = f"_grader_{what}_{hashlib.sha1(str(file).encode()).hexdigest()[:12]}"
    loader_spec = importlib.util.spec_from_file_location(module_name, file)
    assert loader_spec is not None and loader_spec.loader is not None
    if deferred:  # run at the first attribute read (``require_oracles``)
        loader_spec.loader = importlib.util.LazyLoader(loader_spec.loader)
    module = importlib.util.module_from_spec(loader_spec)
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:
        raise SpecError(spec, f"the {what} file {file} failed to import: {exc!r}") from exc
    return module


def _spec_hash(path: Path, hooks: ModuleType | None) -> str:
    """What the frozen inputs depend on: the spec and the strategies that draw them."""
    digest = hashlib.sha256(path.read_bytes())
    if hooks is not None and getattr(hooks, "__file__", None):
        digest.update(Path(hooks.__file__).read_bytes())
    return digest.hexdigest()
