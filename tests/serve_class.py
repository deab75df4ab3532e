"""A small class for ``grader serve``'s tests: two notebooks graded in real kernels, and three
more students made from them in the real store (one of them hostile: markup, scripts, remote
images and links in every answer), with every output written from the store.

Also the running app: ``grader serve OUT --port 0`` in a subprocess, its login link read from
the one line it prints. The sheet is a copy whose 1c-derivation has a rubric in its spec.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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
    return out


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
