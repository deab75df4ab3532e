"""The LMS how-to pages work as written: their commands run in order, through the real CLI and
real kernels, as an instructor runs them from a download to the LMS import file.

``docs/how-to/lms-downloads.md`` (a Moodle zip, a roster, the worksheet, a late rule and an
extension, to ``moodle.csv``) and ``docs/how-to/lms-exports.md`` (a plain folder and a roster,
to the gradebooks) mark their commands as the tutorials do (``<!-- runnable -->`` before a
```` ```bash ```` block, ``<!-- test-setup ... -->`` for what the LMS hands the instructor:
``tests/lms_fixtures.py``). Each block runs in a fresh ``bash -euo pipefail`` in the folder
the last one ended in; each must succeed, and where a ```` ```text ```` block follows it, every
line of that block is in what the command printed (a line ending `` ...`` up to there), so the
output a page shows cannot drift from what the grader says.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCS = ROOT / "docs" / "how-to"
_PIECE = re.compile(
    r"^<!-- runnable -->\n```bash\n(?P<code>.*?)^```\n"
    r"|^<!-- test-setup\n(?P<setup>.*?)^-->\n"
    r"|^```(?P<lang>[a-z]*)\n(?P<shown>.*?)^```\n",
    flags=re.S | re.M,
)


def _steps(text: str) -> list[tuple[str, list[str]]]:
    """The page's commands, in order, each with the lines its output must hold (those of a
    ```` ```text ```` block right after it)."""
    steps: list[tuple[str, list[str]]] = []
    last_was_command = False
    for match in _PIECE.finditer(text):
        if match["code"] is not None or match["setup"] is not None:
            steps.append((match["code"] or match["setup"], []))
            last_was_command = match["code"] is not None
            continue
        if last_was_command and match["lang"] == "text":
            steps[-1][1].extend(line for line in match["shown"].splitlines() if line.strip())
        last_was_command = False
    assert len(steps) == text.count("<!-- runnable") + text.count("<!-- test-setup")
    return steps


def _said(line: str) -> str:
    return line[: -len(" ...")] if line.endswith(" ...") else line


@pytest.mark.parametrize("page", ["lms-downloads.md", "lms-exports.md"])
def test_the_lms_how_to_works_as_written(page, tmp_path):
    steps = _steps((DOCS / page).read_text(encoding="utf-8"))
    assert len(steps) >= 3 and any(shown for _, shown in steps)
    prelude = 'grader() { python -m grader "$@"; }\n'
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADER_ROOT": str(ROOT)}
    where, cwd = tmp_path / "cwd", tmp_path / "course"
    cwd.mkdir()
    for number, (code, shown) in enumerate(steps, 1):
        script = f'{prelude}cd "{cwd}"\n{code}\npwd > "{where}"\n'
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        said = run.stdout + run.stderr
        assert run.returncode == 0, f"{page}, block {number} failed:\n{code}\n{said[-4000:]}"
        for line in shown:
            assert _said(line) in said, f"{page}, block {number} did not say:\n{line}\n{said}"
        cwd = Path(where.read_text().strip())
