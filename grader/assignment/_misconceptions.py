"""An assignment's misconception catalogue: named wrong versions of its oracles.

``checks.py`` may define ``MISCONCEPTIONS = {key: Misconception(function, describe, variant)}``.
When a student's wrong answers agree with a variant on the inputs they failed, the feedback says
what the code seems to do (``describe``), which teaches more than "not the right value".

The catalogue explains answers; it never decides which inputs are drawn. So the frozen inputs'
hash leaves it out: :func:`without_catalogue` removes its statements from ``checks.py``'s text
before hashing, and a file without a catalogue hashes exactly as it always did.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.errors import SpecError

#: The name checks.py gives its catalogue.
CATALOGUE = "MISCONCEPTIONS"


@dataclass(frozen=True)
class Misconception:
    """A wrong version of one checked function, and what it says about the student's code.

    ``describe`` says in plain words what the code seems to do ("takes the logarithm in base
    2"), never what it should do: it is shown to students on hidden inputs too. ``variant`` has
    the oracle's signature and computes the wrong version; a tuple of them stands for one mistake
    in its common forms (an ``eps`` of 1e-10 or of 1e-12), any one of which may match.
    """

    function: str
    describe: str
    variant: Callable[..., Any] | tuple[Callable[..., Any], ...]

    @property
    def variants(self) -> tuple[Callable[..., Any], ...]:
        variant = self.variant
        return tuple(variant) if isinstance(variant, tuple | list) else (variant,)


def read_catalogue(
    path: Path, hooks: ModuleType | None, functions: Iterable[str]
) -> dict[str, Misconception]:
    """checks.py's ``MISCONCEPTIONS``, checked against the spec's functions (empty if none)."""
    raw = getattr(hooks, CATALOGUE, None) if hooks is not None else None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecError(path, f"checks.py {CATALOGUE} must be a dict of Misconception")
    known = set(functions)
    for key, item in raw.items():
        where = f"checks.py {CATALOGUE}[{key!r}]"
        if not isinstance(key, str) or not key.strip() or key != key.strip() or "\n" in key:
            raise SpecError(path, f"{where}: a key must be a non-empty name on one line")
        problem = _problem(item, known)
        if problem:
            raise SpecError(path, f"{where}: {problem}")
    return dict(raw)


def _problem(item: Any, known: set[str]) -> str | None:
    if not isinstance(item, Misconception):
        return f"must be a grader.Misconception, got {type(item).__name__}"
    if item.function not in known:
        return f"function {item.function!r} is not a function any check of the spec names"
    if not isinstance(item.describe, str) or not item.describe.strip():
        return "describe must say in words what the code seems to do"
    variants = item.variants
    if not variants or not all(callable(v) for v in variants):
        return "variant must be a function (or a tuple of functions) with the oracle's arguments"
    return None


def descriptions(catalogue: Mapping[str, Misconception]) -> dict[str, str]:
    """Key to plain words: what feedback and reports show for a matched misconception."""
    return {key: item.describe for key, item in catalogue.items()}


def without_catalogue(source: bytes) -> bytes:
    """checks.py's text without the catalogue: the ``MISCONCEPTIONS`` statement and every
    top-level function, assignment or import only it needs, each with the comments and blank
    lines just above it. Unchanged when there is no catalogue, or when a line it would drop
    also holds something else (then the catalogue counts, as the whole file always did)."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):
        return source
    drop = _catalogue_statements(body)
    if not drop:
        return source
    lines = source.splitlines(keepends=True)
    removed: set[int] = set()  # 0-based line numbers
    for index in sorted(drop):
        removed.update(_block(body, index, drop, lines))
    kept_lines = {
        line
        for index, node in enumerate(body)
        if index not in drop
        for line in range(node.lineno - 1, node.end_lineno or node.lineno)
    }
    if removed & kept_lines:
        return source
    return b"".join(line for number, line in enumerate(lines) if number not in removed)


def _start(body: list[ast.stmt], index: int, lines: list[bytes]) -> int:
    """A statement's first line (0-based), with its decorators and the comments just above."""
    node = body[index]
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))]) - 1
    floor = (body[index - 1].end_lineno or 0) if index else 0
    while first > floor and lines[first - 1].lstrip().startswith(b"#"):
        first -= 1
    return first


def _block(body: list[ast.stmt], index: int, drop: set[int], lines: list[bytes]) -> range:
    """A statement's lines (0-based) with the comments just above it. When a blank line or the
    end of the file follows it (or follows the catalogue statements right below it), also every
    blank and comment line back to the statement before: the separator it added, and a heading
    over the catalogue. Otherwise the blank lines above it separate what was there before."""
    first = _start(body, index, lines)
    end = index
    while end + 1 in drop and _start(body, end + 1, lines) == body[end].end_lineno:
        end += 1
    after = body[end].end_lineno or body[end].lineno  # the 0-based index of the next line
    floor = (body[index - 1].end_lineno or 0) if index else 0
    if after >= len(lines) or not lines[after].strip():
        while first > floor and _blank_or_comment(lines[first - 1]):
            first -= 1
    return range(first, body[index].end_lineno or body[index].lineno)


def _blank_or_comment(line: bytes) -> bool:
    text = line.strip()
    return not text or text.startswith(b"#")


def _catalogue_statements(body: list[ast.stmt]) -> set[int]:
    """The catalogue's statements: the one binding MISCONCEPTIONS, then, until none is added,
    each statement whose names only catalogue statements use (and at least one does)."""
    binds = [_bound(node) for node in body]
    uses = [_used(node) for node in body]
    drop = {i for i, names in enumerate(binds) if CATALOGUE in names}
    grown = bool(drop)
    while grown:
        grown = False
        inside = set().union(*(uses[i] for i in drop))
        for i, names in enumerate(binds):
            if i in drop or not names or not names & inside:
                continue
            outside = set().union(*(uses[j] for j in range(len(body)) if j not in drop | {i}))
            if not names & outside:
                drop.add(i)
                grown = True
    return drop


def _bound(node: ast.stmt) -> set[str]:
    """The names a top-level statement binds (defs, assignments, imports); others bind none."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _used(node: ast.stmt) -> set[str]:
    """Every name a statement reads, anywhere inside it (a function's body included)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
