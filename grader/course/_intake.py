"""From a download and a roster to one notebook per student, keyed by the student.

Every notebook the layout hands in is matched to a roster student by the first rule that finds
anyone: a Moodle group's notebook to each member the roster's ``group`` names (a group
assignment: the number in the download's name is then the group's id, never a participant's),
the layout's id against ``student_id`` (a Moodle participant id never: it is a number of
this assignment only, and could equal someone's student number), the roster's ``submission``
column, the LMS's own id columns (Canvas user id, Moodle participant id, GitHub username),
the e-mail address, then the name (case, accents, order and punctuation ignored). A rule that
finds two students refuses the run, naming them: a guess would give one student another's
marks. The key is the student's ``student_id``; without a roster (or for a notebook nobody
matches) it is a name the layout keeps stable. Of two notebooks of one student the latest
counts (by time, else by the LMS's order of uploads, else the file name most of the class used)
and the other is listed as superseded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.course._layouts import SUFFIX, Handed, Layout
from grader.course._names import near_names, same_name
from grader.course._roster import ClassRoster, Student
from grader.errors import RosterError
from grader.results._model import Event

#: The LMS id columns a roster may hold, tried after student_id.
LMS_IDS = ("canvas_user_id", "moodle_participant", "github_username")
#: Longest key, in characters (it names files under OUT, with a suffix).
_KEY_MAX = 150


@dataclass(frozen=True)
class Keyed:
    """A notebook with its key, its student (None: nobody on the roster) and how it matched."""

    key: str
    handed: Handed
    student: Student | None = None
    rule: str = ""
    near: tuple[str, ...] = ()

    def data(self, layout: str) -> dict[str, str]:
        """What the layout and roster say of it, kept with its result (``extra``, as
        ``course.KEY``)."""
        handed, student = self.handed, self.student
        submitted_at, source, late = handed.submitted_at, handed.time_source, handed.late
        late_source = handed.late_source
        if student is not None and not submitted_at and student.submitted_at:
            submitted_at, source = student.submitted_at, student.time_source
        if student is not None and not late and student.late:
            late, late_source = student.late, student.late_source
        data = {
            "student_id": student.student_id if student else "",
            "layout": layout,
            "source": str(handed.item.path),
            "matched_by": self.rule,
            "submitted_at": submitted_at,
            "submitted_at_source": source,
            "lms_late": late,
            "lms_late_source": late_source if late else "",
            "earlier_attempts": ", ".join(handed.history),
        }
        return {k: v for k, v in data.items() if v}

    def events(self) -> tuple[Event, ...]:
        if self.rule or self.student is not None:
            return ()
        return (Event("not_on_roster", {"near": list(self.near), "name": self.handed.name}),)


@dataclass
class Intake:
    """The download resolved: what is graded, what is set aside, who handed nothing in."""

    layout: Layout
    roster: ClassRoster | None
    graded: list[Keyed]
    superseded: list[Keyed] = field(default_factory=list)
    absent: list[Student] = field(default_factory=list)


def resolve(layout: Layout, roster: ClassRoster | None, roster_path: Path = Path()) -> Intake:
    """Match, key and pick the latest notebook of each student (see the module's docstring)."""
    students = list(roster.students) if roster else []
    moodle = layout.name.startswith("Moodle")
    handed_in = _members(layout.handed, students) if moodle else layout.handed
    matched = [_match(h, students, roster_path) for h in handed_in]
    groups: dict[tuple[str, str], list[tuple[Handed, Student | None, str]]] = {}
    for handed, (student, rule) in zip(handed_in, matched):
        who = ("roster", student.student_id) if student else ("layout", handed.layout_id)
        groups.setdefault(who, []).append((handed, student, rule))
    graded, superseded = [], []
    common = Counter(h.item.path.name for h in handed_in)
    keys = _keys(groups, {s.student_id for s in students})
    names = [s.name for s in students if s.name]
    for who, group in groups.items():
        group.sort(key=lambda g: _recency(g[0], common))
        for number, (handed, student, rule) in enumerate(reversed(group)):
            near = () if student or not roster else tuple(near_names(handed.name, names))
            keyed = Keyed(keys[who], handed, student, rule, near)
            (graded if number == 0 else superseded).append(keyed)
    graded.sort(key=lambda k: k.key)
    keyed_ids = {k.student.student_id for k in graded if k.student}
    absent = [s for s in students if s.student_id not in keyed_ids]
    return Intake(layout, roster, graded, superseded, absent)


def _members(handed: list[Handed], students: list[Student]) -> list[Handed]:
    """A group's submission once per member, where the roster has the groups (Moodle's
    worksheet of a group assignment): each copy names its member (``group_member``) and its
    group, and the number in the download's name (the group's id) is no participant id. A
    notebook whose prefix names no group on the roster is kept as the layout gave it."""
    if not any(s.group for s in students):
        return handed
    out = []
    for one in handed:
        group = one.name
        members = [s for s in students if group and s.group and same_name(group, s.group)]
        if not members:  # its number is a group's id: never matched as a participant's
            out.append(replace(one, ids={}))
            continue
        for member in members:
            ids = {"group_member": member.student_id, "moodle_group": group}
            out.append(replace(one, layout_id=member.student_id, name=member.name, ids=ids))
    return out


def _recency(handed: Handed, common: Counter[str]) -> tuple[str, int, int, str]:
    """Orders one student's notebooks, the one that counts last: by time, else by the LMS's
    upload order, else the file name most of the class handed in (``sheet1.ipynb`` over a
    ``scratch.ipynb`` beside it), else the path."""
    name = handed.item.path.name
    return handed.submitted_at, handed.sequence, common[name], str(handed.item.path)


def _rules(handed: Handed) -> list[tuple[str, Callable[[Student], bool]]]:
    ids = handed.ids
    own = {handed.layout_id} - {ids.get("moodle_participant", "")}
    own |= {ids[k] for k in ("sid", "github_username") if ids.get(k)}
    stem = handed.item.path.name.removesuffix(SUFFIX)
    email = ids.get("email", "").casefold()
    member = ids.get("group_member", "")
    rules: list[tuple[str, Callable[[Student], bool]]] = [
        ("moodle_group", lambda s: bool(member) and s.student_id == member),
        ("student_id", lambda s: s.student_id in own),
        ("submission", lambda s: bool(s.submission) and s.submission in {handed.layout_id, stem}),
    ]
    for column in LMS_IDS:
        value = ids.get(column, "")
        rules.append((column, lambda s, c=column, v=value: bool(v) and s.ids.get(c) == v))
    rules.append(("email", lambda s: bool(email) and s.email.casefold() == email))
    rules.append(("name", lambda s: same_name(handed.name, s.name)))
    return rules


def _match(
    handed: Handed, students: list[Student], roster_path: Path
) -> tuple[Student | None, str]:
    for rule, fits in _rules(handed):
        found = [s for s in students if fits(s)]
        if len(found) == 1:
            return found[0], rule
        if len(found) > 1:
            named = "; ".join(f"{s.name or '?'} ({s.student_id})" for s in found)
            raise RosterError(
                roster_path,
                f"{handed.item.path} ({handed.name or handed.layout_id}) matches several "
                f"students by {rule}: {named}; add a column that tells them apart "
                f"(student_id, submission or {', '.join(LMS_IDS)})",
            )
    return None, ""


def _keys(groups: dict[tuple[str, str], list], taken: set[str]) -> dict[tuple[str, str], str]:
    """Each student's key: the roster's student_id, else what the layout keeps stable for them
    (Gradescope's sid, else the name, else the layout's id), the id added where two share it or
    it is someone's student_id."""
    keys: dict[tuple[str, str], str] = {}
    wanted: dict[str, list[tuple[str, str]]] = {}
    for who, group in groups.items():
        if who[0] == "roster":
            keys[who] = key_text(who[1])
        else:
            handed = group[0][0]
            stable = handed.ids.get("sid") or handed.name or handed.layout_id
            wanted.setdefault(key_text(stable), []).append(who)
    for name, whos in wanted.items():
        for who in whos:
            clash = len(whos) > 1 or name in taken or not name
            keys[who] = key_text(f"{name}_{who[1]}" if clash else name)
    return keys


def key_text(text: str) -> str:
    """``text`` as a key: one file name under OUT, printable, no separator, not hidden."""
    clean = "".join("_" if c in "/\\\0" or not c.isprintable() else c for c in text).strip()
    if clean.startswith("."):
        clean = "_" + clean[1:]
    return clean[:_KEY_MAX] or "_"
