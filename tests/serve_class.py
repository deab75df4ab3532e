"""A small class for ``grader serve``'s tests: two notebooks graded in real kernels, and three
more students made from them in the real store (one of them hostile: markup, scripts, remote
images and links in every answer), with every output written from the store.

Also the running app: ``grader serve OUT --port 0`` in a subprocess, its login link read from
the one line it prints. The sheet is a copy whose 1c-derivation has a rubric in its spec.
"""

from __future__ import annotations

import base64
import json
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path

from grader.report._rebuild import rebuild
from grader.results._folder import OutputFolder
from tests.conftest import EXAMPLES, ROOT, run_grader

#: What a hostile student writes in an answer cell: each must reach the page as text.
HOSTILE = (
    "<script>window.__pwned = 1; alert('script')</script>\n\n"
    '<img src=x onerror="alert(\'img\')"> and <iframe src="https://evil.example/"></iframe>\n\n'
    "![tracker](https://evil.example/pixel.png) [click me](javascript:alert('link'))\n\n"
    '<style>body { display: none }</style> <a href="https://evil.example">home</a>\n\n'
    "$$</span><script>alert('maths')</script>$$ and `<b>code</b>`\n"
)
#: The class, in its order: the two graded notebooks, then the three made from them.
NAMES = ["alice_numpy", "ivan_unfinished", "bob_copy", "carol_copy", "mallory_hostile"]


def make_class(out: Path) -> Path:
    """Grade alice and ivan into ``out``, add bob, carol and mallory to its store, and write
    every output again."""
    run = run_grader(
        "grade",
        "variational_inference",
        EXAMPLES / "alice_numpy.ipynb",
        EXAMPLES / "ivan_unfinished.ipynb",
        "--out",
        out,
        "--workers",
        "2",
    )
    assert run.returncode == 0, run.stderr
    with closing(OutputFolder(out).existing_store()) as store:
        [(alice, sha)] = list(store.results(["alice_numpy"]))
        extra = dict(alice.extra)
        for name in NAMES[2:]:
            answers = {k: (HOSTILE if name == "mallory_hostile" else v) for k, v in extra.items()}
            answers = {k: f"{v}\n\n({name})" for k, v in answers.items()}
            store.put(replace(alice, submission=name, extra=answers), f"{sha[:-8]}{name[:8]:0>8}")
        course = _with_rubric(out.parent / "course")
        store.set_info({"submissions": json.dumps(NAMES), "assignment_folder": str(course)})
    rebuild(out)
    _hostile_executed(out)
    return out


def png(width: int = 2, height: int = 1) -> bytes:
    """A real PNG of ``width`` x ``height`` grey pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )  # fmt: skip


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _shown(data: dict[str, object]) -> dict[str, object]:
    return {"output_type": "display_data", "data": data, "metadata": {}}


#: What a hostile student's code prints and displays next to their answer: each output must
#: reach the page inert (as text, a checked data: image, or a note), none may run or fetch.
HOSTILE_OUTPUTS = [
    {"output_type": "stream", "name": "stdout",
     "text": "<script>window.__pwned = 1</script>\x1b[31mred\x1b[0m printed\n"},
    {"output_type": "stream", "name": "stderr", "text": "A" * 1_000_000},
    {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {
        "text/html": '<script>window.__pwned = 2</script><img src="https://evil.example/h.png" '
        'onerror="alert(\'html\')"><iframe src="https://evil.example/"></iframe>'
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        "text/plain": "<IPython.core.display.HTML object>"}},
    _shown({"image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(\'svg\')">'
            "<script>alert('svg')</script></svg>", "text/plain": "<Figure size 640x480>"}),
    _shown({"image/svg+xml": "<svg onload=\"alert('svg only')\"/>"}),
    _shown({"image/png": _b64(b'<svg onload="alert(1)"/>'), "text/plain": "fake png"}),
    _shown({"image/png": '"><script>alert("attr")</script>'}),
    _shown({"image/png": _b64(png()), "text/plain": "<Figure size 2x1>"}),
    _shown({"text/markdown": "[click](javascript:alert('md')) ![t](https://evil.example/m.png) "
            "<script>alert('md')</script>"}),
    _shown({"application/javascript": "alert('js')",
            "text/plain": "<IPython.core.display.Javascript object>"}),
    {"output_type": "error", "ename": "ValueError", "evalue": "<script>alert('e')</script>",
     "traceback": ["\x1b[0;31mValueError\x1b[0m: <script>alert('e')</script>"]},
]  # fmt: skip


def _hostile_executed(out: Path) -> None:
    """mallory's notebook as graded: alice's, with code cells of mallory's own after the
    1a-prose answer (every hostile output above, and a hundred more lines), and one after
    1b's text, which is not part of the answer."""
    folder = OutputFolder(out)
    nb = json.loads(folder.executed("alice_numpy").read_text(encoding="utf-8"))
    ids = [cell.get("id") for cell in nb["cells"]]

    def code(cell_id: str, outputs: list[object]) -> dict[str, object]:
        source = "display(HTML('<script>'))  # mallory's"
        return {"cell_type": "code", "id": cell_id, "metadata": {}, "source": source,
                "execution_count": 1, "outputs": outputs}  # fmt: skip

    many = [{"output_type": "stream", "name": "stdout", "text": f"line {n}\n"} for n in range(100)]
    added = [
        code("mallory-1", HOSTILE_OUTPUTS),
        {"cell_type": "markdown", "id": "mallory-2", "metadata": {},
         "source": "<img src=https://evil.example/c.png onerror=alert(1)> my plot"},
        code("mallory-3", many),
    ]  # fmt: skip
    at = ids.index("q1a-prose-answer") + 1
    nb["cells"][at:at] = added
    at = [cell.get("id") for cell in nb["cells"]].index("q1b") + 1
    nb["cells"].insert(at, code("mallory-4", [{"output_type": "stream", "name": "stdout",
                                               "text": "not part of the answer"}]))  # fmt: skip
    folder.executed("mallory_hostile").write_text(json.dumps(nb), encoding="utf-8")


#: The rubric the spec gives 1c-derivation (1a-prose has none: its items are added in the app).
RUBRIC = """scoring = "subtractive"

[[questions.rubric]]
points = 1
description = "No Lagrange multiplier for the normalisation"

[[questions.rubric]]
points = 2
description = "The marginal is not reached"
"""


def _with_rubric(root: Path) -> Path:
    """A copy of the sheet (and its oracles, which the spec names by a relative path) whose
    1c-derivation has a subtractive rubric."""
    folder = root / "assignments" / "variational_inference"
    shutil.copytree(ROOT / "assignments" / "variational_inference", folder)
    shutil.copytree(ROOT / "reference", root / "reference")
    spec = folder / "spec.toml"
    text = spec.read_text(encoding="utf-8")
    manual = 'id = "1c-derivation"\n'
    assert manual in text
    head, tail = text.split(manual)
    end = tail.index("manual = true\n") + len("manual = true\n")
    spec.write_text(head + manual + tail[:end] + RUBRIC + tail[end:], encoding="utf-8")
    return folder


def copy_class(made: Path, into: Path) -> Path:
    return Path(shutil.copytree(made, into))


@contextmanager
def running(out: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``grader serve OUT --port 0``: (the login link it printed, the process)."""
    command = [sys.executable, "-m", "grader", "serve", str(out), "--port", "0", *args]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        link = process.stdout.readline().strip()
        assert link.startswith("http://127.0.0.1:"), link or process.stderr.read()
        yield link, process
    finally:
        process.terminate()
        process.wait(timeout=30)
