"""Code as the tokens that survive disguise: Python's own tokenizer, with every identifier that
is not an attribute name read as ``V``, every literal as ``0`` or ``S``, and comments, docstrings
and layout dropped. Each top-level function (or class) is its own unit, so reordering functions
changes no unit's tokens; what the template already held is left out line by line.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
import warnings
from dataclasses import dataclass

_DEF = re.compile(r"(?:async\s+)?(?:def|class)\s+(\w+)")
_MAGIC = re.compile(r"\s*[%!]")
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_SKIP |= {getattr(tokenize, n) for n in ("FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}
_STRINGS = {tokenize.STRING} | {getattr(tokenize, "FSTRING_START", tokenize.STRING)}
TOP_LEVEL = "(top level)"
_LAYOUT_OF = {tokenize.NEWLINE: ";", tokenize.INDENT: "{", tokenize.DEDENT: "}"}
_LAYOUT = set(_LAYOUT_OF.values())


@dataclass(frozen=True)
class Unit:
    """A function, class or a cell's other top-level code: where it is and its tokens."""

    name: str
    cell: int
    first_line: int  # 0-based line of the cell where the unit starts
    tokens: tuple[str, ...]
    lines: tuple[int, ...]  # 0-based line in the cell of each token


def code_units(cells: list[str], template_lines: frozenset[str]) -> list[Unit]:
    """Every unit of every code cell (given by cell number), in order; template lines left out."""
    units = []
    for number, source in enumerate(cells):
        for name, first, text in _split(source):
            tokens, lines = normalise(text, template_lines)
            if tokens:  # the text keeps the cell's line numbers (other units' lines blank)
                units.append(Unit(name, number, first, tokens, lines))
    return units


def template_line_set(cells: list[str]) -> frozenset[str]:
    return frozenset(line.strip() for source in cells for line in source.splitlines())


def _split(source: str) -> list[tuple[str, int, str]]:
    """(name, first line, text) of each unit: each top-level ``def`` or ``class`` with its
    decorators, and the cell's other top-level code. Each unit's text keeps the cell's line
    numbers (the other units' lines blank)."""
    lines = ["" if _MAGIC.match(line) else line for line in source.splitlines()]
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and the like: not ours
            warnings.simplefilter("ignore")
            tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _split_by_lines(lines)
    top = list(lines)
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            end = node.end_lineno or node.lineno
            found.append((node.name, first, "\n".join([""] * first + lines[first:end])))
            top[first:end] = [""] * (end - first)
    rest = [(TOP_LEVEL, 0, "\n".join(top))] if any(line.strip() for line in top) else []
    return [*rest, *found]


def _split_by_lines(lines: list[str]) -> list[tuple[str, int, str]]:
    """For a cell Python cannot parse: a line at column 0 starting ``def``/``class`` (with its
    decorators) opens a unit; other top-level lines go to the cell's top-level unit."""
    units: list[tuple[str, int, list[str]]] = []
    top: list[str] = [""] * len(lines)
    current: list[str] | None = None
    for number, line in enumerate(lines):
        opens = _DEF.match(line)
        if opens or (line.startswith("@") and current is None):
            if current is None or opens is None or not _decorated(current):
                current = [""] * number
                units.append(("", number, current))
            if opens:
                units[-1] = (opens.group(1), units[-1][1], current)
        elif line[:1] not in ("", " ", "\t", "#", ")", "]", "}"):
            current = None
        if current is not None:
            current.append(line)
        else:
            top[number] = line
    found = [(name or TOP_LEVEL, first, "\n".join(body)) for name, first, body in units]
    rest = [(TOP_LEVEL, 0, "\n".join(top))] if any(line.strip() for line in top) else []
    return [*rest, *found]


def _decorated(current: list[str]) -> bool:
    """A unit that so far holds only decorators (and blanks): its ``def`` joins it."""
    body = [line for line in current if line.strip()]
    return bool(body) and all(line.startswith("@") for line in body)


def normalise(text: str, template_lines: frozenset[str]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The unit's tokens and their 0-based lines; a tokenizer error keeps what came before it."""
    tokens: list[str] = []
    lines: list[int] = []
    from_template = [line.strip() in template_lines for line in text.splitlines()]
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text + "\n").readline):
            word = _word(tok, previous)
            previous = tok.string
            row = tok.start[0] - 1
            if word is None or (row < len(from_template) and from_template[row]):
                continue
            tokens.append(word)
            lines.append(row)
    except (tokenize.TokenError, SyntaxError):
        pass
    if all(word in _LAYOUT for word in tokens):  # only the template's code, or nothing
        return (), ()
    return _drop_docstrings(tokens, lines)


def _word(tok: tokenize.TokenInfo, previous: str) -> str | None:
    if tok.type in _LAYOUT_OF:
        return _LAYOUT_OF[tok.type]
    if tok.type in _SKIP or not tok.string.strip():  # whitespace error tokens too
        return None
    if tok.type == tokenize.NAME:
        if keyword.iskeyword(tok.string) or previous == ".":
            return tok.string
        return "V"
    if tok.type == tokenize.NUMBER:
        return "0"
    if tok.type in _STRINGS:
        return "S"
    return tok.string


def _drop_docstrings(
    tokens: list[str], lines: list[int]
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A string alone as a statement is prose (a docstring), not code."""
    keep = [True] * len(tokens)
    for i, word in enumerate(tokens):
        alone_before = i == 0 or tokens[i - 1] in (";", "{", "}")
        if word == "S" and alone_before and i + 1 < len(tokens) and tokens[i + 1] == ";":
            keep[i] = keep[i + 1] = False
    return (
        tuple(t for t, k in zip(tokens, keep) if k),
        tuple(n for n, k in zip(lines, keep) if k),
    )
