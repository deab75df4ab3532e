"""The web app: its routes, each a page a teaching assistant sees or a form they post.

Every page needs a signed-in teaching assistant (the login cookie), every POST a valid CSRF
token, and every response carries a Content-Security-Policy that allows no script but the app's
own file, no style but its own, no frame and no remote load, so that a student's answer (escaped
by ``grader.serve._render`` already) could not act even if some markup slipped through.
"""

from __future__ import annotations

import functools
import html
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grader.results._hand_store import MarkConflict, MarkState, RubricItem
from grader.results._store import Store
from grader.serve._auth import COOKIE, csrf_ok, csrf_token, token_hash
from grader.serve._class import MarkedClass, MarkForm, MarkingError
from grader.serve._group_pages import GroupPages
from grader.serve._output_view import render_cells
from grader.serve._outputs import Rebuilder
from grader.serve._render import render_answer

HERE = Path(__file__).resolve().parent
ANONYMOUS = "grader_anonymous"
#: Nothing but the app's own script and style; images only as data: URIs; no frames, no forms
#: posting elsewhere, no <base>.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Adds :data:`HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, sending)


@dataclass(frozen=True)
class Visitor:
    """A signed-in teaching assistant, on one request."""

    name: str
    token: str
    anonymous: bool

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


Handler = Callable[[Request], Awaitable[Response]]


