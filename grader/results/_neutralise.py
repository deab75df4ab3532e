"""Text from a notebook, made safe to print or write: the one place every renderer goes through.

Feedback and notes quote what a student's code said (an exception's message, a cell's error). A
message holding ``ESC[2J`` and a fake report would clear the instructor's terminal and print a
full score; a carriage return or a bidirectional override could hide or reorder what is shown.
Results keep the text as it came; rendering (terminal, CSV, and any later report) shows each such
character escaped, as ``\\x1b`` or ``\\u202e``, so it is visible and never acts.
"""

from __future__ import annotations

import re

#: C0 controls but tab, DEL, C1 controls, and the format characters that reorder or hide text
#: (bidirectional embeddings, overrides and isolates, zero-width marks, the byte order mark), and
#: lone surrogates, which no terminal or UTF-8 file can take.
_FORMAT = "\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ud800-\udfff\ufeff"
_UNSAFE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_FORMAT}]")
_UNSAFE_KEEPING_NEWLINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT}]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0A:
        return "\\n"
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def neutralise(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every control or reordering character shown escaped, never emitted.

    Newlines are escaped too unless ``keep_newlines``: a line of feedback stays one line, so a
    notebook cannot print a line of its own (a fake "10/10") between the grader's.
    """
    pattern = _UNSAFE_KEEPING_NEWLINES if keep_newlines else _UNSAFE
    return pattern.sub(_escaped, text)


#: What :func:`escape` writes for a character: a backslash doubled, anything else as ``\xHH`` or
#: ``\uHHHH`` (never ``\n``: a hand-typed ``\nabla`` in a comment must stay as typed).
_EXACT = re.compile(f"[\\\\\x00-\x1f\x7f-\x9f{_FORMAT}]")
_ESCAPE = re.compile(r"\\(\\|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})")


def _exact(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` made safe like :func:`neutralise`, but reversibly (:func:`unescape` undoes it).

    For what the grader reads back as a key: a submission's name in the manual-marks template
    must match that submission exactly, and ``a\\nb`` (a newline) must not be confused with the
    four characters ``a\\nb``, so a backslash is doubled and every unsafe character (tab included)
    is ``\\xHH`` or ``\\uHHHH``.
    """
    return _EXACT.sub(_exact, text)


def unescape(text: str) -> str:
    """The text :func:`escape` was given. A backslash that starts no escape stays as it is, so a
    hand-typed ``\\alpha`` or ``C:\\temp`` reads as typed."""
    return _ESCAPE.sub(lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), text)
