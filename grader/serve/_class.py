"""The class being marked: its questions, its submissions in each teaching assistant's order,
each answer, and every change a person makes (marks, rubric edits, overrides), each through the
store's one path for it (a version, an audit row).

Loaded once when the app starts, from the store and the spec's questions alone (the oracles are
not imported: the first page must come quickly); each request opens the store afresh, so two
app workers, ``grader report`` and the CSV import see one truth.
"""

from __future__ import annotations

import json
import random
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from grader.assignment._spec import SPEC_FILE, ManualQuestion, Question, _question, read_spec
from grader.errors import GraderError, OutputError
from grader.results._folder import OutputFolder
from grader.results._hand_store import MarkState, RubricItem
from grader.results._model import ANSWER_KEY
from grader.results._store import Store
from grader.serve._answer_cells import ExtraCell, extra_cells, sheet_cells

#: How a rubric's items make the score: added up from 0, or taken off the maximum.
ADDITIVE, SUBTRACTIVE = "additive", "subtractive"


class MarkingError(GraderError):
    """What a teaching assistant entered cannot be saved (the page says why)."""


@dataclass(frozen=True)
class Rescored:
    """One student whose mark a rubric edit changed."""

    submission: str
    before: float
    after: float


def rubric_score(
    items: list[RubricItem], applied: tuple[str, ...], maximum: float, scoring: str
) -> float:
    """The points the applied items give, kept within 0..maximum."""
    total = sum(i.points for i in items if i.item in applied)
    score = maximum - total if scoring == SUBTRACTIVE else total
    return round(min(max(score, 0.0), maximum), 6)


