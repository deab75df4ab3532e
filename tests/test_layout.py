"""grader's packages import one way: kernel <- assignment <- results <- report <- grading <- the
rest; similarity reads results (and writes through report) and never imports grading; course
(LMS downloads, rosters) reads results and assignment, and only grading imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "grader"
#: What each package may import of the grader, besides itself and the base modules.
ALLOWED = {
    "kernel": set(),
    "assignment": {"kernel"},
    "results": {"kernel", "assignment"},
    "report": {"kernel", "assignment", "results"},
    "course": {"kernel", "assignment", "results"},
    "grading": {"kernel", "assignment", "results", "report", "course"},
    "integrations": {"kernel", "assignment", "results", "report", "grading"},
    "similarity": {"results", "report"},
    "serve": {"assignment", "results", "report", "similarity"},
}
BASE = {"errors", "_files", ""}


def _imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "grader":
                found.add(parts[1] if len(parts) > 1 else "")
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_point_one_way(package: str) -> None:
    folder = PACKAGE / package
    assert (folder / "__init__.py").exists()
    assert ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
    for module in folder.glob("*.py"):
        wrong = _imported_packages(module) - ALLOWED[package] - BASE - {package}
        assert not wrong, f"{module.relative_to(PACKAGE)} imports grader.{sorted(wrong)}"


def test_base_modules_import_nothing_of_the_grader() -> None:
    for name in ("errors", "_files"):
        assert _imported_packages(PACKAGE / f"{name}.py") == set()
