"""Each LMS download, as a folder and as a zip, read as its vendor writes it (the fixtures in
``lms_fixtures`` cite their sources): the layout said, each student's ids and time kept, what is
not a notebook ignored; and a zip read with its caps."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import lms_fixtures as F
import pytest

from grader.course._archive import MAX_ZIP_ENTRIES, open_download
from grader.course._intake import resolve
from grader.course._layouts import PLAIN, detect
from grader.course._roster import load_class_roster
from grader.errors import RosterError, SubmissionsError


def _both(folder: Path, tmp_path: Path) -> list[Path]:
    return [folder, F.zipped(folder, tmp_path / f"{folder.name}.zip")]


def _handed(path: Path) -> tuple[str, dict[str, object]]:
    layout = detect(open_download(path))
    return layout.name, {h.layout_id: h for h in layout.handed}


@pytest.mark.parametrize(
    ("variant", "said"),
    [
        ("folders", "Moodle (in folders, Moodle 4.1+)"),
        ("old", "Moodle (in folders, before Moodle 4.1)"),
        ("flat", "Moodle (flat)"),
    ],
)
def test_moodle_every_variant(tmp_path, variant, said):
    for path in _both(F.moodle(tmp_path / "moodle", variant), tmp_path):
        layout = detect(open_download(path))
        assert layout.name == said
        handed = {h.layout_id: h for h in layout.handed}
        assert set(handed) == {"5501", "5502", "5503", "5599"}  # participant ids
        assert handed["5502"].name == "Bruno ONeil"  # Moodle dropped the apostrophe
        assert handed["5501"].ids == {"moodle_participant": "5501"}
        assert not handed["5501"].submitted_at  # no time in Moodle's zip
        ignored = {Path(p).name for p, _ in layout.ignored}
        assert ignored == ({"notes.pdf", "onlinetext.html"} if variant != "flat" else set())


def test_canvas_late_marker_and_resubmission(tmp_path):
    for path in _both(F.canvas(tmp_path / "canvas"), tmp_path):
        layout = detect(open_download(path))
        assert layout.name == "Canvas (Download Submissions)"
        by_user: dict[str, list] = {}
        for handed in layout.handed:
            by_user.setdefault(handed.layout_id, []).append(handed)
        assert set(by_user) == {"1001", "1002", "1003", "1099"}
        assert by_user["1002"][0].late == "LATE" and by_user["1002"][0].name == "oneilbruno"
        assert not by_user["1001"][0].late and by_user["1001"][0].name == "lópezanamaría"
        assert sorted(h.sequence for h in by_user["1003"]) == [90004, 90007]
        assert [Path(p).suffix for p, _ in layout.ignored] == [".pdf"]


def test_canvas_upper_case_late_marker(tmp_path):
    """The issue's ``_LATE_`` (older Canvas kept the case) is read as the lower-case one."""
    root = tmp_path / "c"
    root.mkdir()
    (root / "smithjo_LATE_77_88_sheet1.ipynb").write_bytes(F.notebook(F.ANA))
    (handed,) = detect(open_download(root)).handed
    assert (handed.layout_id, handed.name, handed.late) == ("77", "smithjo", "LATE")


def test_gradescope_export_metadata(tmp_path):
    for path in _both(F.gradescope(tmp_path / "gs"), tmp_path):
        name, handed = _handed(path)
        assert name == "Gradescope (Export Submissions)"
        assert set(handed) == {"20230001", "20230002", "20230003", "20239999"}  # sids
        assert handed["20230001"].submitted_at == "2024-03-04T20:15:31.123456+00:00"
        assert handed["20230001"].time_source == "Gradescope submission_metadata.yml"
        assert handed["20230001"].history == ("2024-03-04T19:02:10+00:00",)  # not exported
        # a group submission: one notebook, each member keyed with it
        assert handed["20230002"].item == handed["20230003"].item
        assert handed["20230003"].ids == {"sid": "20230003", "email": "wei@uni.example"}


