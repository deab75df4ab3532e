"""The one way the grader writes a CSV, and reads its own back.

A spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some a tab or
CR first), and a student names the files, writes the answers and raises the exceptions that end
up in these cells. Quoting only cells that hold a comma is not enough: a spreadsheet in a locale
that splits on ``;`` opens ``x;=1+1.ipynb`` as two cells, the second a live formula, and the
quotes that kept the comma-split cell whole are then in the middle of a cell where they protect
nothing. So every text field is quoted, and every field left unquoted is a number or empty
(numbers stay numeric, so they still add up); a field that would start a formula gets a ``'``
in front; a tab or other control character is never written bare; and a ``;`` that would leave
a formula or a quote at the start of what follows it is written ``\\x3b``. Whichever separator
the spreadsheet splits on, no cell starts a formula.

Columns the grader, or a person filling in its template, reads back as values (``EXACT``: names,
questions, comments) are escaped reversibly, so a name holding a newline or a right-to-left mark
reads back as exactly that name; the others are neutralised for display, as on the terminal.
:func:`read_cell` undoes exactly what the writer added.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd

from grader.results import _neutralise

#: A field starting with one of these is read as a formula by some spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Put before such a field (and before one that starts with the prefix itself, so that reading
#: back can tell the two apart).
PREFIX = "'"
#: Columns read back as values (the marks template, a roster made from ``unmatched.csv``, the
#: similarity CSVs), so written reversibly (:func:`grader.results._neutralise.escape`).
EXACT = frozenset({"submission", "submission_a", "submission_b", "question", "comment"})
_PREFIXED = (*FORMULA_START, PREFIX)
#: A ``;`` that a cell split on it would start with a formula, or with a quote that would open
#: a quoted cell (the field's own closing quote, where the ``;`` ends it).
_SEMICOLON = re.compile(r';(?=[=+\-@"]|$)')


def csv_text(frame: pd.DataFrame, exact: Collection[str] = EXACT) -> str:
    """``frame`` as CSV text: every text field quoted and made safe, numbers as numbers, a
    missing value an empty field. The header is text like any other (a column may be named
    after an assignment's title)."""
    columns = [str(c) for c in frame.columns]
    exacts = [c in exact for c in columns]
    lines = [",".join(_quoted(safe_text(c, exact=False)) for c in columns)]
    for row in frame.itertuples(index=False, name=None):
        lines.append(",".join(_field(value, e) for value, e in zip(row, exacts)))
    return "".join(line + "\n" for line in lines)


def safe_cells(frame: pd.DataFrame, exact: Collection[str] = EXACT) -> pd.DataFrame:
    """``frame`` with each text cell as :func:`csv_text` writes it (before quoting)."""
    safe = frame.copy()
    for column in safe.columns:
        is_exact = column in exact
        safe[column] = [
            safe_text(v, is_exact) if isinstance(v, str) else v for v in safe[column].tolist()
        ]
    return safe


def safe_text(value: str, exact: bool) -> str:
    """One text field made safe: escaped (reversibly where ``exact``), no ``;`` followed by
    a formula's start, and the prefix where the field itself would start one."""
    text = (
        _neutralise.escape(value) if exact else _neutralise.neutralise(value).replace("\t", "\\x09")
    )
    text = _SEMICOLON.sub(r"\\x3b", text)
    return PREFIX + text if text.startswith(_PREFIXED) else text


def read_cell(text: str, exact: bool) -> str:
    """A field of a CSV the grader wrote (or a copy filled in by hand), as it was before
    writing: the prefix removed only where the writer put it, and escapes decoded in
    ``exact`` columns. A field the writer could not have written is read as it is."""
    if text.startswith(PREFIX) and text[1:2] and text[1] in _PREFIXED:
        text = text[1:]
    return _neutralise.unescape(text) if exact else text


def read_record(header: Iterable[str], record: Iterable[str]) -> dict[str, str]:
    """One row of a grader's CSV by column, each field as :func:`read_cell` reads it."""
    return {name: read_cell(cell, name in EXACT) for name, cell in zip(header, record)}


def _field(value: object, exact: bool) -> str:
    if isinstance(value, str):
        return _text_field(value, exact)
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):  # text, so every unquoted field is a number
        return _quoted(str(bool(value)))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return ""
        if math.isinf(number):  # "-inf" is not a number to a spreadsheet: text, prefixed
            return _quoted(safe_text(str(number), exact=False))
        return repr(number)
    return _text_field(str(value), exact)


@functools.lru_cache(maxsize=4096)
def _text_field(text: str, exact: bool) -> str:
    """Cached: a class's CSVs repeat the same names, questions, statuses and versions."""
    return _quoted(safe_text(text, exact))


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
