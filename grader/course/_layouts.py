"""Which LMS made a download, and what its layout says about each notebook in it.

Each layout is copied from its vendor's own code (the fixtures in ``tests/files/lms`` and
``tests/test_lms_layouts.py`` copy them too):

- Moodle, "Download all submissions" (``mod/assign/classes/downloader.php``, Moodle 4.1+):
  a prefix ``clean_filename(fullname with "_" as " " + "_" + participant id)``, then in folders
  ``PREFIX_assignsubmission_file/ORIGINAL``; before 4.1 (``locallib.php``)
  ``PREFIX_assignsubmission_file_/ORIGINAL``; flat (the "download as folders" preference off)
  ``PREFIX_assignsubmission_file_ORIGINAL``. The id is the participant id of this assignment
  (``get_uniqueid_for_user``), not the user id; no time and no lateness in the zip. In a group
  assignment (``teamsubmission``) the prefix is ``clean_filename(group name with "_" as " " +
  "_" + group id)``, or the "Default group" string alone for students in no group, and one
  submission stands for every member: only a roster with the groups (the worksheet's
  ``Group``) says whose it is, so the layout keeps both readings and ``_intake`` picks.
- Canvas, "Download Submissions" (``app/models/content_zipper.rb``): flat
  ``get_filename(users_name, submission) + "_" + attachment id + "_" + display name`` where
  ``get_filename`` joins the sortable name, ``LATE`` for late work and the user id with ``_``,
  then drops every non-word character and lower-cases; a re-uploaded file's display name ends
  ``-1``, ``-2``. No time; the attachment id orders one student's files.
- Gradescope, "Export Submissions": ``assignment_ID_export/submission_metadata.yml`` and one
  ``submission_ID/`` folder per submission (see ``_gradescope``).
- GitHub Classroom, ``gh classroom clone student-repos`` (``github/gh-classroom``,
  ``cmd/gh-classroom/clone/student-repos``): ``SLUG-submissions/REPO/``, REPO being
  ``SLUG-USERNAME``, each a git clone; the time is the last commit's (forgeable).
- Plain: ``NAME.ipynb`` files at the top, as the grader always read them.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.course import _gradescope
from grader.course._archive import Download, Item

SUFFIX = ".ipynb"
PLAIN = "plain folder of notebooks"
#: Moodle's prefix, then the plugin: folder (4.1+, or before with ``_``) or flat.
#: A group assignment's prefix is the group's name and id, or Moodle's "Default group" alone.
_MOODLE = re.compile(
    r"^(?P<name>.+?)(?:_(?P<pid>\d+))?_assignsubmission_(?P<plugin>[a-z]+)(?P<rest>(?:_|/).*)?$"
)
#: Canvas's flat names: ``[name_][late_]USERID_ATTACHMENTID_ORIGINAL``.
_CANVAS = re.compile(r"^(?:(?P<head>.*?)_)?(?P<uid>\d+)_(?P<aid>\d+)_(?P<orig>.+)$", re.S)
_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class Handed:
    """One notebook as the layout hands it in: who (as the layout says) and when."""

    item: Item
    #: The layout's own id of the student (participant id, Canvas user id, sid, username, stem).
    layout_id: str
    #: The student's name as the layout writes it ("" where it gives none).
    name: str
    #: Ids a roster column may hold: ``moodle_participant``, ``canvas_user_id``, ``sid``,
    #: ``email``, ``github_username``.
    ids: dict[str, str] = field(default_factory=dict)
    #: ISO 8601 time of the submission, and where it came from ("" where unknown).
    submitted_at: str = ""
    time_source: str = ""
    #: The LMS's own word that it was late (Canvas's ``LATE``, Moodle's status), else "", and
    #: the LMS that said it ("": the layout's).
    late: str = ""
    late_source: str = ""
    #: Orders one student's notebooks when there is no time (Canvas's attachment id).
    sequence: int = 0
    #: Times of earlier attempts the LMS lists but did not export (Gradescope's history).
    history: tuple[str, ...] = ()


@dataclass
class Layout:
    """What the download is, said to the instructor, and its notebooks."""

    name: str
    handed: list[Handed]
    #: Files of the layout that are not notebooks, or not a student's (ignored, with why).
    ignored: list[tuple[str, str]] = field(default_factory=list)


def detect(download: Download) -> Layout:
    """The layout of ``download``, tried from the most specific; the plain folder last."""
    items = [i for i in download.items if i.path.name not in _JUNK]
    base = _wrapper(items)
    inner = [_strip(i, base) for i in items] if base else items
    for reader in _READERS:
        layout = reader(download, inner, base)
        if layout is not None:
            return layout
    return _plain(inner)


def _wrapper(items: list[Item]) -> PurePosixPath | None:
    """The one folder everything is in (a zip of ``assignment_1_export/``), or None."""
    tops = {i.path.parts[0] for i in items if len(i.path.parts) > 1}
    loose = [i for i in items if len(i.path.parts) == 1]
    if len(tops) == 1 and not loose:
        return PurePosixPath(tops.pop())
    return None


def _strip(item: Item, base: PurePosixPath) -> Item:
    return Item(item.path.relative_to(base), item.size, item.handle)


def _notebook(item: Item) -> bool:
    return item.path.name.endswith(SUFFIX) and not item.path.name.startswith("._")


def _moodle(download: Download, items: list[Item], base: object) -> Layout | None:
    matches = [
        (i, _MOODLE.match(i.path.parts[0] if len(i.path.parts) > 1 else i.path.name)) for i in items
    ]
    if not items or not all(m for _, m in matches):
        return None
    handed, ignored, variants = [], [], set()
    for item, match in matches:
        assert match is not None
        rest, plugin = match["rest"] or "", match["plugin"]
        nested = len(item.path.parts) > 1
        variants.add(
            "in folders, Moodle 4.1+"
            if nested and not rest.startswith("_")
            else "in folders, before Moodle 4.1"
            if nested
            else "flat"
        )
        if plugin != "file" or not _notebook(item):
            ignored.append((str(item.path), f"not a notebook ({plugin} submission)"))
            continue
        pid, name = match["pid"] or "", match["name"]
        # The prefix is a student's (name, participant id) or, in a group assignment, a
        # group's (name, group id; "Default group" has none): the roster tells which.
        handed.append(Handed(item, pid or name, name, {"moodle_participant": pid} if pid else {}))
    return Layout(f"Moodle ({', '.join(sorted(variants))})", handed, ignored)


def _canvas(download: Download, items: list[Item], base: object) -> Layout | None:
    flat = [i for i in items if len(i.path.parts) == 1]
    if not flat or len(flat) != len(items):
        return None
    matches = [(i, _CANVAS.match(i.path.name)) for i in flat]
    if not all(m for _, m in matches):
        return None
    handed, ignored = [], []
    for item, match in matches:
        assert match is not None
        if not _notebook(item):
            ignored.append((str(item.path), "not a notebook"))
            continue
        head = match["head"] or ""
        late = ""
        if head.casefold() == "late" or head.casefold().endswith("_late"):
            head, late = head[: -len("late")].rstrip("_"), "LATE"
        uid = match["uid"]
        ids = {"canvas_user_id": uid}
        handed.append(Handed(item, uid, head, ids, late=late, sequence=int(match["aid"])))
    return Layout("Canvas (Download Submissions)", handed, ignored)


def _gradescope_layout(download: Download, items: list[Item], base: object) -> Layout | None:
    metadata = [i for i in items if str(i.path) == _gradescope.METADATA]
    if not metadata:
        return None
    records = _gradescope.read_metadata(download, metadata[0])
    grades, ignored = _gradescope.grades_csv(download, items)
    handed = []
    for item in items:
        if item is metadata[0] or any(item is g for g, _ in ignored):
            continue
        folder = item.path.parts[0] if len(item.path.parts) > 1 else ""
        record = records.get(folder)
        if record is None or not _notebook(item):
            why = "not a notebook" if record is not None else "in no submission of the metadata"
            ignored.append((str(item.path), why))
            continue
        for submitter in record.submitters:
            layout_id = submitter.sid or submitter.email or submitter.name or folder
            ids = {k: v for k, v in (("sid", submitter.sid), ("email", submitter.email)) if v}
            time = record.created_at
            source = "Gradescope submission_metadata.yml" if time else ""
            row = grades.get(submitter.sid) or grades.get(submitter.email.casefold())
            if row is not None and not time and row.submitted_at:
                time, source = row.submitted_at, row.time_source
            late = row.late if row is not None else ""
            handed.append(
                Handed(item, layout_id, submitter.name, ids, time, source, late,
                       history=record.history)
            )  # fmt: skip
    said = [(str(g.path), why) for g, why in ignored]
    return Layout("Gradescope (Export Submissions)", handed, said)


def _classroom(download: Download, items: list[Item], base: object) -> Layout | None:
    """A ``SLUG-submissions`` folder of clones (the folder itself, or a folder holding it)."""
    root = Path(download.origin)
    name = str(base) if base else root.name
    if not name.endswith("-submissions") or any(
        len(i.path.parts) == 1 and _notebook(i) for i in items
    ):
        return None  # a folder of notebooks that happens to be called so is a plain one
    top = root / base if isinstance(base, PurePosixPath) else root
    folder = download.kind == "folder"  # a zip holds no git data to ask
    slug = name.removesuffix("-submissions")
    handed, ignored = [], []
    times: dict[str, tuple[str, str]] = {}
    for item in items:
        if len(item.path.parts) < 2 or not _notebook(item):
            ignored.append((str(item.path), "not a notebook in a student's repository"))
            continue
        repo = item.path.parts[0]
        user = repo.removeprefix(f"{slug}-") if repo != slug else repo
        if repo not in times:
            times[repo] = _commit_time(top / repo) if folder else ("", "")
        when, source = times[repo]
        handed.append(Handed(item, user, "", {"github_username": user}, when, source))
    return Layout("GitHub Classroom (gh classroom clone student-repos)", handed, ignored)


def _commit_time(repo: Path) -> tuple[str, str]:
    """The last commit's time in a clone, read by git with no configuration but git's own
    (a student's repository chooses nothing that runs); ("", "") where git cannot say."""
    if not (repo / ".git").exists():
        return "", ""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "HOME": os.devnull,
    }
    try:
        run = subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%cI", "HEAD"],
            capture_output=True,
            text=True,
            timeout=20,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "", ""
    when = run.stdout.strip()
    return (when, "git commit time (set by whoever committed; can be forged)") if when else ("", "")


def _plain(items: list[Item]) -> Layout:
    handed, ignored = [], []
    for item in items:
        if len(item.path.parts) == 1 and _notebook(item):
            stem = item.path.name[: -len(SUFFIX)]
            handed.append(Handed(item, stem, stem))
        else:
            ignored.append((str(item.path), "not a notebook at the top of the folder"))
    return Layout(PLAIN, handed, ignored)


_READERS: tuple[Callable[[Download, list[Item], PurePosixPath | None], Layout | None], ...] = (
    _gradescope_layout,
    _classroom,
    _moodle,
    _canvas,
)
