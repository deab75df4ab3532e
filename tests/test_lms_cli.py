"""``grader grade ASSIGNMENT DOWNLOAD --out OUT [--roster FILE]`` on LMS downloads built as the
vendors write them (``lms_fixtures``), through the real CLI and real kernels: every roster
student gets a row, each keyed by student_id; what the layout says is kept with each result."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import lms_fixtures as F
import pytest

from grader.results._folder import OutputFolder

ROOT = Path(__file__).resolve().parents[1]


def grader(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def moodle_class(tmp_path_factory):
    """A Moodle zip graded with a plain ``student_id,name,email`` roster."""
    tmp = tmp_path_factory.mktemp("moodle")
    archive = F.zipped(F.moodle(tmp / "download"), tmp / "Sheet 1-42.zip")
    roster = F.plain_roster(tmp / "roster.csv")
    out = tmp / "out"
    run = grader(
        "grade", "variational_inference", archive, "--out", out, "--roster", roster, "--workers", 2
    )
    assert run.returncode == 0, run.stderr
    return out, run


def test_the_layout_and_the_matches_are_said(moodle_class):
    _, run = moodle_class
    assert "Layout: Moodle (in folders, Moodle 4.1+) (zip" in run.stdout
    assert "matched 3 by name" in run.stdout
    assert "1 handed nothing in (not_submitted)" in run.stdout
    assert "1 submission(s) match nobody (not_on_roster)" in run.stdout
    assert "Not on the roster: Eve Stranger (nearest names: none)." in run.stdout


def test_every_roster_student_has_a_row_keyed_by_student_id(moodle_class):
    out, _ = moodle_class
    scores = _rows(out / "scores.csv")
    assert {r["submission"] for r in scores} == {
        "20230001",
        "20230002",
        "20230003",
        "20230004",
        "Eve Stranger",
    }
    dana = [r for r in scores if r["submission"] == "20230004"]
    assert {r["status"] for r in dana} == {"not_submitted"}
    assert {float(r["points"]) for r in dana} == {0.0}  # the hand-marked ones too: 0, not pending
    eve = [r for r in scores if r["submission"] == "Eve Stranger"]
    assert all("not on the roster" in r["notes"] for r in eve)
    ana = [
        r
        for r in scores
        if r["submission"] == "20230001" and not r["question"].endswith(("prose", "derivation"))
    ]
    assert {r["status"] for r in ana} == {"ok"}  # alice_numpy's notebook, graded as Ana's
    assert (out / "feedback" / "20230001.html").is_file()
    assert "Nothing was handed in" in (out / "feedback" / "20230004.md").read_text()
    template = {r["submission"] for r in _rows(out / "manual-template.csv")}
    assert "20230004" not in template and "20230001" in template


def test_intake_lists_every_file_and_student(moodle_class):
    out, _ = moodle_class
    intake = _rows(out / "intake.csv")
    status = {(r["submission"], r["status"]) for r in intake if r["submission"]}
    assert status == {
        ("20230001", "graded"),
        ("20230002", "graded"),
        ("20230003", "graded"),
        ("Eve Stranger", "not_on_roster"),
        ("20230004", "not_submitted"),
    }
    ana = next(r for r in intake if r["submission"] == "20230001")
    assert ana["matched_by"] == "name"
    assert ana["source"] == "Ana María López_5501_assignsubmission_file/sheet1.ipynb"
    ignored = sorted(Path(r["source"]).name for r in intake if r["status"] == "ignored")
    assert ignored == ["notes.pdf", "onlinetext.html"]


def test_the_exports_join_by_student(moodle_class):
    out, _ = moodle_class
    with open(out / "export" / "canvas.csv", encoding="utf-8", newline="") as handle:
        canvas = {row[2]: row for row in list(csv.reader(handle))[2:]}
    assert list(canvas) == ["20230001", "20230002", "20230003", "20230004"]
    assert canvas["20230004"][5] == "0.0"  # nothing handed in: zero
    assert canvas["20230001"][0] == "Ana María López"
    unmatched = _rows(out / "export" / "unmatched.csv")
    assert [r["submission"] for r in unmatched] == ["Eve Stranger"]


def test_a_gradescope_export_keeps_times_without_a_roster(tmp_path):
    download = F.gradescope(tmp_path / "download")
    out = tmp_path / "out"
    run = grader("grade", "variational_inference", download, "--out", out, "--workers", 2)
    assert run.returncode == 0, run.stderr
    assert "Layout: Gradescope (Export Submissions)" in run.stdout
    store = OutputFolder(out).existing_store(read_only=True)
    try:
        results = {r.submission: r for r, _ in store.results(sorted(store.done()))}
    finally:
        store.close()
    assert set(results) == {"20230001", "20230002", "20230003", "20239999"}  # the sids
    ana = results["20230001"].extra
    assert ana["course.submitted_at"] == "2024-03-04T20:15:31.123456+00:00"
    assert ana["course.submitted_at_source"] == "Gradescope submission_metadata.yml"
    assert ana["course.layout"] == "Gradescope (Export Submissions)"
    assert ana["course.earlier_attempts"] == "2024-03-04T19:02:10+00:00"
    again = grader("grade", "variational_inference", download, "--out", out, "--resume")
    assert again.returncode == 0, again.stderr
    assert "(0 now, 4 resumed)" in again.stdout  # the same keys and notebooks: nothing regraded


def test_a_download_without_notebooks_is_one_clear_error(tmp_path):
    root = tmp_path / "download"
    root.mkdir()
    (root / "Ana Lopez_5501_assignsubmission_file_report.pdf").write_bytes(b"%PDF-1.4\n")
    run = grader("grade", "variational_inference", root, "--out", tmp_path / "out")
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "Moodle (flat) download with no notebook" in last


def test_a_canvas_folder_with_its_gradebook_keeps_the_late_marker(tmp_path):
    download = F.canvas(tmp_path / "download")
    roster = F.canvas_gradebook(tmp_path / "gradebook.csv")
    out = tmp_path / "out"
    run = grader("grade", "variational_inference", download, "--out", out, "--roster", roster)
    assert run.returncode == 0, run.stderr
    intake = {(r["submission"], r["status"]): r for r in _rows(out / "intake.csv")}
    assert intake[("20230002", "graded")]["lms_late"] == "LATE"
    assert intake[("20230002", "graded")]["matched_by"] == "canvas_user_id"
    older = intake[("20230003", "superseded")]
    assert older["source"] == "chenwei_1003_90004_sheet1.ipynb"
    assert intake[("20230003", "graded")]["source"] == "chenwei_1003_90007_sheet1-1.ipynb"
    # Canvas's import matches a row by its own user id (ID) first: the gradebook's ids and
    # sections go back as Canvas gave them.
    with open(out / "export" / "canvas.csv", encoding="utf-8", newline="") as handle:
        canvas = list(csv.reader(handle))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0] == "Points Possible"
    by_sis = {row[2]: row for row in canvas[2:]}
    student = next(s for s in F.CLASS if s[1] == "20230002")
    assert by_sis["20230002"][1] == str(student[4]) and by_sis["20230002"][4] == "Section A"


def test_an_ambiguous_roster_is_one_clear_error_before_grading(tmp_path):
    download = F.moodle(tmp_path / "download")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\n1,Wei Chen\n2,Chen Wei\n")
    out = tmp_path / "out"
    run = grader("grade", "variational_inference", download, "--out", out, "--roster", roster)
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "Wei Chen (1)" in last and "Chen Wei (2)" in last
    assert not (out / "results.sqlite").exists()


def test_a_stray_near_a_roster_name_is_listed_with_it(tmp_path):
    """Anna Lopes is on no roster; Ana María López is: the exports' unmatched.csv says so."""
    download = tmp_path / "download"
    download.mkdir()
    sheet = F.notebook(F.ANA)
    (download / "Anna Lopes_5598_assignsubmission_file_sheet1.ipynb").write_bytes(sheet)
    (download / "Wei Chen_5503_assignsubmission_file_sheet1.ipynb").write_bytes(sheet)
    roster = F.plain_roster(tmp_path / "roster.csv")
    out = tmp_path / "out"
    run = grader("grade", "variational_inference", download, "--out", out, "--roster", roster)
    assert run.returncode == 0, run.stderr
    assert "Not on the roster: Anna Lopes (nearest names: Ana María López)." in run.stdout
    (row,) = _rows(out / "export" / "unmatched.csv")
    assert row["submission"] == "Anna Lopes" and "nearest names: Ana María López" in row["problem"]
