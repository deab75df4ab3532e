"""Where an assignment named on the command line is: a folder, or a name under ``assignments/``
here or in the grader's repository; a typo gets the near names."""

from __future__ import annotations

from pathlib import Path

from grader.errors import AssignmentNotFoundError

SPEC_FILE = "spec.toml"


def find_assignment(name_or_path: str | Path, search: list[Path] | None = None) -> Path:
    """Resolve a folder, or a name under ``assignments/`` here or in the grader's repository."""
    candidate = Path(name_or_path)
    tried = [candidate]
    if not candidate.is_dir():
        roots = search if search is not None else _default_roots()
        tried = [root / str(name_or_path) for root in roots]
    for folder in tried:
        if (folder / SPEC_FILE).is_file():
            return folder.resolve()
    raise AssignmentNotFoundError(str(name_or_path), tried, _near(str(name_or_path), tried))


def _near(name: str, tried: list[Path]) -> tuple[str, ...]:
    """Assignments whose names are close to ``name`` (a typo), beside the folders tried or, for
    a path, in its folder; said as ``name`` was given (a name, or a path)."""
    import difflib

    given = Path(name)
    parents = {folder.parent for folder in tried}
    if given.parent != Path("."):
        parents = {given.parent}
    found = {
        spec.parent.name
        for parent in parents
        if parent.is_dir()
        for spec in parent.glob(f"*/{SPEC_FILE}")
    }
    near = difflib.get_close_matches(given.name, sorted(found), n=3, cutoff=0.6)
    return tuple(str(given.parent / n) if given.parent != Path(".") else n for n in near)


def _default_roots() -> list[Path]:
    roots = [Path.cwd() / "assignments", Path(__file__).resolve().parents[2] / "assignments"]
    return list(dict.fromkeys(roots))
