"""The assignment's comparators: their own module, shipped in the student bundle.

A comparator decides when a student's answer equals the reference's (up to relabelling, up to
sign). ``grader check`` in a student's bundle must accept what the final grade accepts, so the
comparators travel with the bundle; and since everything in the bundle is public, the module
may not reach what stays behind: the oracles (the answers) and ``checks.py`` (its
``MISCONCEPTIONS`` are the wrong versions). That is enforced when the module is read, by what
it imports and names, and by where the functions it ends up holding were defined.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.errors import SpecError

#: Packages whose code loads an assignment's oracles: never imported by a comparators module.
_LOADERS = ("grader.assignment", "grader.grading")
#: The grader's public names that load an assignment with its oracles.
_LOADING_NAMES = frozenset({"load_assignment", "GradingPlan"})


def load_comparators(spec: Path, relative: Any, private: dict[str, Path | None]) -> ModuleType:
    """Import the comparators file the spec names, refusing one that reaches ``private`` (what
    stays behind, by role: ``{"oracles": path, "checks.py": path}``) or has no COMPARATORS."""
    file = (spec.parent / str(relative)).resolve()
    if not file.is_file():
        raise SpecError(spec, f"the comparators file {relative!r} is not in {spec.parent}")
    hidden = {role: path.resolve() for role, path in private.items() if path is not None}
    if file in hidden.values():
        raise SpecError(spec, f"comparators = {relative!r} names a file that stays behind")
    problem = _static_problem(file, hidden)
    if problem:
        raise SpecError(spec, _refusal(file, problem))
    module = _import(spec, file)
    problem = _held_problem(module, hidden)
    if problem:
        raise SpecError(spec, _refusal(file, problem))
    if not isinstance(getattr(module, "COMPARATORS", None), dict):
        raise SpecError(spec, f"the comparators file {file.name} defines no dict COMPARATORS")
    return module


def _refusal(file: Path, problem: str) -> str:
    return (
        f"{file.name} ships to students in the bundle, so it may not import the oracles or "
        f"checks.py (the answers, the misconceptions' wrong versions): {problem}. Copy what "
        "the comparators need into it."
    )


def _static_problem(file: Path, hidden: dict[str, Path]) -> str | None:
    """An import of a module named like a hidden file, or of the grader's assignment loaders,
    or a string naming a hidden file (an import by path)."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        return f"it cannot be read ({exc})"
    stems = {path.stem: role for role, path in hidden.items()}
    for node in ast.walk(tree):
        for name in _imported(node):
            parts = name.split(".")
            role = next((stems[p] for p in parts if p in stems), None)
            loads = name.startswith(_LOADERS) or bool(_LOADING_NAMES & set(parts))
            if role is not None or loads:
                what = role or "the grader's assignment loader"
                return f"line {node.lineno} imports {name} ({what})"
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
        if name in _LOADING_NAMES:
            return f"line {node.lineno} uses {name} (it loads the oracles)"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for role, path in hidden.items():
                if path.name in node.value:
                    return f"line {node.lineno} names {path.name} ({role})"
    return None


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        return [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
    return []


def _held_problem(module: ModuleType, hidden: dict[str, Path]) -> str | None:
    """A global of the module defined in a hidden file (however it got there)."""
    files = {str(path): role for role, path in hidden.items()}
    for name, value in vars(module).items():
        source = _defined_in(value)
        if source is not None and source in files:
            return f"its {name} comes from {Path(source).name} ({files[source]})"
    return None


def _defined_in(value: Any) -> str | None:
    code = getattr(value, "__code__", None)
    found = getattr(code, "co_filename", None) or getattr(value, "__file__", None)
    if not isinstance(found, str):
        return None
    try:
        return str(Path(found).resolve())
    except OSError:
        return None


def _import(spec: Path, file: Path) -> ModuleType:
    name = f"_grader_comparators_{hashlib.sha1(str(file).encode()).hexdigest()[:12]}"
    loader_spec = importlib.util.spec_from_file_location(name, file)
    assert loader_spec is not None and loader_spec.loader is not None
    module = importlib.util.module_from_spec(loader_spec)
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:
        raise SpecError(spec, f"the comparators file {file} failed to import: {exc!r}") from exc
    return module
