"""MkDocs hook: writes the spec.toml reference from the keys the spec reader accepts.

``docs/reference/spec-toml.md`` holds two markers. ``<!-- spec-keys -->`` becomes a table per
TOML table, one row per :class:`grader.assignment._spec_keys.SpecKey` of ``SPEC_KEYS`` (the very
data ``load_assignment`` checks a spec against, so a key added there appears here by itself);
``<!-- spec-example -->`` becomes the spec ``grader new demo`` writes.
"""

from __future__ import annotations

from typing import Any

KEYS_MARKER = "<!-- spec-keys -->"
EXAMPLE_MARKER = "<!-- spec-example -->"
PAGE = "reference/spec-toml.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def keys_markdown() -> str:
    """The reference tables, one per TOML table, in the registry's order."""
    from grader.assignment._spec_keys import SPEC_KEYS, SPEC_TABLES

    parts: list[str] = []
    for table, title in SPEC_TABLES.items():
        parts += [f"## `{title}`" if table != "top" else "## Top level", ""]
        parts += ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
        for key in (k for k in SPEC_KEYS if k.table == table):
            default = "required" if key.default is None else key.default
            marks = [m for m, on in (("*redraw*", key.redraw), ("*variable*", key.variable)) if on]
            meaning = key.doc + (" " + " ".join(marks) if marks else "")
            row = [f"`{key.name}`", key.type, default, meaning]
            parts.append("| " + " | ".join(_cell(c) for c in row) + " |")
        parts.append("")
    return "\n".join(parts)


def example_markdown() -> str:
    """The spec of the scaffold, as ``grader new demo`` writes it."""
    from grader.assignment._scaffold import _SPEC

    return "```toml\n" + _SPEC.format(name="demo").rstrip("\n") + "\n```\n"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    for marker in (KEYS_MARKER, EXAMPLE_MARKER):
        if marker not in markdown:
            raise ValueError(f"{PAGE} lost its marker {marker}")
    markdown = markdown.replace(KEYS_MARKER, keys_markdown())
    return markdown.replace(EXAMPLE_MARKER, example_markdown())