class MarkedClass:
    """OUT as the app sees it; every method opens the store, does one thing, and closes it."""

    def __init__(self, out: Path) -> None:
        self.folder = OutputFolder(out)
        store = self.folder.existing_store()
        try:
            info = store.info()
            if "assignment_folder" not in info:
                raise OutputError(f"{store.path} holds no graded class to mark: grade first")
            self.names: list[str] = json.loads(info["submissions"])
            self.hashes = store.done()
        finally:
            store.close()
        assignment = Path(info["assignment_folder"])
        self.manual, self.automatic = _questions(assignment)
        self.sheet = sheet_cells(assignment, set(self.manual))
        self._seed_rubrics()

    def _seed_rubrics(self) -> None:
        with closing(self.open()) as store:
            for question in self.manual.values():
                items = [
                    RubricItem(f"r{n}", float(points), description)
                    for n, (points, description) in enumerate(_spec_rubric(question), start=1)
                ]
                store.seed_rubric(question.id, items)

    def open(self) -> Store:
        return self.folder.existing_store()

    def scoring(self, qid: str) -> str:
        return str(getattr(self.manual[qid], "scoring", ADDITIVE))

    def order(self, ta: str, qid: str, anonymous: bool) -> list[str]:
        """The students in the order ``ta`` marks ``qid``: the class's, or shuffled for them."""
        if not anonymous:
            return self.names
        shuffled = list(self.names)
        random.Random(f"{ta}\n{qid}").shuffle(shuffled)
        return shuffled

    def answer(self, store: Store, name: str, qid: str) -> str | None:
        """What ``name`` wrote for ``qid``; None if their notebook has no answer cell for it."""
        for result, _ in store.results([name]):
            return result.extra.get(ANSWER_KEY + qid)
        return None

    def extra(self, name: str, qid: str) -> list[ExtraCell] | None:
        """The cells that go with ``name``'s answer to ``qid``, with their outputs, from the
        notebook as graded; None where OUT keeps no executed notebook for them."""
        return extra_cells(self.sheet, self.folder.executed(name), qid)

    def save(
        self, store: Store, who: str, key: tuple[str, str], form: MarkForm, version: int
    ) -> MarkState:
        """Save a teaching assistant's mark: the applied items' score, else the points typed."""
        name, qid = key
        question = self.manual[qid]
        rubric = store.rubric(qid)
        known = {i.item for i in rubric}
        gone = [i for i in form.items if i not in known]
        if gone:  # deleted since the page was opened: never a score other than the one shown
            raise MarkingError(
                f"rubric item(s) {', '.join(gone)} of {qid} were deleted since this page was "
                "opened: nothing was saved; check the mark against the rubric as it is now"
            )
        items = tuple(form.items)
        if items:
            points: float | None = rubric_score(rubric, items, question.points, self.scoring(qid))
        elif form.points.strip():
            points = _points(form.points, question.points)
        else:
            raise MarkingError("give points or apply a rubric item")
        comment = form.comment.strip()
        state = MarkState(name, qid, points, comment, items, 0, who, "")
        saved = store.save_mark(state, self.hashes.get(name, ""), who, "marked in the app", version)
        if comment and comment not in store.saved_comments(qid):  # a write only when new
            store.keep_comment(qid, comment)
        return saved

    def edit_item(self, store: Store, who: str, qid: str, item: RubricItem) -> list[Rescored]:
        """Change (or add) a rubric item, and re-score every student who has it."""
        store.put_rubric_item(qid, item, who, "rubric edited in the app")
        rubric, question = store.rubric(qid), self.manual[qid]
        changed = []
        for state in store.marks_with_item(qid, item.item):
            points = rubric_score(rubric, state.items, question.points, self.scoring(qid))
            if points == state.points:
                continue
            new = MarkState(state.submission, qid, points, state.comment, state.items, 0, who, "")
            why = f"rubric item {item.item} now {item.points:g} points"
            store.save_mark(new, _given_on(store, state), who, why, None)
            changed.append(Rescored(state.submission, state.points or 0.0, points))
        return changed

    def delete_item(self, store: Store, who: str, qid: str, item: str) -> list[Rescored]:
        """Take an item out of the rubric, and re-score every student who had it applied (each
        a new version of their mark, without the item)."""
        gone = next((i for i in store.rubric(qid) if i.item == item), None)
        if gone is None:
            raise MarkingError(f"{qid}'s rubric has no item {item!r} (deleted meanwhile?)")
        holders = store.marks_with_item(qid, item)
        store.delete_rubric_item(qid, gone, who, "rubric item deleted in the app")
        rubric, question = store.rubric(qid), self.manual[qid]
        changed = []
        for state in holders:
            items = tuple(i for i in state.items if i != item)
            points = rubric_score(rubric, items, question.points, self.scoring(qid))
            new = MarkState(state.submission, qid, points, state.comment, items, 0, who, "")
            why = f"rubric item {item} ({gone.description}) deleted"
            store.save_mark(new, _given_on(store, state), who, why, None)
            changed.append(Rescored(state.submission, state.points or 0.0, points))
        return changed

    def override(
        self, store: Store, who: str, key: tuple[str, str], points: str, reason: str
    ) -> None:
        """Override an automatic question's points with a reason (empty points: take it away)."""
        name, qid = key
        if qid not in self.automatic:
            raise MarkingError(f"{qid} is not a question graded automatically")
        if name not in self.hashes:
            raise MarkingError(f"no graded submission is named {name!r}")
        if not reason.strip():
            raise MarkingError("an override needs a reason (it is shown in the student's letter)")
        graded = 0.0
        for result, _ in store.results([name]):
            graded = next((q.points for q in result.questions if q.question == qid), 0.0)
        value = _points(points, self.automatic[qid].points) if points.strip() else None
        store.put_override(key, value, reason.strip(), who, graded)


def _given_on(store: Store, state: MarkState) -> str:
    """The notebook a mark was given on: a re-scored mark stays with it (a mark given on a
    notebook since changed stays flagged, not counted)."""
    return store.marked_notebook(state.submission, state.question) or ""


@dataclass(frozen=True)
class MarkForm:
    """What the marking form posted."""

    items: tuple[str, ...]
    points: str
    comment: str


def _points(text: str, maximum: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise MarkingError(f"points {text!r} is not a number") from None
    if not 0 <= value <= maximum:
        raise MarkingError(f"points {value:g} is outside 0..{maximum:g}")
    return value


def _questions(folder: Path) -> tuple[dict[str, ManualQuestion], dict[str, Question]]:
    """The spec's questions, read without importing its oracles (that takes seconds)."""
    spec = folder / SPEC_FILE
    every = [_question(spec, raw) for raw in read_spec(folder).get("questions", [])]
    manual = {q.id: q for q in every if isinstance(q, ManualQuestion)}
    automatic = {q.id: q for q in every if isinstance(q, Question)}
    return manual, automatic


def _spec_rubric(question: ManualQuestion) -> list[tuple[float, str]]:
    return [(i.points, i.description) for i in getattr(question, "rubric", ())]
