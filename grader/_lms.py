"""``grader grade`` of an LMS download: from the zip or folder to the batch's keyed files.

The CLI asks :func:`prepare` first; None means "grade as always" (notebook files, or a plain
folder without a roster or with one keyed by ``submission``), so a folder of ``NAME.ipynb``
grades exactly as it always did. Otherwise the download is read (``grader.course``), matched to
the roster, staged as ``KEY.ipynb`` files in a private temporary folder, and graded from there;
``intake.csv`` says afterwards what became of every file and every student.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.course import _stage
from grader.course._archive import Download, open_download
from grader.course._intake import Intake, resolve
from grader.course._layouts import PLAIN, detect
from grader.course._roster import load_class_roster
from grader.errors import SubmissionsError
from grader.grading._batch import Course
from grader.results._folder import OutputFolder


@dataclass
class Prepared:
    """A download ready for the batch: its files (staged), its roster and what it adds."""

    download: Download
    intake: Intake
    files: list[Path]
    roster: dict[str, dict[str, str]] | None
    course: Course
    staging: Path

    def lines(self) -> list[str]:
        return _stage.summary(self.intake, self.download)

    def finish(self, out: Path) -> Path:
        """Write ``OUT/intake.csv`` and remove the staged copies; the CSV's path."""
        folder = OutputFolder(out)
        _stage.write_intake(folder, self.intake, self.download)
        self.cleanup()
        return folder.intake_csv

    def cleanup(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def prepare(submissions: tuple[Path, ...], roster: Path | None) -> Prepared | None:
    """The download in ``submissions`` resolved and staged, or None to grade as always."""
    if len(submissions) != 1 or not _is_download(submissions[0]):
        return None
    download = open_download(submissions[0])
    layout = detect(download)
    plain_folder = layout.name == PLAIN and download.kind == "folder"
    if plain_folder and (roster is None or _keyed_by_submission(roster)):
        return None
    class_roster = load_class_roster(roster) if roster is not None else None
    intake = resolve(layout, class_roster, roster or Path())
    if not intake.graded:
        raise SubmissionsError(
            f"{submissions[0]} is a {layout.name} download with no notebook in it "
            f"({len(layout.ignored)} other file(s) ignored, {len(download.refused)} refused)"
        )
    staging = Path(tempfile.mkdtemp(prefix="grader-intake-"))
    try:
        files = _stage.stage(download, intake, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    course = Course(_stage.absent_keys(intake), _stage.annotations(intake))
    return Prepared(download, intake, files, _stage.export_roster(intake), course, staging)


def _is_download(path: Path) -> bool:
    if path.name.endswith(".ipynb"):
        return False  # a notebook is never taken for a folder or an archive
    return path.is_dir() or (path.is_file() and zipfile.is_zipfile(path))


def _keyed_by_submission(roster: Path) -> bool:
    """Whether a roster is the grader's first kind (``submission, student_id, ...``): with a
    plain folder it joins file names to students as it always did."""
    try:
        with open(roster, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError):
        return True  # the roster's own loader says what is wrong with it
    names = {h.strip().lower() for h in header}
    return {"submission", "student_id"} <= names
