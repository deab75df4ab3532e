"""The answer-groups page of a question: each group's answer once, its members ticked, one mark
applied to every ticked member (untick one to split it off and mark it alone).

The groups are computed once per question while the app runs, in the background from the start
(every answer read from the store): answers change only with a new ``grader grade``, after
which the app is started again.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from grader.results._hand_store import MarkConflict
from grader.results._manual_questions import ANSWER_KEY
from grader.serve._class import MarkForm, MarkingError
from grader.serve._groups import answer_groups
from grader.serve._render import render_answer

if TYPE_CHECKING:
    from grader.serve._app import App, Visitor


class GroupPages:
    """``/groups/{qid}``: GET shows the groups, POST marks the ticked members of one."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._groups: dict[str, list[list[str]]] = {}
        self._lock = threading.Lock()
        # Grouping a class of 1,000 takes up to a second: done once, before anyone asks, but
        # after the first pages (which it would slow, sharing the interpreter's lock).
        warm = threading.Timer(3.0, self._warm)
        warm.daemon = True
        warm.start()

    def _warm(self) -> None:
        for qid in self.app.marked.manual:
            self.groups(qid)

    def groups(self, qid: str) -> list[list[str]]:
        with self._lock:
            return self._grouped(qid)

    def _grouped(self, qid: str) -> list[list[str]]:
        if qid not in self._groups:
            with self.app.store() as store:
                answers = {
                    result.submission: result.extra.get(ANSWER_KEY + qid, "")
                    for result, _ in store.results(self.app.marked.names)
                }
            self._groups[qid] = answer_groups(answers)
        return self._groups[qid]

    async def handle(self, request: Request) -> Response:
        qid = request.path_params["qid"]
        if qid not in self.app.marked.manual:
            raise HTTPException(404, f"no question {qid} is marked by hand")
        data: dict[str, Any] = {}
        if request.method == "POST":
            visitor, form = await self.app.posted(request)
            data.update(self._apply(visitor, qid, form))
        else:
            visitor = self.app.visitor(request)
        return self._page(visitor, qid, **data)

    def _apply(self, visitor: Visitor, qid: str, form: Any) -> dict[str, str]:
        posted = MarkForm(
            tuple(str(i) for i in form.getlist("item")),
            str(form.get("points", "")),
            str(form.get("comment", "")),
        )
        saved, conflicts = 0, []
        try:
            with self.app.store() as store:
                for name in form.getlist("member"):
                    version = int(str(form.get(f"version:{name}", "0")))
                    try:
                        self.app.marked.save(store, visitor.name, (name, qid), posted, version)
                        saved += 1
                    except MarkConflict as conflict:
                        conflicts.append(f"{name} (by {conflict.current.who})")
        except MarkingError as problem:
            return {"problem": str(problem)}
        if saved:
            self.app.changed()
        message = f"Marked {saved} answer(s) at once."
        if conflicts:
            message += " Not saved, someone marked them since: " + ", ".join(conflicts) + "."
        return {"message": message}

    def _page(self, visitor: Visitor, qid: str, **data: Any) -> Response:
        order = self.app.marked.order(visitor.name, qid, visitor.anonymous)
        position = {name: n for n, name in enumerate(order)}
        groups = self.groups(qid)
        with self.app.store() as store:
            states = store.mark_states(qid)
            rubric = store.rubric(qid)
            shown = []
            for group in (g for g in groups if len(g) > 1):
                answer = self.app.marked.answer(store, group[0], qid) or ""
                members = [
                    {
                        "name": name,
                        "label": f"Student {position[name] + 1}" if visitor.anonymous else name,
                        "position": position[name],
                        "mark": states.get(name),
                    }
                    for name in group
                ]
                shown.append({"answer": render_answer(answer), "members": members})
        alone = sum(len(g) == 1 for g in groups)
        return self.app.page(
            "groups.j2", visitor, question=self.app.marked.manual[qid], groups=shown,
            alone=alone, rubric=rubric, scoring=self.app.marked.scoring(qid),
            back=f"/groups/{qid}", **data,
        )  # fmt: skip
