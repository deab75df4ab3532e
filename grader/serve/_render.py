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
import io
import keyword
import re
import tokenize

from markdown_it import MarkdownIt

#: Placeholders in the private use area (taken out of the text first) stand for the maths.
#: ``$$...$$`` (display) before ``$...$`` (inline); a dollar escaped with a backslash is text.
_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(?!\s)([^$\n]+?)(?<!\\)\$", re.DOTALL)
_TOKEN = "\ue000MATH{}\ue001"
_PLACEHOLDER = re.compile("\ue000MATH([0-9]+)\ue001")
#: Characters of a code cell's source shown.
MAX_CODE = 20_000


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


def render_code(source: str, colour: bool = True) -> str:
    """A code cell's source, escaped in a ``<pre>``, its Python coloured unless told not to
    (keywords, strings, comments, numbers: ``<span>`` elements with a class, nothing else), cut
    at :data:`MAX_CODE` characters."""
    cut = ""
    if len(source) > MAX_CODE:
        cut = f"\n[... {len(source) - MAX_CODE} more characters not shown]"
        source = source[:MAX_CODE]
    shown = _coloured(source) if colour else html.escape(source)
    return f'<pre class="code"><code>{shown}{html.escape(cut)}</code></pre>'


def _coloured(source: str) -> str:
    """``source`` escaped, its tokens in spans; plain where Python's tokenizer gives up."""
    lines = io.StringIO(source).readlines()  # the lines exactly as the tokenizer reads them
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    parts, done = [], 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            kind = _kind(token)
            if kind is None:
                continue
            begin = starts[token.start[0] - 1] + token.start[1]
            end = starts[token.end[0] - 1] + token.end[1]
            if begin < done:
                continue
            text = html.escape(source[begin:end])
            parts += [html.escape(source[done:begin]), f'<span class="{kind}">{text}</span>']
            done = end
    except (tokenize.TokenError, SyntaxError, IndexError):
        return html.escape(source)
    return "".join(parts) + html.escape(source[done:])


#: Token kinds coloured, and the class each gets (serve.css).
_KINDS = {tokenize.COMMENT: "c", tokenize.STRING: "s", tokenize.NUMBER: "n"}


def _kind(token: tokenize.TokenInfo) -> str | None:
    if token.type == tokenize.NAME and keyword.iskeyword(token.string):
        return "k"
    return _KINDS.get(token.type)
