"""How a format shows text it did not write, for the renderers that word feedback in one place
(``_render_text``) and show it as text, Markdown or HTML: one :class:`Style` per format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Longest feedback of one question, and longest notes, in characters.
FEEDBACK_CAP = 1500


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Style:
    """How a format shows a notebook's text (``value``) and other free text (``words``)."""

    value: Callable[[str], str] = _same
    words: Callable[[str], str] = _same


PLAIN = Style()


def cap(text: str, limit: int = FEEDBACK_CAP) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
