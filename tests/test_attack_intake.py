"""Submission intake under attack (issue 23, items 4-8): what a submissions folder can hold that
the grader, as root and outside any sandbox, must not trip over or read.

Each item's class is graded through the CLI (real kernels), each failing before for its own
reason: ordinary notebooks under names of 240 bytes, or in no encoding; links, a named pipe, a
device node, a socket, a link loop and a folder named ``x.ipynb``; a sparse 1 GiB file; and a
version 3 notebook of 2,500 (or 190,000) cells whose keys are escaped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from grader import grade_notebook
from grader.grading._reading import MAX_CELLS, read_submission
from tests.conftest import ASSIGNMENT, EXAMPLES, ROOT

#: A name of 240 bytes, and two of 241 that share their first 240.
LONG = "x" * 240
TWINS = ("y" * 240 + "1", "y" * 240 + "2")
#: A name from a Windows archive (Latin-1 ``ü``), and two of 241 undecodable bytes sharing 240:
#: shown as ``\xff`` each, too long for a file name, so their letters' names are shortened.
MUELLER = b"M\xfcller"
WIDE = (b"\xff" * 240 + b"1", b"\xff" * 240 + b"2")
SECRET = "root:$6$attack$S3CR3TH4SH:19000:0:99999:7:::\n"
#: Entry -> what its row must say it is.
NOT_REGULAR = {
    "link_solution": "a symbolic link",
    "link_secret": "a symbolic link",
    "link_loop": "a symbolic link",
    "link_dev_zero": "a symbolic link",
    "fifo": "a named pipe",
    "folder": "a folder",
    "socket": "a socket",
}


def grader(*args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from grader._cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,  # a FIFO read with a blocking open would hang here
    )


#: A code cell of version 3 with every key escaped, and a markdown cell of five JSON items.
CELL = (
    '{"\\u0063ell_type": "code", "\\u0069nput": "x = 1", "\\u006canguage": "python", '
    '"\\u006futputs": []}'
)
BARE_CELL = '{"\\u0063ell_type": "markdown", "\\u0073ource": ""}'


def _escaped_v3(cells: int, cell: str = CELL) -> str:
    """A version 3 notebook, one worksheet, ``cells`` code cells whose every key is escaped."""
    sheet = '{"\\u0063ells": [' + ", ".join([cell] * cells) + "]}"
    return '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [' + sheet + "]}"


def _handins(base: Path, *names: tuple[bytes, str]) -> Path:
    """A folder of copies of example notebooks: (file name without .ipynb, example)."""
    handins = base / "handins"
    handins.mkdir()
    for name, source in names:
        shutil.copy(EXAMPLES / f"{source}.ipynb", os.fsencode(handins) + b"/" + name + b".ipynb")
    return handins


def _grade(handins: Path, out: Path, *extra: object) -> subprocess.CompletedProcess[str]:
    return grader("grade", "variational_inference", handins, "--out", out, *extra)


@pytest.fixture(scope="module")
def long_names(tmp_path_factory):
    """Item 4's class graded: (OUT, the run)."""
    base = tmp_path_factory.mktemp("long")
    named = [(LONG, "alice_numpy"), (TWINS[0], "alice_numpy"), (TWINS[1], "dave_log2")]
    handins = _handins(base, *((name.encode(), source) for name, source in named))
    return base / "out", _grade(handins, base / "out", "--workers", 2)


@pytest.fixture(scope="module")
def byte_names(tmp_path_factory):
    """Item 5's class graded: (OUT, the run, the folder)."""
    base = tmp_path_factory.mktemp("bytes")
    named = [(MUELLER, "alice_numpy"), (WIDE[0], "alice_numpy"), (WIDE[1], "dave_log2")]
    handins = _handins(base, *named)
    return base / "out", _grade(handins, base / "out", "--workers", 2), handins


