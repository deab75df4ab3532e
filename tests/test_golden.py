"""Golden outputs: every file ``grader grade`` writes for the bundled examples, compared with a
copy committed in tests/golden/, measured values left out (seconds, CPU, memory, the sandbox's
path, the plots' pixels). A change of any output shows here as a diff, so an output changes only
in the commit that means to change it (regenerate with ``GRADER_GOLDEN_UPDATE=1 pytest
tests/test_golden.py`` and review the diff).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, MEAN_FIELD_EXAMPLES, ROOT

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("GRADER_GOLDEN_UPDATE") == "1"
#: Columns measured rather than computed, or of the installation (a fresh venv may bring a newer
#: Hypothesis): they differ from run to run or machine to machine.
MEASURED = {
    "seconds", "cpu_seconds", "memory_peak_mb", "sandbox",
    "python_version", "hypothesis_version", "grader_version",
}  # fmt: skip
CASES = {"variational_inference": EXAMPLES, "mean_field_vi": MEAN_FIELD_EXAMPLES}


def _csv(text: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    keep = [i for i, name in enumerate(rows[0]) if name not in MEASURED]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([row[i] for i in keep if i < len(row)])
    return out.getvalue()


def _html(text: str) -> str:
    text = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "data:image/...", text)
    return re.sub(r'<h2 id="slowest">.*?(?=<h2|<p class="muted">Written)', "", text, flags=re.S)


def _json(text: str) -> str:
    document = json.loads(text)
    if isinstance(document, dict):
        document.pop("execution_time", None)
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


def _notebook(text: str) -> str:
    """An executed notebook without what IPython's version decides: the traceback's layout and
    colours (the error's name and value stay), the versions in the metadata."""
    document = json.loads(text)
    for cell in document.get("cells", []):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output.pop("traceback", None)
    document.get("metadata", {}).pop("language_info", None)
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _store(path: Path) -> str:
    """The store as text: each result without its measured fields."""
    db = sqlite3.connect(path)
    rows = db.execute("SELECT submission, notebook_sha256, result FROM results ORDER BY 1")
    out = []
    for submission, digest, raw in rows:
        result = json.loads(raw)
        for key in ("seconds", "usage"):
            result.pop(key, None)
        out.append({"submission": submission, "sha256": digest, "result": result})
    db.close()
    return json.dumps(out, indent=1, sort_keys=True) + "\n"


def normalised(path: Path) -> str:
    if path.suffix == ".sqlite":
        return _store(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        return _csv(text)
    if path.suffix == ".html":
        return _html(text)
    if path.suffix == ".json":
        return _json(text)
    if path.suffix == ".ipynb":
        return _notebook(text)
    return text


def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("assignment", sorted(CASES))
def test_the_bundled_examples_give_the_golden_outputs(assignment, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "grade", assignment, str(CASES[assignment])]
    done = subprocess.run(
        [*command, "--out", str(out), "--workers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    golden = GOLDEN / assignment
    got = {name: normalised(path) for name, path in _files(out).items()}
    if UPDATE:
        for name, text in got.items():
            target = golden / (name + ".txt" if name.endswith(".sqlite") else name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    want = {
        name.removesuffix(".txt") if name.endswith(".sqlite.txt") else name: path.read_text("utf-8")
        for name, path in _files(golden).items()
    }
    assert sorted(got) == sorted(want), "the files of OUT differ from the golden ones"
    for name in sorted(want):
        assert got[name] == want[name], f"{name} differs from tests/golden/{assignment}/{name}"
