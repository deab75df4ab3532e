"""A CSV an instructor was handed, read as it came: its encoding and its separator found.

Rosters, grading worksheets and extension lists come from an LMS or pass through a
spreadsheet on the way, so their bytes vary: UTF-8 (Moodle, Canvas, Gradescope), UTF-8 with a
byte-order mark (Excel's "CSV UTF-8"), UTF-16 with a mark and tabs (Excel's "Unicode text"),
Windows-1252 (Excel's plain "CSV" on a western Windows), and ``;`` between cells where the
decimal separator is a comma. Each is read right, and what is not UTF-8 is said, because
Windows-1252 is a guess (any byte decodes): a file in another code page shows its names wrong,
and the summary says which encoding was used. A file in no encoding tried is one error naming
the file, the encoding problem and how to save it instead.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader.errors import RosterError

#: The fallback for bytes that are not UTF-8: Excel's "CSV" on a western Windows.
FALLBACK = "cp1252"
#: Largest such file read, in bytes (a class of thousands is well under a megabyte).
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class CsvText:
    """The rows of a CSV file, and how they were read."""

    rows: list[list[str]]
    #: Python's codec name: ``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp1252``.
    encoding: str
    delimiter: str

    @property
    def not_utf8(self) -> str:
        """A note for the summary where the file was not UTF-8 ("" where it was)."""
        if self.encoding in ("utf-8", "utf-8-sig"):
            return ""
        if self.encoding == "utf-16":
            return "read as UTF-16 (Excel's Unicode text)"
        return "read as Windows-1252, not UTF-8: check that the names are shown right"


def read_csv_file(path: Path, what: str, error: type[RosterError] = RosterError) -> CsvText:
    """``path``'s rows (``what`` names the file's role in errors: "roster", "extensions")."""
    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
    except FileNotFoundError:
        raise error(path, f"no such {what} file") from None
    except OSError as exc:
        raise error(path, f"cannot read the {what} file ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise error(path, f"the {what} file is over {MAX_BYTES // 1024**2} MiB")
    return csv_from_bytes(path, data, what, error)


def csv_from_bytes(
    path: Path, data: bytes, what: str, error: type[RosterError] = RosterError
) -> CsvText:
    """The rows of ``data``, a CSV file's bytes (``path`` names it in errors)."""
    text, encoding = _decoded(path, data, what, error)
    delimiter = _delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return CsvText(rows, encoding, delimiter)


def _decoded(path: Path, data: bytes, what: str, error: type[RosterError]) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif _looks_utf16(data):
        raise error(
            path,
            f"the {what} file looks like UTF-16 without a byte-order mark, which cannot be "
            'read safely; save it as "CSV UTF-8" (or Excel\'s "Unicode text") and try again',
        )
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise error(
                path,
                f"the {what} file starts with a {encoding.upper()} byte-order mark but byte "
                f'{exc.start} is not {encoding.upper()}; save it as "CSV UTF-8" and try again',
            ) from None
        try:
            text, encoding = data.decode(FALLBACK), FALLBACK
        except UnicodeDecodeError as again:
            raise error(
                path,
                f"the {what} file is neither UTF-8 (byte {exc.start} is 0x{data[exc.start]:02x}) "
                f'nor Windows-1252 (byte {again.start}); save it as "CSV UTF-8" and try again',
            ) from None
    if "\0" in text:
        raise error(path, f"the {what} file holds NUL characters: it is not a text CSV")
    return text, encoding


def _looks_utf16(data: bytes) -> bool:
    """Many NUL bytes at every other position: UTF-16 text saved without its mark."""
    head = data[:400]
    return len(head) >= 8 and head[1::2].count(0) > len(head) // 4


def _delimiter(text: str) -> str:
    """The separator of the header row: a tab (Excel's Unicode text), ``;`` (a European
    locale's CSV) or a comma; counted outside quotes."""
    header = text.split("\n", 1)[0]
    outside, quoted = [], False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    counts = {d: outside.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","
