"""What the spec knows of one key of ``spec.toml``: the record both the reader and the generated
reference page are made from (``_spec_keys`` lists them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpecKey:
    """One key that ``spec.toml`` accepts, with what the reference page says of it.

    The spec reader accepts exactly the keys of :data:`SPEC_KEYS` (anything else is an unknown
    key), and the documentation's ``spec.toml`` reference is written from them, so a key added
    here is read and documented at once.
    """

    name: str
    #: Where it goes: ``"top"`` (the file's top level), ``"questions"`` (a ``[[questions]]``
    #: entry) or ``"checks"`` (a ``[[questions.checks]]`` entry).
    table: str
    #: Its TOML type, in words.
    type: str
    #: What it is when left out; None: it must be given.
    default: str | None
    #: What it means (Markdown; links are relative to the reference page ``docs/reference/``).
    doc: str
    #: Changing it changes the frozen inputs: ``grader freeze`` again.
    redraw: bool = False
    #: Also allowed in a check that reads a ``variable`` instead of calling a function.
    variable: bool = False
