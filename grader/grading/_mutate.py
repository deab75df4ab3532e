"""Mutants of the solution's functions: the small slips students make, written with ``ast``.

Each mutant changes one thing in one checked function of the solution notebook (swap two
arguments or parameters, change a numeric constant, ``+`` to ``-``, ``*`` to ``/``, ``log`` to
``log2``, sum over another axis, drop a term, return another variable). A good set of checks
fails every mutant that changes a result on valid inputs; one that passes shows where the
checks are blind. A mutant's id is its function and a hash of its source, so it stays the same
while the solution does (the allow-list of equivalent mutants is keyed by it).
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from grader.assignment._spec import Assignment
from grader.errors import SpecError
from grader.grading._validate import _top_level_functions


@dataclass(frozen=True)
class Mutant:
    function: str
    question: str
    change: str  # what was changed, in words: "line 3: + to -"
    source: str  # the mutated function
    original: str

    @property
    def id(self) -> str:
        return f"{self.function}-{hashlib.sha256(self.source.encode()).hexdigest()[:10]}"

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.original.splitlines(),
            self.source.splitlines(),
            "solution",
            "mutant",
            n=1,
            lineterm="",
        )
        return "\n".join(lines)


def mutants(assignment: Assignment) -> list[Mutant]:
    """Every distinct mutant of every function the checks call, in the solution's order."""
    if assignment.solution_notebook is None:
        raise SpecError(
            assignment.folder / "spec.toml",
            "--mutants needs the solution notebook (solution_notebook in the spec)",
        )
    defined = _top_level_functions(assignment.solution_notebook)
    found: dict[str, Mutant] = {}
    for check in assignment.checks:
        node = defined.get(check.function)
        if check.variable or node is None:
            continue
        original = ast.unparse(node)
        for change, source in _mutations(copy.deepcopy(node)):
            if source != original:
                mutant = Mutant(check.function, check.question, change, source, original)
                found.setdefault(mutant.source, mutant)
    return list(found.values())


def write_mutant(solution: Path, mutant: Mutant, path: Path) -> Path:
    """The solution notebook with the mutant defined last (the last definition is graded)."""
    nb = nbformat.read(solution, as_version=4)
    nb.cells.append(new_code_cell(mutant.source, id="mutant"))
    nbformat.write(nb, path)
    return path


def _mutations(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[str, str]]:
    """Each operator changes the tree in place, yields, and puts it back."""
    for node in list(ast.walk(func)):
        for operator in _OPERATORS:
            for change in operator(node, func):
                line = getattr(node, "lineno", func.lineno) - func.lineno + 1
                yield f"line {line}: {change}", ast.unparse(func)


def _swap_parameters(node: ast.AST, func: ast.AST) -> Iterator[str]:
    if node is not func:
        return
    args = node.args.args  # type: ignore[attr-defined]
    for a, b in itertools.combinations(range(len(args)), 2):
        args[a].arg, args[b].arg = args[b].arg, args[a].arg
        yield f"parameters {args[b].arg} and {args[a].arg} swapped"
        args[a].arg, args[b].arg = args[b].arg, args[a].arg


def _swap_arguments(node: ast.AST, func: ast.AST) -> Iterator[str]:
    if not isinstance(node, ast.Call):
        return
    for i in range(len(node.args) - 1):
        node.args[i], node.args[i + 1] = node.args[i + 1], node.args[i]
        yield f"arguments {i + 1} and {i + 2} of {ast.unparse(node.func)}() swapped"
        node.args[i], node.args[i + 1] = node.args[i + 1], node.args[i]


def _constant(node: ast.AST, func: ast.AST) -> Iterator[str]:
    if not isinstance(node, ast.Constant) or type(node.value) not in (int, float):
        return
    old = node.value
    node.value = old + 1
    yield f"{old!r} to {node.value!r}"
    node.value = old


_ARITHMETIC = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _arithmetic(node: ast.AST, func: ast.AST) -> Iterator[str]:
    if not isinstance(node, ast.BinOp | ast.AugAssign) or type(node.op) not in _ARITHMETIC:
        return
    old = node.op
    node.op = _ARITHMETIC[type(old)]()
    yield f"{_SYMBOL[type(old)]} to {_SYMBOL[type(node.op)]}"
    node.op = old


def _log(node: ast.AST, func: ast.AST) -> Iterator[str]:
    field = {ast.Attribute: "attr", ast.Name: "id"}.get(type(node), "")
    if field and getattr(node, field) == "log":
        setattr(node, field, "log2")
        yield "log to log2"
        setattr(node, field, "log")


def _axis(node: ast.AST, func: ast.AST) -> Iterator[str]:
    if not isinstance(node, ast.Call):
        return
    for keyword in node.keywords:
        if keyword.arg != "axis":
            continue
        old = keyword.value
        for other in (0, -1):
            keyword.value = ast.Constant(other)
            if ast.unparse(old) != str(other):
                yield f"{ast.unparse(node.func)}() over axis {other}"
        keyword.value = old


def _drop_term(node: ast.AST, func: ast.AST) -> Iterator[str]:
    """A child that is a sum or difference is replaced by one of its two terms."""
    for name, value in ast.iter_fields(node):
        children = value if isinstance(value, list) else [value]
        for index, child in enumerate(children):
            if not (isinstance(child, ast.BinOp) and type(child.op) in (ast.Add, ast.Sub)):
                continue
            for kept in (child.left, child.right):
                _put(node, name, value, index, kept)
                yield f"term dropped from {ast.unparse(child)}"
            _put(node, name, value, index, child)


def _put(node: ast.AST, name: str, value: object, index: int, child: ast.AST) -> None:
    if isinstance(value, list):
        value[index] = child
    else:
        setattr(node, name, child)


def _return_other(node: ast.AST, func: ast.AST) -> Iterator[str]:
    if not isinstance(node, ast.Return) or node.value is None:
        return
    params = [a.arg for a in func.args.args]  # type: ignore[attr-defined]
    assigned = [
        t.id
        for n in ast.walk(func)
        if isinstance(n, ast.Assign | ast.AugAssign)
        for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
        if isinstance(t, ast.Name)
    ]
    returned = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
    old = node.value
    for name in dict.fromkeys(params + assigned):
        if name not in returned:
            node.value = ast.Name(name, ast.Load())
            yield f"returns {name} instead"
    node.value = old


_OPERATORS = (
    _swap_parameters,
    _swap_arguments,
    _constant,
    _arithmetic,
    _log,
    _axis,
    _drop_term,
    _return_other,
)