def test_github_classroom_clone(tmp_path):
    folder, archive = _both(F.classroom(tmp_path / "gc"), tmp_path)
    name, handed = _handed(folder)
    assert name == "GitHub Classroom (gh classroom clone student-repos)"
    assert set(handed) == {"analopez", "weichen"}
    assert handed["analopez"].submitted_at == "2024-03-04T21:15:00+01:00"  # the commit's time
    assert "forged" in handed["analopez"].time_source
    layout = detect(open_download(folder))
    assert not any(".git" in p for p, _ in layout.ignored)  # git data is never looked into
    assert {Path(p).name for p, _ in layout.ignored} == {"README.md"}
    name, handed = _handed(archive)
    assert set(handed) == {"analopez", "weichen"} and not handed["weichen"].submitted_at


@pytest.mark.parametrize("folder", ["p", "hw1-submissions"])
def test_a_plain_folder_is_plain(tmp_path, folder):
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "alice_numpy.ipynb").write_bytes(F.notebook(F.ANA))
    (tmp_path / folder / "notes.txt").write_text("x")
    name, handed = _handed(tmp_path / folder)
    assert name == PLAIN and list(handed) == ["alice_numpy"]


# -- the zip's caps -----------------------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16  # what `zip --symlinks` writes
            archive.writestr(info, "/etc/passwd")
    return path


def test_zip_paths_that_leave_links_and_raw_names_are_refused_unread(tmp_path):
    sheet = F.notebook(F.ANA)
    archive = _zip(
        tmp_path / "evil.zip",
        {
            "Ana López_5501_assignsubmission_file/sheet1.ipynb": sheet,
            "../../escape.ipynb": sheet,
            "/abs/escape.ipynb": sheet,
        },
        links=("Wei Chen_5503_assignsubmission_file/sheet1.ipynb",),
    )
    download = open_download(archive)
    refused = dict(download.refused)
    assert "leaves the download" in refused["../../escape.ipynb"]
    assert "leaves the download" in refused["/abs/escape.ipynb"]
    assert "symbolic link" in refused["Wei Chen_5503_assignsubmission_file/sheet1.ipynb"]
    assert [str(i.path) for i in download.items] == [
        "Ana López_5501_assignsubmission_file/sheet1.ipynb"
    ]


def test_zip_names_in_no_encoding_are_shown_as_bytes(tmp_path):
    """A zip made on Windows names files in its code page, without the UTF-8 flag."""
    archive = tmp_path / "win.zip"
    with zipfile.ZipFile(archive, "w") as out:  # an ASCII name: no UTF-8 flag is set
        out.writestr("MXller_5501_assignsubmission_file_sheet1.ipynb", F.notebook(F.ANA))
    # the name's bytes as Windows (cp1252) writes "Müller", in both headers, same length
    archive.write_bytes(archive.read_bytes().replace(b"MXller", b"M\xfcller"))
    download = open_download(archive)
    (item,) = download.items
    assert str(item.path).startswith("M\\xfcller")
    (handed,) = detect(download).handed
    assert handed.name.startswith("M\\xfcller") and download.read(item) == F.notebook(F.ANA)


def test_zip_bounds_on_entries_and_expanded_size(tmp_path):
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as out:
        for number in range(MAX_ZIP_ENTRIES + 1):
            out.writestr(f"f{number}", b"")
    with pytest.raises(SubmissionsError, match="entries"):
        open_download(many)
    # Two entries whose central directory claims 4 GiB each (a crafted archive): refused from
    # the directory alone, before a byte is inflated.
    bomb = _zip(tmp_path / "bomb.zip", {"a.ipynb": b"{}", "b.ipynb": b"{}"})
    data = bytearray(bomb.read_bytes())
    start = data.find(b"PK\x01\x02")
    while start != -1:
        data[start + 24 : start + 28] = struct.pack("<I", 0xFFFFFFFF)  # uncompressed size
        start = data.find(b"PK\x01\x02", start + 4)
    bomb.write_bytes(bytes(data))
    with pytest.raises(SubmissionsError, match="expand"):
        open_download(bomb)


