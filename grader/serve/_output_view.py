"""A code cell's outputs as inert HTML: what the student's code printed and displayed, shown as
it was, never run, never fetching anything.

- stream text, ``text/plain`` and errors (the traceback without its colour codes): escaped, in a
  ``<pre>``;
- ``text/markdown``: through :func:`grader.serve._render.render_answer` (no HTML, links or
  images of the student's);
- ``image/png`` and ``image/jpeg``: as a ``data:`` URI, only once the base64 decodes and the
  bytes start as a PNG or a JPEG does (the page's policy allows images from ``data:`` alone);
  SVG is never shown as an image (it can hold script), only named;
- ``text/html``: never rendered, shown as its source where it is all there is (a
  ``display(HTML(...))``, whose plain text is only ``<... object>``);
- anything else (JavaScript, widgets, LaTeX without plain text): named, not shown.

The code itself is shown by :func:`grader.serve._render.render_code` (Python's own tokenizer
colours it; nothing of it runs).

Every text is cut at :data:`MAX_TEXT` characters, an image over :data:`MAX_IMAGE_BYTES` is not
shown, and an answer's outputs stop at :data:`MAX_OUTPUTS` and :data:`MAX_IMAGES_BYTES` of
images: a student who prints a megabyte costs the page nothing.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass
from typing import Any

from grader.serve._answer_cells import ExtraCell, text_of
from grader.serve._render import render_answer, render_code

#: Characters of one output's text shown; the rest is said, not shown.
MAX_TEXT = 10_000
#: Bytes of one image shown (decoded).
MAX_IMAGE_BYTES = 2 * 2**20
#: Outputs shown with one answer (all its cells together), and the bytes of their images.
MAX_OUTPUTS = 60
MAX_IMAGES_BYTES = 8 * 2**20
#: Cells shown with one answer, and characters of their code coloured (the rest is plain: the
#: tokenizer takes about 2 ms a thousand characters).
MAX_CELLS = 30
MAX_COLOURED = 8_000
_SIGNATURES = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]?")
_DEFAULT_REPR = re.compile(r"^<[\w.]+ object( at 0x[0-9a-fA-F]+)?>$")
_SPACE = re.compile(r"\s+")


@dataclass
class _Budget:
    """What is left to show of one answer's outputs."""

    outputs: int = MAX_OUTPUTS
    image_bytes: int = MAX_IMAGES_BYTES
    coloured: int = MAX_COLOURED


def render_cells(cells: list[ExtraCell]) -> str:
    """The cells that go with an answer, each with its outputs, as inert HTML."""
    budget = _Budget()
    parts = []
    for cell in cells[:MAX_CELLS]:
        if cell.kind == "markdown":
            parts.append(f'<div class="cell markdown">{render_answer(_capped(cell.source))}</div>')
            continue
        colour = len(cell.source) <= budget.coloured
        budget.coloured -= len(cell.source) if colour else 0
        code = render_code(cell.source, colour)
        outputs = "".join(_output(o, budget) for o in cell.outputs)
        parts.append(f'<div class="cell code">{code}{outputs}</div>')
    if len(cells) > MAX_CELLS:
        more = len(cells) - MAX_CELLS
        parts.append(f'<p class="output note">{more} more cell(s) after these not shown.</p>')
    if budget.outputs < 0:
        parts.append(f'<p class="output note">Outputs after the first {MAX_OUTPUTS} not shown.</p>')
    return "".join(parts)


def _output(output: Any, budget: _Budget) -> str:
    budget.outputs -= 1
    if budget.outputs < 0 or not isinstance(output, dict):
        return ""
    kind = output.get("output_type")
    if kind == "stream":
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return _pre(text_of(output.get("text")), f"stream {name}")
    if kind == "error":
        trace = output.get("traceback")
        lines = [text_of(t) for t in trace] if isinstance(trace, list) else []
        head = f"{text_of(output.get('ename'))}: {text_of(output.get('evalue'))}"
        return _pre("\n".join(lines) if lines else head, "error")
    if kind in ("execute_result", "display_data"):
        data = output.get("data")
        return _rich(data if isinstance(data, dict) else {}, budget)
    return ""


def _rich(data: dict[str, Any], budget: _Budget) -> str:
    """The one representation of a display shown: an image, Markdown, plain text, or HTML's
    source; whatever else it had is named."""
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return _image(mime, data[mime], budget)
    if "text/markdown" in data:
        text = _capped(text_of(data["text/markdown"]))
        return f'<div class="output markdown">{render_answer(text)}</div>'
    plain = text_of(data.get("text/plain"))
    if "text/html" in data and (not plain or _DEFAULT_REPR.match(plain.strip())):
        note = '<p class="output note">HTML output, shown as its source (never rendered):</p>'
        return note + _pre(text_of(data["text/html"]), "html-source")
    if plain:
        return _pre(plain, "plain")
    kinds = ", ".join(sorted(str(k) for k in data)) or "nothing"
    return f'<p class="output note">An output of type {html.escape(kinds)}, not shown.</p>'


def _image(mime: str, value: Any, budget: _Budget) -> str:
    """A PNG or JPEG as a ``data:`` URI, once checked; else a note."""
    text = text_of(value)
    if len(text) > (MAX_IMAGE_BYTES * 4 // 3) * 1.1 + 100:  # before anything reads it all
        return '<p class="output note">An image over 2 MiB, not shown.</p>'
    try:
        raw = base64.b64decode(_SPACE.sub("", text), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw.startswith(_SIGNATURES[mime]):
        return f'<p class="output note">An output said to be {mime} that is not one, not shown.</p>'
    if len(raw) > min(MAX_IMAGE_BYTES, budget.image_bytes):
        return (
            '<p class="output note">An image over what is left to show (2 MiB each, 8 in all).</p>'
        )
    budget.image_bytes -= len(raw)
    clean = base64.b64encode(raw).decode("ascii")  # only the base64 alphabet reaches the page
    return (
        f'<img class="output" alt="an image the code displayed" src="data:{mime};base64,{clean}">'
    )


def _pre(text: str, kind: str) -> str:
    return f'<pre class="output {kind}">{html.escape(_ANSI.sub("", _capped(text)))}</pre>'


def _capped(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}\n[... {len(text) - MAX_TEXT} more characters not shown]"
