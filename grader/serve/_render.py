"""A student's answer as inert HTML: what they wrote, shown, never run or fetched.

Answers are Markdown with LaTeX maths. Raw HTML in them is escaped (markdown-it's ``html``
off), links and images are shown as their text (no ``href``, no ``src``: nothing to click
through to, nothing fetched), and maths is kept out of the Markdown parser (so ``a_1 * b_2``
is not turned into emphasis) and shown as its LaTeX source in a ``<span class="math">``: no
maths renderer runs on student text. The page's Content-Security-Policy forbids scripts and
remote loads besides, so a mistake here still could not run anything.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

#: Placeholders in the private use area (taken out of the text first) stand for the maths.
#: ``$$...$$`` (display) before ``$...$`` (inline); a dollar escaped with a backslash is text.
_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(?!\s)([^$\n]+?)(?<!\\)\$", re.DOTALL)
_TOKEN = "\ue000MATH{}\ue001"
_PLACEHOLDER = re.compile("\ue000MATH([0-9]+)\ue001")


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "link", "autolink", "reference"])
    return md


_MD = _parser()


def render_answer(text: str) -> str:
    """``text`` (Markdown with maths) as HTML that holds no markup of the student's."""
    maths: list[tuple[bool, str]] = []

    def keep(match: re.Match[str]) -> str:
        display = match.group(1) is not None
        maths.append((display, match.group(1) if display else match.group(2)))
        return _TOKEN.format(len(maths) - 1)

    rendered = _MD.render(_MATH.sub(keep, text.replace("\ue000", "").replace("\ue001", "")))

    def back(match: re.Match[str]) -> str:
        display, source = maths[int(match.group(1))]
        kind = "math display" if display else "math"
        mark = "$$" if display else "$"
        return f'<span class="{kind}">{mark}{html.escape(source)}{mark}</span>'

    return _PLACEHOLDER.sub(back, rendered)


def render_code(source: str) -> str:
    """A code cell's source, escaped in a ``<pre>``."""
    return f'<pre class="code"><code>{html.escape(source)}</code></pre>'
