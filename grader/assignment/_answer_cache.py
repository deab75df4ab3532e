"""The oracles' answers to an assignment's frozen inputs, kept from one command to the next.

Importing the oracles (the reference module and what it imports: SciPy, say) and running them
on every frozen case cost each ``grader grade`` about 0.3 CPU seconds before the first notebook
(issue 31). The answers depend only on what an entry's *key* hashes: the spec and checks.py,
the frozen inputs, every Python file in the oracles' folder (helpers they import), the data
files, the grader's and Python's versions, and the installed version of every package the
oracles' file imports. A command whose key has an entry takes the answers from it and never
imports the oracles; any other computes them as before and leaves an entry. An entry that
cannot be read, or whose answers would not come back from JSON exactly as computed (a tuple,
an integer key), is no entry: the answers are computed.

Where: ``GRADER_CACHE`` (a folder; ``off``: no cache), else ``$XDG_CACHE_HOME/grader``, else
``~/.cache/grader``; entries in its ``answers/`` folder, which is the grader's user's alone
(0700, files 0600). The answers are hidden ones: a folder a kernel could read (inside what the
sandbox binds into every kernel) is never used.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import __version__
from grader.kernel._bwrap import in_every_kernels_view

#: The environment variable naming the cache folder, or ``off``.
CACHE_ENV = "GRADER_CACHE"
#: Bumped when an entry's content or what its key covers changes.
FORMAT = 1


@dataclass(frozen=True)
class AnswerCache:
    """One folder of entries, named by their keys' hashes."""

    folder: Path

    @classmethod
    def here(cls) -> AnswerCache | None:
        """The cache this process uses, or None (``GRADER_CACHE=off``, or a folder kernels
        could read)."""
        named = os.environ.get(CACHE_ENV, "").strip()
        if named.lower() == "off":
            return None
        if named:
            base = Path(named)
        else:
            xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
            base = Path(xdg) if xdg else Path.home() / ".cache"
            base = base / "grader"
        folder = (base / "answers").absolute()
        return None if in_every_kernels_view(folder) else cls(folder)

    def get(self, key: str) -> dict[str, tuple[Any, ...]] | None:
        """The answers kept under ``key``, or None where there are none readable."""
        try:
            with open(self._entry(key), "rb") as handle:
                document = json.loads(handle.read())
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(document, dict) or document.get("key") != key:
            return None
        answers = document.get("answers")
        if not isinstance(answers, dict) or not all(isinstance(v, list) for v in answers.values()):
            return None
        return {name: tuple(values) for name, values in answers.items()}

    def put(self, key: str, answers: Mapping[str, tuple[Any, ...]]) -> bool:
        """Keep ``answers`` under ``key`` where JSON gives them back exactly; whether it did.
        Written whole (a temporary file renamed), so a reader never sees half an entry."""
        plain = {name: list(values) for name, values in answers.items()}
        try:
            text = json.dumps({"format": FORMAT, "key": key, "answers": plain})
            if repr(json.loads(text)["answers"]) != repr(plain):
                return False  # a tuple, a non-string key, a numpy scalar: not as computed
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.folder, 0o700)  # the grader's user's alone, however it was made
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".entry-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(temporary, self._entry(key))
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except (OSError, ValueError, TypeError, RecursionError):
            return False  # no cache then: the answers were computed all the same
        return True

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key}.json"


def answers_key(
    spec_hash: str,
    frozen_sha256: str,
    oracles_file: Path,
    data_files: tuple[Path, ...],
) -> str | None:
    """The hash an entry is named by (see the module's docstring); None where something the
    answers depend on cannot be read or pinned (a package imported by the oracles whose
    installed version is unknown): those answers are never kept."""
    packages = _imported_packages(oracles_file)
    if packages is None:
        return None
    parts: dict[str, Any] = {
        "format": FORMAT,
        "grader": __version__,
        "python": platform.python_version(),
        "spec_and_checks": spec_hash,
        "frozen": frozen_sha256,
        "packages": packages,
    }
    try:
        parts["oracle_folder"] = {p.name: _sha(p) for p in _python_files(oracles_file.parent)}
        parts["data_files"] = [_sha(p) for p in data_files]
    except OSError:
        return None
    text = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _imported_packages(oracles_file: Path) -> dict[str, str] | None:
    """Name -> installed version of every package the oracles' file imports (the standard
    library and the oracles' own folder aside); None where one has no version to pin."""
    try:
        tree = ast.parse(oracles_file.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    local = {p.stem for p in _python_files(oracles_file.parent)}
    found: dict[str, str] = {}
    for top in sorted(set(_top_level_imports(tree))):
        if top in sys.stdlib_module_names or top in local or top == "__future__":
            continue
        version = _version(top)
        if version is None:
            return None
        found[top] = version
    return found


def _top_level_imports(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def _version(top: str) -> str | None:
    """The installed version of the distribution that provides the package ``top``."""
    from importlib import metadata

    try:
        return metadata.version(top)
    except metadata.PackageNotFoundError:
        pass
    names = metadata.packages_distributions().get(top, [])
    versions = set()
    for name in names:
        try:
            versions.add(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            return None
    return ",".join(sorted(versions)) or None


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.py") if p.is_file())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
