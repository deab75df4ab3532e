"""docs/authoring.md's walk-through works as written: its bash blocks run in an empty folder."""

from __future__ import annotations

import os
import re
import subprocess

import pandas as pd

from tests.conftest import ROOT

DOC = ROOT / "docs" / "authoring.md"


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)


def test_the_authoring_walk_through_runs_as_written(tmp_path):
    blocks = _bash_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 6 and blocks[0].strip() == "grader new demo"
    # `grader` is this checkout's, whatever an installed script points at.
    script = 'set -euo pipefail\ngrader() { python -m grader "$@"; }\n' + "\n".join(blocks)
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "demo: valid" in run.stdout
    assert (tmp_path / "dist" / "demo" / "public.json").is_file()
    book = pd.read_csv(tmp_path / "results" / "gradebook.csv").set_index("submission")
    assert list(book.columns) == ["1", "2", "3", "total", "pending"]  # 3 is graded by hand
    assert book.loc["alice", "total"] == 6.0  # 5 automatic, 1 marked by hand
    assert book.loc["bob", "total"] == 0.0
    assert book["pending"].isna().all()
    assert "2 answer(s) marked by hand, 0 pending" in run.stdout
    assert "Frozen inputs of demo (from frozen.json):" in run.stdout  # grader inputs demo
