"""Reading one key of a spec's TOML: each a specific SpecError naming the key and its value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.errors import SpecError


def no_unknown(path: Path, raw: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SpecError(path, f"unknown key(s) {unknown} in {what}; allowed: {sorted(allowed)}")


def table_list(path: Path, raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise SpecError(path, f"{key} must be an array of tables, got {type(value).__name__}")
    return value


def nonempty_str(path: Path, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise SpecError(path, f"{key} must be a non-empty string, got {value!r}")
    return value


def whole_number(path: Path, raw: dict[str, Any], key: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, f"{key} must be a whole number, got {value!r}")
    return value


def spec_file(path: Path, folder: Path, relative: str) -> Path:
    file = folder / relative
    if not file.is_file():
        raise SpecError(path, f"the file {relative!r} named by the spec is not in {folder}")
    return file


def optional_spec_file(path: Path, folder: Path, relative: Any, bundle_ok: bool) -> Path | None:
    if relative is None or (bundle_ok and not (folder / str(relative)).is_file()):
        return None
    return spec_file(path, folder, str(relative))


def unique(path: Path, values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise SpecError(path, f"duplicate {what} {value!r}")
        seen.add(value)
