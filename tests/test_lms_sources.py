"""What the LMS says beyond the notebooks, read as it comes (fixtures in ``lms_fixtures``):
Gradescope's own lateness (its grades CSV's ``Lateness (H:M:S)``, beside the export or as the
roster) shown without a due time; Moodle's group submissions keyed to every member of the
group, a group's number never taken for a participant's; rosters as spreadsheets save them
(Windows-1252, a byte-order mark, Excel's UTF-16 "Unicode text", ``;``), or one clear error."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import lms_fixtures as F
import pandas as pd
import pytest

from grader.course._archive import open_download
from grader.course._intake import resolve
from grader.course._layouts import detect
from grader.course._roster import load_class_roster
from grader.errors import ExtensionsError, RosterError
from grader.results._extensions import load_extensions
from grader.results._roster import load_roster
from tests.conftest import run_grader as grader


def _both(folder: Path, tmp_path: Path) -> list[Path]:
    return [folder, F.zipped(folder, tmp_path / f"{folder.name}.zip")]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_gradescope_lateness_from_the_grades_csv_in_the_export(tmp_path):
    folder = F.gradescope(tmp_path / "gradescope")
    F.gradescope_grades(folder / "assignment_4711_export" / "Sheet_1_scores.csv")
    for path in _both(folder, tmp_path):
        layout = detect(open_download(path))
        late = {h.layout_id: h.late for h in layout.handed}
        assert late == {"20230001": "", "20230002": "09:00:00 late", "20230003": "09:00:00 late",
                        "20239999": ""}  # fmt: skip
        said = dict(layout.ignored)
        assert said["Sheet_1_scores.csv"] == (
            "Gradescope's grades CSV: its Lateness (H:M:S) is read"
        )


def test_the_gradescope_grades_csv_as_a_roster(tmp_path):
    roster = load_class_roster(F.gradescope_grades(tmp_path / "scores.csv"))
    assert roster.kind == "Gradescope grades CSV"
    by_id = {s.student_id: s for s in roster.students}
    assert by_id["20230001"].name == "Ana María López"
    assert by_id["20230001"].submitted_at == "2024-03-04T21:15:31+01:00"
    assert not by_id["20230001"].late
    assert by_id["20230002"].late == "09:00:00 late"
    assert by_id["20230002"].late_source == "Gradescope"
    assert not by_id["20230004"].submitted_at  # Missing: nothing handed in


def test_moodle_group_submissions_are_keyed_to_every_member(tmp_path):
    for path in _both(F.moodle_groups(tmp_path / "groups"), tmp_path):
        layout = detect(open_download(path))
        assert layout.name == "Moodle (in folders, Moodle 4.1+)"
        assert {h.name for h in layout.handed} == {"Team Rocket", "Default group"}
        worksheet = load_class_roster(F.moodle_group_worksheet(tmp_path / "ws.csv"))
        intake = resolve(layout, worksheet)
        graded = {k.student.student_id: k for k in intake.graded if k.student}
        assert set(graded) == {"ana@uni.example", "bruno@uni.example", "wei@uni.example"}
        assert {k.rule for k in graded.values()} == {"moodle_group"}
        # Team Rocket's id is Wei's participant id: Wei still gets the Default group's.
        assert graded["wei@uni.example"].handed.item.path.parts[0].startswith("Default group")
        assert graded["ana@uni.example"].handed.item == graded["bruno@uni.example"].handed.item
        assert [s.student_id for s in intake.absent] == ["dana@uni.example"]
        assert not [k for k in intake.graded if k.student is None]
        # Without the groups, no group's number is taken for a participant's: nobody matches.
        plain = resolve(layout, load_class_roster(F.plain_roster(tmp_path / "plain.csv")))
        assert not [k for k in plain.graded if k.student is not None]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16"])
def test_a_worksheet_saved_again_by_a_spreadsheet_reads_the_same(tmp_path, encoding):
    saved = load_class_roster(F.moodle_group_worksheet(tmp_path / "ws.csv", encoding))
    original = load_class_roster(F.moodle_group_worksheet(tmp_path / "ws8.csv"))
    assert saved.students == original.students
    assert saved.students[0].name == "Ana María López"
    assert saved.students[0].group == "Team Rocket"
    assert ("Windows-1252" in saved.encoding_note) == (encoding == "cp1252")
    assert ("UTF-16" in saved.encoding_note) == (encoding == "utf-16")


def test_every_csv_the_instructor_gives_reads_every_encoding(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes("submission;student_id;name\r\nana;1;Ana María López\r\n".encode("cp1252"))
    assert load_roster(roster)["ana"]["name"] == "Ana María López"
    roster.write_bytes("\ufeffstudent_id\tname\r\n1\tZoë Ægir\r\n".encode("utf-16-le"))
    assert load_class_roster(roster).students[0].name == "Zoë Ægir"
    extensions = tmp_path / "extensions.csv"
    extensions.write_bytes("student_id,days\r\nlópez,2\r\n".encode("utf-8-sig"))
    assert load_extensions(extensions)["lópez"].days == 2


def test_a_file_in_no_encoding_is_one_clear_error(tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_bytes(b"student_id,name\n1,Ana \x81\x8d\n")  # not UTF-8, undefined in cp1252
    with pytest.raises(RosterError) as caught:
        load_class_roster(bad)
    said = str(caught.value)
    assert said.startswith(f"{bad}: ") and "neither UTF-8" in said and "CSV UTF-8" in said
    bad.write_bytes("student_id,name\n1,Ana\n".encode("utf-16-le"))  # no byte-order mark
    with pytest.raises(RosterError, match="UTF-16 without a byte-order mark"):
        load_class_roster(bad)
    with pytest.raises(ExtensionsError, match="neither UTF-8"):
        bad.write_bytes(b"student_id,days\n\x81,2\n")
        load_extensions(bad)
    run = grader("grade", "variational_inference", F.EXAMPLES / "alice_numpy.ipynb",
                 "--out", tmp_path / "out", "--roster", bad)  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith(f"Error: {bad}: "), run.stderr
    assert not (tmp_path / "out").exists()


def test_gradescope_lateness_is_shown_without_a_due_time(tmp_path):
    """Graded through the CLI with the grades CSV as the roster and no [late] table: the
    report shows Gradescope's word and takes nothing off."""
    download = F.gradescope(tmp_path / "download")
    roster = F.gradescope_grades(tmp_path / "scores.csv")
    out = tmp_path / "out"
    run = grader("grade", "variational_inference", download, "--out", out, "--roster", roster)
    assert run.returncode == 0, run.stderr
    assert "Roster: Gradescope grades CSV, 4 student(s)" in run.stdout
    book = pd.read_csv(out / "gradebook.csv", dtype=str).set_index("submission")
    said = "Late, as Gradescope marks it late (09:00:00 late); the sheet sets no due time"
    for key in ("20230002", "20230003"):
        assert book.loc[key, "late"].startswith(said), book.loc[key, "late"]
        assert book.loc[key, "total"] == book.loc[key, "raw_total"]
    assert pd.isna(book.loc["20230001", "late"])
    assert said in (out / "feedback" / "20230003.md").read_text()
    intake = {r["submission"]: r for r in _rows(out / "intake.csv")}
    assert intake["20230002"]["lms_late"] == "09:00:00 late"
    assert intake["20230004"]["status"] == "not_submitted"