def test_a_folder_link_is_refused_not_followed(tmp_path):
    root = F.moodle(tmp_path / "m")
    (root / "Eve Stranger_5599_assignsubmission_file" / "sheet1.ipynb").unlink()
    target = root / "Eve Stranger_5599_assignsubmission_file" / "sheet1.ipynb"
    target.symlink_to("/etc/passwd")
    download = open_download(root)
    assert any("symbolic link" in why for _, why in download.refused)
    assert all("Eve" not in str(i.path) or i.path.suffix != ".ipynb" for i in download.items)


# -- rosters and matching ----------------------------------------------------------------------


def test_moodle_worksheet_gives_participant_time_and_lateness(tmp_path):
    roster = load_class_roster(F.moodle_worksheet(tmp_path / "worksheet.csv"))
    assert roster.kind == "Moodle grading worksheet"
    layout = detect(open_download(F.moodle(tmp_path / "m")))
    intake = resolve(layout, roster)
    by_key = {k.key: k for k in intake.graded}
    bruno = by_key["bruno@uni.example"]  # no ID number column: the e-mail is the student_id
    assert bruno.rule == "moodle_participant"
    data = bruno.data(layout.name)
    assert data["submitted_at"] == "2024-03-06T11:40:00"
    assert data["submitted_at_source"] == "Moodle grading worksheet"
    assert "late" in data["lms_late"]
    assert [s.name for s in intake.absent] == ["Dana Smith"]


def test_canvas_gradebook_matches_by_canvas_id_and_keeps_the_latest(tmp_path):
    roster = load_class_roster(F.canvas_gradebook(tmp_path / "gradebook.csv"))
    assert roster.kind == "Canvas gradebook export" and len(roster.students) == 4
    intake = resolve(detect(open_download(F.canvas(tmp_path / "c"))), roster)
    rules = {k.key: k.rule for k in intake.graded}
    assert rules == {
        "20230001": "canvas_user_id",
        "20230002": "canvas_user_id",
        "20230003": "canvas_user_id",
        "strangereve": "",
    }
    (older,) = intake.superseded
    assert older.key == "20230003" and "90004" in str(older.handed.item.path)
    latest = next(k for k in intake.graded if k.key == "20230003")
    assert latest.handed.item.path.name.endswith("sheet1-1.ipynb")


def test_plain_roster_matches_by_id_then_name(tmp_path):
    roster = load_class_roster(F.plain_roster(tmp_path / "r.csv"))
    gradescope = resolve(detect(open_download(F.gradescope(tmp_path / "g"))), roster)
    assert {k.key: k.rule for k in gradescope.graded if k.student} == {
        "20230001": "student_id",
        "20230002": "student_id",
        "20230003": "student_id",
    }
    moodle = resolve(detect(open_download(F.moodle(tmp_path / "m"))), roster)
    assert {k.key: k.rule for k in moodle.graded if k.student} == {
        "20230001": "name",  # "Ana María López" = "Ana Maria Lopez", accents ignored
        "20230002": "name",  # "Bruno O'Neil" = Moodle's "Bruno ONeil"
        "20230003": "name",
    }
    (stray,) = [k for k in moodle.graded if k.student is None]
    assert stray.key == "Eve Stranger" and stray.events()[0].code == "not_on_roster"


def test_classroom_roster_matches_by_username(tmp_path):
    roster = load_class_roster(F.classroom_roster(tmp_path / "r.csv"))
    intake = resolve(detect(open_download(F.classroom(tmp_path / "gc"))), roster)
    assert {k.key: k.rule for k in intake.graded} == {
        "20230001": "github_username",
        "20230003": "github_username",
    }
    assert [s.student_id for s in intake.absent] == ["20230002", "20230004"]