class App:
    """The routes, over one class (``MarkedClass``) and its background rebuilder."""

    def __init__(self, out: Path, rebuild: bool = True) -> None:
        self.marked = MarkedClass(out)
        self.rebuilder = Rebuilder(out) if rebuild else None
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            auto_reload=False,
        )
        self._local = threading.local()

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The store, opened once per thread and kept: opening it for each request (its schema
        checked, WAL set) cost more than the page."""
        cached = getattr(self._local, "store", None)
        if cached is None:
            cached = self._local.store = self.marked.open()
        yield cached

    @functools.cached_property
    def name_options(self) -> str:
        """The class as a datalist's options, written once (1,000 names: 10 ms in the
        template, on every overrides page)."""
        return "".join(f'<option value="{html.escape(n)}">' for n in self.marked.names)

    def starlette(self) -> ASGIApp:
        routes = [
            Route("/login", self.login),
            Route("/", self.progress),
            Route("/mark/{qid}/{position:int}", self.mark, methods=["GET", "POST"]),
            Route("/rubric/{qid}", self.rubric, methods=["GET", "POST"]),
            Route("/overrides", self.overrides, methods=["GET", "POST"]),
            Route("/audit", self.audit),
            Route("/groups/{qid}", GroupPages(self).handle, methods=["GET", "POST"]),
            Route("/anonymous", self.anonymous, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]

        @asynccontextmanager
        async def lifespan(_: Starlette) -> Any:
            yield
            if self.rebuilder is not None:
                self.rebuilder.stop()

        return SecurityHeaders(Starlette(routes=routes, lifespan=lifespan))

    # -- who is asking ------------------------------------------------------------------------
    def visitor(self, request: Request) -> Visitor:
        token = request.cookies.get(COOKIE, "")
        name = None
        if token:
            with self.store() as store:
                name = store.ta_named(token_hash(token))
        if name is None:
            raise HTTPException(403, "not signed in")
        return Visitor(name, token, request.cookies.get(ANONYMOUS) == "1")

    async def posted(self, request: Request) -> tuple[Visitor, FormData]:
        visitor = self.visitor(request)
        form = await request.form()
        if not csrf_ok(visitor.token, str(form.get("csrf", ""))):
            raise HTTPException(403, "the form's CSRF token is wrong: reload the page")
        return visitor, form

    def page(self, template: str, visitor: Visitor, status: int = 200, **data: Any) -> Response:
        data.setdefault("back", "/")
        text = self.env.get_template(template).render(
            ta=visitor.name, csrf=visitor.csrf, anonymous=visitor.anonymous, **data
        )
        return HTMLResponse(text, status_code=status)

    def changed(self) -> None:
        if self.rebuilder is not None:
            self.rebuilder.poke()

    # -- the pages ----------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        with self.store() as store:
            name = store.ta_named(token_hash(token)) if token else None
        if name is None:
            text = self.env.get_template("login.j2").render()
            return HTMLResponse(text, status_code=403)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=30 * 86400)
        return response

    async def progress(self, request: Request) -> Response:
        visitor = self.visitor(request)
        with self.store() as store:
            counts, by_ta = store.marked_counts(), store.marked_by()
            questions = []
            for qid, question in self.marked.manual.items():
                marked = set(store.mark_states(qid))
                order = self.marked.order(visitor.name, qid, visitor.anonymous)
                first = next((i for i, n in enumerate(order) if n not in marked), 0)
                questions.append(
                    {
                        "id": qid,
                        "title": question.title,
                        "points": question.points,
                        "marked": counts.get(qid, 0),
                        "next": first,
                    }
                )
        people = sorted({who for who, _ in by_ta})
        rows = [(who, [by_ta.get((who, q), 0) for q in self.marked.manual]) for who in people]
        total = len(self.marked.names)
        failed = self.rebuilder.error if self.rebuilder is not None else None
        problem = f"The outputs could not be written again: {failed}" if failed else None
        return self.page(
            "progress.j2", visitor, questions=questions, by_ta=rows, total=total, problem=problem
        )

    async def mark(self, request: Request) -> Response:
        qid = request.path_params["qid"]
        if qid not in self.marked.manual:
            raise HTTPException(404, f"no question {qid} is marked by hand")
        if request.method == "POST":
            return await self._save(request, qid, request.path_params["position"])
        visitor = self.visitor(request)
        return self._mark_page(visitor, qid, request.path_params["position"])

    def _mark_page(
        self, visitor: Visitor, qid: str, position: int, status: int = 200, **data: Any
    ) -> Response:
        order = self.marked.order(visitor.name, qid, visitor.anonymous)
        position %= len(order)
        name = order[position]
        with self.store() as store:
            answer = self.marked.answer(store, name, qid)
            mark = data.pop("mark", None) or store.mark_state(name, qid)
            rubric, comments = store.rubric(qid), store.saved_comments(qid)
            marked = store.marked_counts().get(qid, 0)
        extra = self.marked.extra(name, qid)
        return self.page(
            "mark.j2",
            visitor,
            status,
            question=self.marked.manual[qid],
            scoring=self.marked.scoring(qid),
            label=_label(visitor, name, position),
            answer=None if answer is None else render_answer(answer),
            cells=None if extra is None else render_cells(extra),
            mark=mark,
            rubric=rubric,
            comments=comments,
            position=position,
            total=len(order),
            marked=marked,
            previous=(position - 1) % len(order),
            next=(position + 1) % len(order),
            back=f"/mark/{qid}/{position}",
            **data,
        )

    async def _save(self, request: Request, qid: str, position: int) -> Response:
        visitor, form = await self.posted(request)
        order = self.marked.order(visitor.name, qid, visitor.anonymous)
        position %= len(order)
        name = order[position]
        posted = MarkForm(
            tuple(str(i) for i in form.getlist("item")),
            str(form.get("points", "")),
            str(form.get("comment", "")),
        )
        try:
            version = int(str(form.get("version", "")))
            with self.store() as store:
                self.marked.save(store, visitor.name, (name, qid), posted, version)
        except ValueError:
            raise HTTPException(400, "the form has no version: reload the page") from None
        except MarkConflict as conflict:
            yours = MarkState(name, qid, None, posted.comment, posted.items, 0, "", "")
            yours = _typed(yours, posted.points)
            label = _label(visitor, name, position)
            return self.page(
                "conflict.j2", visitor, 409, current=conflict.current, yours=yours,
                label=label, position=position,
            )  # fmt: skip
        except MarkingError as problem:
            return self._mark_page(visitor, qid, position, 400, problem=str(problem))
        self.changed()
        after = position + 1 if form.get("then") == "next" else position
        return RedirectResponse(f"/mark/{qid}/{after % len(order)}", status_code=303)

    async def rubric(self, request: Request) -> Response:
        qid = request.path_params["qid"]
        if qid not in self.marked.manual:
            raise HTTPException(404, f"no question {qid} is marked by hand")
        data: dict[str, Any] = {}
        if request.method == "POST":
            visitor, form = await self.posted(request)
            try:
                if form.get("action") == "delete":
                    with self.store() as store:
                        item = str(form.get("item", ""))
                        data["rescored"] = self.marked.delete_item(store, visitor.name, qid, item)
                    done = f"Deleted item {item}"
                else:
                    data["rescored"] = self._edit_item(visitor, qid, form)
                    done = "Saved"
                data["message"] = f"{done}; {len(data['rescored'])} student(s) re-scored."
                self.changed()
            except MarkingError as problem:
                data["problem"] = str(problem)
        else:
            visitor = self.visitor(request)
        with self.store() as store:
            items = store.rubric(qid)
        return self.page(
            "rubric.j2", visitor, question=self.marked.manual[qid], rubric=items,
            scoring=self.marked.scoring(qid), back=f"/rubric/{qid}", **data,
        )  # fmt: skip

    def _edit_item(self, visitor: Visitor, qid: str, form: FormData) -> list[Any]:
        description = str(form.get("description", "")).strip()
        try:
            points = float(str(form.get("points", "")))
        except ValueError:
            raise MarkingError("an item's points must be a number") from None
        if not description or points < 0:
            raise MarkingError("an item needs a description and points of 0 or more")
        with self.store() as store:
            known = store.rubric_ids(qid)  # a deleted item's id is never given again
            item = str(form.get("item", "")) or f"r{len(known) + 1}"
            while not form.get("item") and item in known:
                item += "+"
            if form.get("item") and item not in {i.item for i in store.rubric(qid)}:
                raise MarkingError(f"{qid}'s rubric has no item {item!r} (deleted meanwhile?)")
            return self.marked.edit_item(
                store, visitor.name, qid, RubricItem(item, points, description)
            )

    async def overrides(self, request: Request) -> Response:
        data: dict[str, Any] = {}
        if request.method == "POST":
            visitor, form = await self.posted(request)
            key = (str(form.get("submission", "")).strip(), str(form.get("question", "")))
            try:
                with self.store() as store:
                    points, reason = str(form.get("points", "")), str(form.get("reason", ""))
                    self.marked.override(store, visitor.name, key, points, reason)
                data["message"] = f"Saved the override of {key[0]} {key[1]}."
                self.changed()
            except MarkingError as problem:
                data["problem"] = str(problem)
        else:
            visitor = self.visitor(request)
        with self.store() as store:
            stored = sorted(store.overrides().items())
        return self.page(
            "overrides.j2", visitor, overrides=stored, name_options=self.name_options,
            automatic=list(self.marked.automatic.values()), back="/overrides", **data,
        )  # fmt: skip

    async def audit(self, request: Request) -> Response:
        visitor = self.visitor(request)
        with self.store() as store:
            rows = store.audit_log(500)
        return self.page("audit.j2", visitor, rows=rows, back="/audit")

    async def anonymous(self, request: Request) -> Response:
        visitor, form = await self.posted(request)
        back = str(form.get("back", "/"))
        if not back.startswith("/") or back.startswith("//"):
            back = "/"
        response = RedirectResponse(back, status_code=303)
        value = "0" if visitor.anonymous else "1"
        response.set_cookie(ANONYMOUS, value, httponly=True, samesite="strict")
        return response


def _label(visitor: Visitor, name: str, position: int) -> str:
    """How the page names a student: their submission, or a number in anonymous mode."""
    return f"Student {position + 1}" if visitor.anonymous else name


def _typed(state: MarkState, points: str) -> MarkState:
    try:
        return MarkState(
            state.submission, state.question, float(points), state.comment, state.items, 0, "", ""
        )
    except ValueError:
        return state


def build_app(out: Path, rebuild: bool = True) -> ASGIApp:
    return App(out, rebuild).starlette()