def test_a_moodle_group_zip_with_its_worksheet_from_excel(tmp_path):
    """A group assignment's zip and its worksheet saved again by Excel (Windows-1252): each
    member gets the group's marks under their own key; the summary says how it was read."""
    archive = F.zipped(F.moodle_groups(tmp_path / "download"), tmp_path / "Sheet 1-42.zip")
    worksheet = F.moodle_group_worksheet(tmp_path / "worksheet.csv", "cp1252")
    out = tmp_path / "out"
    run = grader("grade", "variational_inference", archive, "--out", out, "--roster", worksheet)
    assert run.returncode == 0, run.stderr
    assert "Roster: Moodle grading worksheet (read as Windows-1252" in run.stdout
    assert "matched 3 by moodle_group; 1 handed nothing in" in run.stdout
    book = pd.read_csv(out / "gradebook.csv", dtype={"submission": str}).set_index("submission")
    assert book.loc["ana@uni.example", "total"] == book.loc["bruno@uni.example", "total"]
    assert book.loc["dana@uni.example", "total"] == 0
    intake = {r["submission"]: r for r in _rows(out / "intake.csv")}
    assert intake["wei@uni.example"]["source"].startswith("Default group_assignsubmission_file")
    assert intake["ana@uni.example"]["name"] == "Ana María López"
    shutil.rmtree(out)