def test_an_unmatched_submission_names_the_near_students(tmp_path):
    roster_path = tmp_path / "r.csv"
    roster_path.write_text('student_id,name\n1,"Ana María López"\n2,"Wei Chen"\n')
    root = tmp_path / "m"
    root.mkdir()
    (root / "Anna Lopes_5501_assignsubmission_file_sheet1.ipynb").write_bytes(b"{}")
    intake = resolve(detect(open_download(root)), load_class_roster(roster_path))
    (stray,) = intake.graded
    assert stray.student is None and stray.near == ("Ana María López",)


def test_an_ambiguous_match_is_refused_with_the_candidates(tmp_path):
    roster_path = tmp_path / "r.csv"
    roster_path.write_text("student_id,name\n1,Wei Chen\n2,Chen Wei\n")
    root = tmp_path / "m"
    root.mkdir()
    (root / "Wei Chen_5503_assignsubmission_file_sheet1.ipynb").write_bytes(b"{}")
    with pytest.raises(RosterError) as caught:
        resolve(detect(open_download(root)), load_class_roster(roster_path), roster_path)
    message = str(caught.value)
    assert "Wei Chen (1)" in message and "Chen Wei (2)" in message and "by name" in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("name,email\nAna,a@x\n", "no column student_id"),
        ("student_id,name\n1,A\n1,B\n", "row 3"),
        ("student_id,name\n,A\n", "row 2"),
        ("", "header row"),
    ],
)
def test_a_bad_roster_names_its_row(tmp_path, text, says):
    path = tmp_path / "r.csv"
    path.write_text(text)
    with pytest.raises(RosterError, match=says):
        load_class_roster(path)


def test_a_scratch_notebook_beside_the_sheet_is_superseded(tmp_path):
    """Several notebooks of one student and no time or upload order between them: the one
    named as most of the class named theirs counts."""
    root = F.moodle(tmp_path / "m")
    (root / "Wei Chen_5503_assignsubmission_file" / "zz-scratch.ipynb").write_bytes(b"{}")
    intake = resolve(detect(open_download(root)), None)
    (older,) = intake.superseded
    assert older.handed.item.path.name == "zz-scratch.ipynb"
    wei = next(k for k in intake.graded if k.key == "Wei Chen")
    assert wei.handed.item.path.name == "sheet1.ipynb"


def test_a_plain_folder_with_a_roster_matches_file_names(tmp_path):
    """``alice_numpy.ipynb`` is Alice Numpy's: the stem's words are her name."""
    root = tmp_path / "handins"
    root.mkdir()
    (root / "alice_numpy.ipynb").write_bytes(F.notebook(F.ANA))
    (root / "s2.ipynb").write_bytes(F.notebook(F.WEI))
    roster = tmp_path / "r.csv"
    roster.write_text("student_id,name\ns1,Alice Numpy\ns2,Wei Chen\ns3,Dana Smith\n")
    intake = resolve(detect(open_download(root)), load_class_roster(roster))
    assert {k.key: k.rule for k in intake.graded} == {"s1": "name", "s2": "student_id"}
    assert [s.student_id for s in intake.absent] == ["s3"]


def test_a_notebook_over_the_cap_is_staged_unread(tmp_path):
    """Its declared size is checked before a byte is inflated: a sparse stand-in of that size
    goes to the batch, whose own intake then gives it its "too big" row."""
    from grader.course._archive import MAX_NOTEBOOK_BYTES
    from grader.course._stage import stage

    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("Ana Lopez_5501_assignsubmission_file_sheet1.ipynb", b"\0" * (33 << 20))
    download = open_download(archive)
    intake = resolve(detect(download), None)
    staged = tmp_path / "staged"
    staged.mkdir()
    (path,) = stage(download, intake, staged)
    assert path.name == "Ana Lopez.ipynb" and path.stat().st_size == 33 << 20 > MAX_NOTEBOOK_BYTES
    assert path.stat().st_blocks * 512 < 1 << 20  # nothing of it was written
