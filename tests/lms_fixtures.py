"""LMS downloads as each vendor's own code writes them, built from the example notebooks.

Each builder copies its layout from the source cited in it; ``tests/test_lms_layouts.py`` reads
them as folders and as zips, and ``tests/test_lms_cli.py`` grades them through the CLI. The
class: Ana (alice_numpy), Bruno (erin_variance_bug), Wei (frank_wrong_axis) on the roster, Dana
on the roster with nothing handed in, and Eve handing in without being on the roster.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"
SHEET = "sheet1.ipynb"

#: (roster name, student_id, email, example notebook, Canvas user id, Moodle participant id,
#: GitHub username); Dana handed nothing in, Eve is on no roster.
ANA = ("Ana María López", "20230001", "ana@uni.example", "alice_numpy", "1001", "5501", "analopez")
BRUNO = (
    "Bruno O'Neil",
    "20230002",
    "bruno@uni.example",
    "erin_variance_bug",
    "1002",
    "5502",
    "bruno-o",
)
WEI = ("Wei Chen", "20230003", "wei@uni.example", "frank_wrong_axis", "1003", "5503", "weichen")
DANA = ("Dana Smith", "20230004", "dana@uni.example", "", "1004", "5504", "dsmith")
EVE = (
    "Eve Stranger",
    "20239999",
    "eve@elsewhere.example",
    "ivan_unfinished",
    "1099",
    "5599",
    "eve-x",
)
CLASS = (ANA, BRUNO, WEI, DANA)


def notebook(student: tuple[str, ...]) -> bytes:
    return (EXAMPLES / f"{student[3]}.ipynb").read_bytes()


def plain_roster(path: Path) -> Path:
    """The grader's own roster: ``student_id,name,email``."""
    lines = ["student_id,name,email"] + [f'{s[1]},"{s[0]}",{s[2]}' for s in CLASS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def moodle(root: Path, variant: str = "folders") -> Path:
    """Moodle's "Download all submissions" (``mod/assign/classes/downloader.php``, 4.1+): the
    prefix is ``clean_filename(str_replace('_', ' ', fullname) . '_' . uniqueid)``; in folders
    ``PREFIX_assignsubmission_file`` + the file's path (``/``) + its name, online text as
    ``PREFIX_assignsubmission_onlinetext/onlinetext.html``; flat ``PREFIX_assignsubmission_file_
    NAME``. Before 4.1 (``locallib.php``) the folder was ``PREFIX_assignsubmission_file_/``.
    ``clean_filename`` drops the apostrophe of O'Neil."""
    root.mkdir(parents=True)
    for student in (ANA, BRUNO, WEI, EVE):
        name = student[0].replace("'", "").replace("_", " ")
        prefix = f"{name}_{student[5]}"
        if variant == "flat":
            (root / f"{prefix}_assignsubmission_file_{SHEET}").write_bytes(notebook(student))
            continue
        folder = root / (f"{prefix}_assignsubmission_file" + ("_" if variant == "old" else ""))
        folder.mkdir()
        (folder / SHEET).write_bytes(notebook(student))
        if student is ANA:
            (folder / "notes.pdf").write_bytes(b"%PDF-1.4\n")
            text = root / (
                f"{prefix}_assignsubmission_onlinetext" + ("_" if variant == "old" else "")
            )
            text.mkdir()
            (text / "onlinetext.html").write_text("<p>See my notebook.</p>")
    return root


def moodle_worksheet(path: Path) -> Path:
    """Moodle's grading worksheet ("Download grading worksheet", ``gradingtable`` as CSV):
    ``Identifier`` is "Participant N"; the status says how late; times in the site's format."""
    header = (
        '"Identifier","Full name","Email address","Status","Grade","Maximum Grade",'
        '"Grade can be changed","Last modified (submission)","Online text",'
        '"Last modified (grade)","Feedback comments"'
    )
    rows = [
        (ANA, "Submitted for grading", "Monday, 4 March 2024, 9:15 PM"),
        (BRUNO, "Submitted for grading - 1 day 2 hours late", "Wednesday, 6 March 2024, 11:40 AM"),
        (WEI, "Submitted for grading", "Tuesday, 5 March 2024, 8:00 AM"),
        (DANA, "No submission", "-"),
    ]
    lines = [header] + [
        f'"Participant {s[5]}","{s[0]}","{s[2]}","{status}","","10.00","Yes","{when}","","-",""'
        for s, status, when in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def canvas(root: Path) -> Path:
    """Canvas's "Download Submissions" (``app/models/content_zipper.rb``): flat,
    ``[sortable name, 'LATE' if late, user id].compact.join('_')`` with every non-word
    character dropped and lower-cased, then ``_ATTACHMENTID_DISPLAYNAME``; a re-upload's
    display name gains ``-1``. Wei uploaded twice (the later one has the larger attachment
    id); Bruno was late; Ana also uploaded a PDF."""
    root.mkdir(parents=True)

    def name(student: tuple[str, ...], late: bool) -> str:
        first, last = student[0].rsplit(" ", 1)
        joined = "_".join([f"{last}, {first}", *(["LATE"] if late else []), student[4]])
        return "".join(c for c in joined if c.isalnum() or c == "_").lower()

    (root / f"{name(ANA, False)}_90001_{SHEET}").write_bytes(notebook(ANA))
    (root / f"{name(ANA, False)}_90002_report.pdf").write_bytes(b"%PDF-1.4\n")
    (root / f"{name(BRUNO, True)}_90003_{SHEET}").write_bytes(notebook(BRUNO))
    (root / f"{name(WEI, False)}_90004_{SHEET}").write_bytes(
        notebook(ANA)
    )  # a first try, re-uploaded
    (root / f"{name(WEI, False)}_90007_sheet1-1.ipynb").write_bytes(notebook(WEI))
    (root / f"{name(EVE, False)}_90005_{SHEET}").write_bytes(notebook(EVE))
    return root


def canvas_gradebook(path: Path) -> Path:
    """Canvas's gradebook export: ``Student, ID, SIS User ID, SIS Login ID, Section`` and the
    assignments, a ``Points Possible`` row under the header; ``ID`` is the Canvas user id."""
    lines = [
        "Student,ID,SIS User ID,SIS Login ID,Section,Sheet 1 (4711)",
        "    Points Possible,,,,,10.00",
    ]
    for s in CLASS:
        first, last = s[0].rsplit(" ", 1)
        lines.append(f'"{last}, {first}",{s[4]},{s[1]},{s[2]},Section A,')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GRADESCOPE_METADATA = """\
submission_2001:
  :submitters:
  - :name: Ana María López
    :sid: '20230001'
    :email: ana@uni.example
  :created_at: 2024-03-04 20:15:31.123456000 Z
  :score: 0.0
  :history:
  - :id: 1999
    :created_at: 2024-03-04 19:02:10.000000000 Z
    :score: 0.0
submission_2002:
  :submitters:
  - :name: Bruno O'Neil
    :sid: '20230002'
    :email: bruno@uni.example
  - :name: Wei Chen
    :sid: '20230003'
    :email: wei@uni.example
  :created_at: 2024-03-05 07:59:00.000000000 Z
  :score: 0.0
  :history: []
submission_2003:
  :submitters:
  - :name: Eve Stranger
    :sid: '20239999'
    :email: eve@elsewhere.example
  :created_at: 2024-03-05 10:00:00.000000000 Z
  :score: 0.0
  :history: []
"""


def gradescope(root: Path) -> Path:
    """Gradescope's "Export Submissions": ``assignment_ID_export/`` holding
    ``submission_metadata.yml`` (Ruby's YAML, ``:symbol`` keys; the shape otter-grader's
    ``GradescopeParser`` reads with ``yaml.safe_load``) and one ``submission_ID/`` folder per
    submission; Bruno and Wei handed in as a group."""
    export = root / "assignment_4711_export"
    export.mkdir(parents=True)
    (export / "submission_metadata.yml").write_text(GRADESCOPE_METADATA, encoding="utf-8")
    for folder, student in (
        ("submission_2001", ANA),
        ("submission_2002", BRUNO),
        ("submission_2003", EVE),
    ):
        (export / folder).mkdir()
        (export / folder / SHEET).write_bytes(notebook(student))
    return root


def classroom(root: Path) -> Path:
    """``gh classroom clone student-repos`` (``github/gh-classroom``, ``student-repos.go``):
    ``SLUG-submissions/`` then ``gh repo clone`` of each accepted assignment's repository into
    its name, ``SLUG-USERNAME``: one git working tree per student."""
    top = root / "sheet1-submissions"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for student, when in ((ANA, "2024-03-04T21:15:00+01:00"), (WEI, "2024-03-05T09:00:00+01:00")):
        repo = top / f"sheet1-{student[6]}"
        repo.mkdir(parents=True)
        (repo / SHEET).write_bytes(notebook(student))
        (repo / "README.md").write_text("# Sheet 1\n")
        dated = {**env, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        for args in (
            ["init", "-q"],
            ["add", "."],
            ["-c", "user.name=s", "-c", "user.email=s@x", "commit", "-qm", "done"],
        ):
            subprocess.run(["git", "-C", str(repo), *args], check=True, env=dated)
    return root


def classroom_roster(path: Path) -> Path:
    """GitHub Classroom's roster export: ``identifier,github_username,github_id,name``."""
    lines = ["identifier,github_username,github_id,name"] + [
        f'{s[1]},{s[6]},{900 + i},"{s[0]}"' for i, s in enumerate(CLASS)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def zipped(folder: Path, archive: Path) -> Path:
    """``folder``'s files in a zip as the LMS serves it (names relative to the folder)."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and ".git" not in path.parts:
                out.write(path, path.relative_to(folder).as_posix())
    return archive


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def late_sheet(folder: Path, late: str) -> Path:
    """The bundled sheet copied to ``folder`` with ``late`` (a ``[late]`` table) added to its
    spec: the frozen inputs stay valid, as the late rule changes none of them."""
    sheet = ROOT / "assignments" / "variational_inference"
    shutil.copytree(sheet, folder)
    spec = folder / "spec.toml"
    text = spec.read_text().replace('"../../reference/', f'"{ROOT}/reference/')
    spec.write_text(text + late)
    return folder


def gradescope_at(root: Path, times: dict[str, str]) -> Path:
    """Gradescope's export (above) with the submissions' ``created_at`` replaced: old -> new."""
    gradescope(root)
    metadata = root / "assignment_4711_export" / "submission_metadata.yml"
    text = metadata.read_text(encoding="utf-8")
    for before, after in times.items():
        assert before in text, before
        text = text.replace(before, after)
    metadata.write_text(text, encoding="utf-8")
    return root


def gradescope_grades(path: Path) -> Path:
    """Gradescope's grades CSV (the assignment's "Download Grades"): ``First Name, Last Name,
    SID, Email, Sections, Total Score, Max Points, Status, Submission ID, Submission Time,
    Lateness (H:M:S), View Count, Submission Count`` and a column per question; times with
    their offset, lateness as hours:minutes:seconds after the due time, ``Missing`` rows blank.
    The class of ``gradescope``: Ana on time; Bruno and Wei's group submission 9 hours late
    (due 2024-03-04 23:59 in Berlin, handed in 07:59 UTC); Dana handed nothing in."""
    header = (
        "First Name,Last Name,SID,Email,Sections,Total Score,Max Points,Status,Submission ID,"
        "Submission Time,Lateness (H:M:S),View Count,Submission Count,1: Exercise 1 (10.0 pts)"
    )
    rows = [
        (ANA, "Graded", "2001", "2024-03-04 21:15:31 +0100", "00:00:00"),
        (BRUNO, "Graded", "2002", "2024-03-05 08:59:00 +0100", "09:00:00"),
        (WEI, "Graded", "2002", "2024-03-05 08:59:00 +0100", "09:00:00"),
        (DANA, "Missing", "", "", ""),
    ]
    lines = [header]
    for s, status, sub, when, late in rows:
        first, last = s[0].rsplit(" ", 1)
        score = "" if status == "Missing" else "0.0"
        lines.append(
            f"{first},{last},{s[1]},{s[2]},,{score},10.0,{status},{sub},{when},{late},0,1,{score}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


#: A group assignment in Moodle: (group name as Moodle shows it, group id, members). Team
#: Rocket's group id is Wei's participant id, 5503, on purpose: a group's number is no
#: participant's. Wei is in no group: Moodle's "Default group", a prefix without an id.
GROUPS = (("Team Rocket", "5503", (ANA, BRUNO)), ("Default group", "", (WEI,)))


def moodle_groups(root: Path) -> Path:
    """Moodle's "Download all submissions" of a group assignment (``downloader.php``,
    ``get_student_prefix`` with ``teamsubmission``): the prefix is ``clean_filename(group name
    with "_" as " " + "_" + group id)``, or the "Default group" string alone for students in
    no group; one folder per group, written once (the first member's), whoever uploaded."""
    root.mkdir(parents=True)
    for group, gid, members in GROUPS:
        prefix = group.replace("_", " ") + (f"_{gid}" if gid else "")
        folder = root / f"{prefix}_assignsubmission_file"
        folder.mkdir()
        (folder / SHEET).write_bytes(notebook(members[-1]))
    return root


def moodle_group_worksheet(path: Path, encoding: str = "utf-8") -> Path:
    """Moodle's grading worksheet of a group assignment: a ``Group`` column after ``Status``
    (``gradingtable``'s ``team`` column, "Group" in English; "Default group" for students in
    none); every member has the group's status and time. ``encoding`` as a spreadsheet saved
    it again: ``cp1252`` (Excel's CSV), ``utf-8-sig``, or ``utf-16`` (Excel's Unicode text:
    tabs between cells)."""
    columns = [
        "Identifier", "Full name", "Email address", "Status", "Group", "Grade", "Maximum Grade",
        "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
        "Feedback comments",
    ]  # fmt: skip
    rows = [
        (ANA, "Team Rocket", "Submitted for grading", "Monday, 4 March 2024, 9:15 PM"),
        (BRUNO, "Team Rocket", "Submitted for grading", "Monday, 4 March 2024, 9:15 PM"),
        (WEI, "Default group", "Submitted for grading", "Tuesday, 5 March 2024, 8:00 AM"),
        (DANA, "Team Blue", "No submission", "-"),
    ]
    table = [columns] + [
        [f"Participant {s[5]}", s[0], s[2], status, group, "", "10.00", "Yes", when, "-", ""]
        for s, group, status, when in rows
    ]
    if encoding == "utf-16":
        text = "\r\n".join("\t".join(row) for row in table) + "\r\n"
    else:
        text = "\r\n".join(",".join(f'"{c}"' for c in row) for row in table) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def course_folder(where: Path) -> Path:
    """An instructor's course folder as the how-to (docs/how-to/lms-downloads.md) starts from:
    their sheet (``assignments/variational_inference/`` and its oracles in ``reference/``),
    Moodle's zip ``Sheet 1-42.zip``, a plain ``roster.csv`` and Moodle's ``worksheet.csv``."""
    shutil.copytree(ROOT / "assignments" / "variational_inference",
                    where / "assignments" / "variational_inference")  # fmt: skip
    (where / "reference").mkdir(exist_ok=True)
    shutil.copy(ROOT / "reference" / "variational_inference.py", where / "reference")
    moodle(where / "download")
    zipped(where / "download", where / "Sheet 1-42.zip")
    shutil.rmtree(where / "download")
    plain_roster(where / "roster.csv")
    moodle_worksheet(where / "worksheet.csv")
    return where


def handins_folder(where: Path) -> Path:
    """A plain folder of hand-ins and a roster naming each by file (docs/how-to/lms-exports.md):
    Zoe is on the roster with nothing handed in."""
    (where / "handins").mkdir(parents=True)
    for name in ("alice_numpy", "erin_variance_bug"):
        shutil.copy(EXAMPLES / f"{name}.ipynb", where / "handins")
    (where / "roster.csv").write_text(
        "submission,student_id,name,email\n"
        "alice_numpy,20230001,Alice Numpy,alice@uni.example\n"
        "erin_variance_bug.ipynb,20230002,Erin Variance,erin@uni.example\n"
        "zoe_absent,20230009,Zoe Absent,zoe@uni.example\n",
        encoding="utf-8",
    )
    return where


if __name__ == "__main__":  # the how-to pages' hidden set-up: python lms_fixtures.py KIND DIR
    import sys

    {"course": course_folder, "handins": handins_folder}[sys.argv[1]](Path(sys.argv[2]))
