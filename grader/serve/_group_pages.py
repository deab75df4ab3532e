"""The answer-groups page of a question: each group's answer once, its members ticked, one mark
applied to every ticked member (untick one to split it off and mark it alone).

The groups are computed once while the app runs, as it starts, by a child process at a lower
priority (``grader.serve._groups.main``: it reads every answer from the store), so that neither
the first pages nor a groups page asked for at once wait for them: until they have come, the
groups page says so and reloads itself a second later. Answers change only with a new
``grader grade``, after which the app is started again. Should the child fail, the groups are
computed here, on the first request for them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from html import escape
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from grader.results._hand_store import MarkConflict, MarkState
from grader.serve._class import MarkForm, MarkingError
from grader.serve._groups import answer_groups, class_answers
from grader.serve._render import render_answer

if TYPE_CHECKING:
    from grader.serve._app import App, Visitor


#: The child: every manual question's groups, as JSON on stdout.
_CHILD = "from grader.serve._groups import main; main()"


class GroupPages:
    """``/groups/{qid}``: GET shows the groups, POST marks the ticked members of one."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._groups: dict[str, list[list[str]]] = {}
        self._lock = threading.Lock()
        #: Set once the child has answered, or failed (then each question is grouped here).
        self.ready = threading.Event()
        self.failed: str | None = None
        threading.Thread(target=self._child, name="grader-serve-groups", daemon=True).start()

    def _child(self) -> None:
        nice = ["nice", "-n", "10"] if shutil.which("nice") else []
        command = [*nice, sys.executable, "-c", _CHILD, str(self.app.marked.folder.root)]
        try:
            done = subprocess.run(
                [*command, *self.app.marked.manual], capture_output=True, text=True, check=False
            )
            grouped = json.loads(done.stdout) if done.returncode == 0 else None
        except (OSError, ValueError):
            done, grouped = None, None
        if isinstance(grouped, dict):
            with self._lock:
                self._groups.update(grouped)
        else:
            errors = done.stderr.strip().splitlines() if done is not None else []
            self.failed = (errors or ["the child process failed"])[-1]
        self.ready.set()

    def groups(self, qid: str) -> list[list[str]] | None:
        """``qid``'s groups; None while the child is still computing them."""
        with self._lock:
            if qid in self._groups:
                return self._groups[qid]
        if not self.ready.is_set():
            return None
        with self._lock:
            if qid not in self._groups:
                with self.app.store() as store:
                    answers = class_answers(store, self.app.marked.names, qid)
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
        if groups is None:
            return self.app.page(
                "groups.j2", visitor, question=self.app.marked.manual[qid], groups=None,
                alone=0, rubric=[], scoring="", back=f"/groups/{qid}", refresh=1, **data,
            )  # fmt: skip
        with self.app.store() as store:
            states = store.mark_states(qid)
            rubric = store.rubric(qid)
            shown = []
            for group in (g for g in groups if len(g) > 1):
                answer = self.app.marked.answer(store, group[0], qid) or ""
                rows = _member_rows(qid, group, position, states, visitor.anonymous)
                shown.append({"answer": render_answer(answer), "size": len(group), "rows": rows})
        alone = sum(len(g) == 1 for g in groups)
        return self.app.page(
            "groups.j2", visitor, question=self.app.marked.manual[qid], groups=shown,
            alone=alone, rubric=rubric, scoring=self.app.marked.scoring(qid),
            back=f"/groups/{qid}", **data,
        )  # fmt: skip


def _member_rows(
    qid: str,
    group: list[str],
    position: dict[str, int],
    states: dict[str, MarkState],
    anonymous: bool,
) -> str:
    """The members' list items, written here rather than by the template: a group of 1,000
    took the template 50 ms, this 5."""
    question = escape(qid)
    rows = []
    for name in group:
        at, state = position[name], states.get(name)
        label = escape(f"Student {at + 1}" if anonymous else name)
        value = escape(name)
        marked = ""
        if state is not None and state.points is not None:
            marked = f'<span class="state">marked {state.points:g} by {escape(state.who)}</span>'
        rows.append(
            f'<li><label><input type="checkbox" name="member" value="{value}" checked>\n'
            f'<a href="/mark/{question}/{at}">{label}</a></label>\n'
            f'<input type="hidden" name="version:{value}" '
            f'value="{state.version if state else 0}">\n{marked}</li>'
        )
    return "\n".join(rows)