@pytest.fixture(scope="module")
def special(tmp_path_factory):
    """Item 6's folder graded: (OUT, the run, whether a device node could be made, seconds)."""
    base = tmp_path_factory.mktemp("special")
    handins = base / "handins"
    handins.mkdir()
    secret = base / "shadow"
    secret.write_text(SECRET, encoding="utf-8")
    (handins / "link_solution.ipynb").symlink_to(ASSIGNMENT / "solution.ipynb")
    (handins / "link_secret.ipynb").symlink_to(secret)
    (handins / "link_loop.ipynb").symlink_to(handins / "link_loop.ipynb")
    (handins / "link_dev_zero.ipynb").symlink_to("/dev/zero")
    os.mkfifo(handins / "fifo.ipynb")
    (handins / "folder.ipynb").mkdir()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(handins / "socket.ipynb"))
    listener.close()  # the socket file stays
    (handins / "notes.txt").write_text("not a notebook: ignored, as before", encoding="utf-8")
    try:
        os.mknod(handins / "device.ipynb", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
        device = True
    except OSError:  # not root
        device = False
    start = time.monotonic()
    run = _grade(handins, base / "out", "--workers", 2)
    return base / "out", run, device, time.monotonic() - start


def _rows(out: Path) -> dict[str, dict]:
    """The stored results by submission name, as the store holds them."""
    with contextlib.closing(sqlite3.connect(out / "results.sqlite")) as db:
        return {
            name: json.loads(text)
            for name, text in db.execute("SELECT submission, result FROM results")
        }


def _total(row: dict) -> float:
    return sum(q["points"] for q in row["questions"])


def test_a_batch_of_long_names_writes_every_output_and_so_does_report(long_names):
    """Item 4: a 240-byte name made the temporary of every atomic write too long (exit 1, no
    report.html, no letters, no exports); two names sharing 240 bytes keep two letters."""
    out, run = long_names
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    for written in ("report.html", "scores.csv", "gradebook.csv", "export"):
        assert (out / written).exists(), written
    rows = _rows(out)
    assert _total(rows[LONG]) == 10.0
    assert (_total(rows[TWINS[0]]), _total(rows[TWINS[1]])) == (10.0, 7.0)
    letters = {p.name for p in (out / "feedback").iterdir()}
    for name in (LONG, *TWINS):
        assert f"{name}.md" in letters and f"{name}.html" in letters  # ordinary: as before
    assert not list(out.rglob("*.tmp"))
    again = grader("report", out)
    assert again.returncode == 0, again.stderr[-3000:]


def test_names_in_no_encoding_get_a_readable_row_and_resume(byte_names, tmp_path):
    """Item 5: ``M\\xfcller`` as bytes raised UnicodeEncodeError in the store: no scores.csv.
    Now it is named ``M\\xfcller`` (text), stored, and found again by --resume. Two names of
    241 undecodable bytes (964 characters shown) keep two letters, each linked by the report."""
    out, run, handins = byte_names
    assert run.returncode == 0, run.stderr[-3000:]
    rows = _rows(out)
    mueller = "M\\xfcller"
    assert _total(rows[mueller]) == 10.0
    wide = ["\\xff" * 240 + "1", "\\xff" * 240 + "2"]
    assert (_total(rows[wide[0]]), _total(rows[wide[1]])) == (10.0, 7.0)
    scores = pd.read_csv(out / "scores.csv")
    shown = [n for n in scores["submission"].unique() if "xfcller" in n]
    assert len(shown) == 1 and scores[scores["submission"] == shown[0]]["points"].sum() == 10.0
    letters = {p.name for p in out.rglob("*")}
    assert f"{mueller}.html" in letters
    assert all(len(os.fsencode(name)) <= 255 for name in letters)
    wide_letters = [n for n in letters if n.startswith("\\xff") and n.endswith(".html")]
    assert len(wide_letters) == 2  # shortened, and still two
    report = (out / "report.html").read_text(encoding="utf-8")
    for letter in wide_letters:
        assert letter.replace("\\", "%5C") in report  # the report links each letter it wrote
    resumed_out = tmp_path / "out"
    shutil.copytree(out, resumed_out)
    again = _grade(handins, resumed_out, "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "(0 now, 3 resumed)" in again.stdout  # each found again under its name
    assert _total(_rows(resumed_out)[mueller]) == 10.0
    assert grader("report", out).returncode == 0


def test_links_and_special_files_get_a_row_and_are_never_read(special):
    """Item 6: a link to the solution got 10/10, a link to a shadow file was read and its hash
    written into scores.csv; a FIFO, a device, a socket, a link loop and a folder named
    ``x.ipynb`` got no row at all. Now each gets 0 and a row saying what it is."""
    out, run, device, seconds = special
    assert run.returncode == 0, run.stderr[-3000:]
    rows = _rows(out)
    expected = dict(NOT_REGULAR, **({"device": "a character device"} if device else {}))
    assert set(rows) == set(expected)  # notes.txt stays ignored
    for name, words in expected.items():
        row = rows[name]
        assert _total(row) == 0.0, name
        assert {q["status"] for q in row["questions"]} == {"invalid_notebook"}
        event = row["events"][0]
        assert event["code"] == "invalid_notebook"
        assert words in event["params"]["message"] and "not graded" in event["params"]["message"]
    assert rows["link_solution"]["events"][0]["params"]["file_type"] == "symlink"
    assert rows["fifo"]["events"][0]["params"]["file_type"] == "fifo"
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert digest.encode() not in data and b"S3CR3TH4SH" not in data, path
    assert seconds < 240  # nothing blocked on the pipe


def test_a_link_named_on_the_command_line_is_not_followed(tmp_path):
    """Item 6, a submission named directly: the same rule as in a folder."""
    link = tmp_path / "alice.ipynb"
    link.symlink_to(ASSIGNMENT / "solution.ipynb")
    out = tmp_path / "out"
    run = grader("grade", "variational_inference", link, "--out", out, "--workers", 1)
    assert run.returncode == 0, run.stderr[-3000:]
    row = _rows(out)["alice"]
    assert _total(row) == 0.0
    assert row["events"][0]["params"]["file_type"] == "symlink"


def test_a_sparse_gigabyte_is_refused_unread_in_bounded_memory(tmp_path):
    """Item 7: hashing read every file whole before the 32 MiB cap (1.13 GB of memory for a
    sparse 1 GiB file; MemoryError at 7 GiB). The grader's own peak stays far below the file."""
    handins = tmp_path / "handins"
    handins.mkdir()
    with open(handins / "big.ipynb", "wb") as handle:
        handle.truncate(1 << 30)
    out = tmp_path / "out"
    code = (
        "import resource, sys\n"
        "from grader._cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(f'PEAK {peak} STATUS {status}')\n"
    )
    args = ["grade", "variational_inference", handins, "--out", out, "--workers", 1]
    run = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    last = run.stdout.strip().splitlines()[-1].split()
    assert last[3] == "0", run.stderr[-3000:]
    assert int(last[1]) < 512 * 1024, f"peak {int(last[1]) // 1024} MiB"  # KiB on Linux
    event = _rows(out)["big"]["events"][0]
    assert event["params"]["size"] == 1 << 30 and event["params"]["cap"] == 32 * 2**20
    assert "1024.0 MiB" in event["params"]["message"] and "32 MiB" in event["params"]["message"]


def test_version_3_cells_are_counted_in_their_worksheets(plan, tmp_path):
    """Item 8: escaped keys hid 2,500 (in the attack 190,000) cells of one worksheet from the
    raw count, and the parsed count counted worksheets: graded, after 45 s of CPU for the
    attack. Now the parse itself stops at the first cell past the cap, whatever the version."""
    escaped = tmp_path / "escaped_v3.ipynb"
    escaped.write_text(_escaped_v3(2500), encoding="utf-8")
    result = grade_notebook(plan, escaped)
    assert {q.status for q in result.questions} == {"invalid_notebook"}
    assert f"more than {MAX_CELLS} cells" in result.events[0].params["message"]
    attack = tmp_path / "attack.ipynb"
    attack.write_text(_escaped_v3(190_000, BARE_CELL), encoding="utf-8")  # 950,000 JSON items
    start = time.process_time()
    submission = read_submission(attack)
    assert submission.nb is None and f"more than {MAX_CELLS} cells" in submission.problem
    assert time.process_time() - start < 5
    small = tmp_path / "small.ipynb"
    small.write_text(_escaped_v3(3), encoding="utf-8")
    assert read_submission(small).nb is not None  # a small version 3 notebook still reads
