"""``grader serve`` over HTTP, the real app on the real store: the login link, the TAs' links,
CSRF on every form, inert answers under a strict CSP, versions and conflicts, and the CSV of
marks going through the same path (a version and an audit row each)."""

from __future__ import annotations

import base64
import re
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from grader.results._folder import OutputFolder
from grader.results._hand_store import MarkConflict, MarkState
from tests.conftest import EXAMPLES, run_grader
from tests.serve_class import NAMES, copy_class, make_class, running


class Client:
    """A browser without a browser: cookies kept, redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, object]) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(urllib.request.Request(self.base + path, data=body))

    def _open(self, request: urllib.request.Request) -> tuple[int, dict[str, str], str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()


class _Tags(HTMLParser):
    """Every (tag, attribute names) of a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, tuple[str, ...]]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.add((tag, tuple(name for name, _ in attrs)))


def _signed_in(link: str) -> Client:
    client = Client(link.split("/login")[0])
    status, _, _ = client.get("/login?" + link.split("?")[1])
    assert status == 200
    return client


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_class(tmp_path_factory.mktemp("class") / "out")


@pytest.fixture
def out(made: Path, tmp_path: Path) -> Path:
    return copy_class(made, tmp_path / "out")


def test_the_link_is_one_line_and_nothing_opens_without_it(out):
    with running(out) as (link, _):
        assert re.fullmatch(r"http://127\.0\.0\.1:[0-9]+/login\?token=[A-Za-z0-9_-]{20,}", link)
        stranger = Client(link.split("/login")[0])
        for path in ("/", "/mark/1c-derivation/0", "/audit", "/overrides"):
            assert stranger.get(path)[0] == 403
        assert stranger.get("/login?token=wrong")[0] == 403
        client = _signed_in(link)
        status, headers, page = client.get("/")
        assert status == 200 and "Signed in as <strong>instructor</strong>" in page
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]


def test_a_ta_gets_a_link_of_their_own(out):
    made = run_grader("serve", out, "--add-ta", "bob", "--port", "8123")
    assert made.returncode == 0, made.stderr
    [line] = made.stdout.splitlines()
    assert line.startswith("http://127.0.0.1:8123/login?token=")
    with running(out) as (link, _):
        bob = _signed_in(link.split("/login")[0] + "/login?" + line.split("?")[1])
        assert "Signed in as <strong>bob</strong>" in bob.get("/")[2]
    again = run_grader("serve", out, "--add-ta", "bob").stdout.strip()
    with running(out) as (link, _):
        base = link.split("/login")[0]
        assert Client(base).get("/login?" + line.split("?")[1])[0] == 403  # revoked
        _signed_in(base + "/login?" + again.split("?")[1])
    bad = run_grader("serve", out, "--add-ta", "<b>")
    assert bad.returncode == 2 and "Error:" in bad.stderr


def test_every_form_needs_its_csrf_token(out):
    with running(out) as (link, _):
        client = _signed_in(link)
        page = client.get("/mark/1c-derivation/0")[2]
        form = {"version": "0", "points": "2", "comment": "fine"}
        for token in ({}, {"csrf": "0" * 64}):
            assert client.post("/mark/1c-derivation/0", {**form, **token})[0] == 403
            assert client.post("/overrides", {"submission": "alice_numpy", **token})[0] == 403
            assert client.post("/rubric/1c-derivation", {"points": "1", **token})[0] == 403
        with closing(OutputFolder(out).existing_store()) as store:
            assert store.mark_state("alice_numpy", "1c-derivation").points is None
        status, _, saved = client.post("/mark/1c-derivation/0", {**form, "csrf": _csrf(page)})
        assert status == 200 and "Marked 2 by instructor" in saved


def test_a_hostile_answer_reaches_the_page_as_text(out):
    with running(out) as (link, _):
        client = _signed_in(link)
        status, headers, page = client.get(f"/mark/1a-prose/{NAMES.index('mallory_hostile')}")
    assert status == 200
    answer = page.split('id="answer-text"')[1].split('id="cells"')[0].split(">", 1)[1]
    assert "&lt;script&gt;window.__pwned" in answer
    tags = _Tags()
    tags.feed(answer)
    assert tags.seen <= {("p", ()), ("span", ("class",)), ("code", ()), ("em", ())}
    assert "evil.example" in answer  # shown as text, never as a link or a source
    cells = page.split('id="cells"')[1].split("</section>")[0]
    tags = _Tags()
    tags.feed(cells)
    assert {tag for tag, _ in tags.seen} <= {"div", "pre", "code", "p", "img", "em", "span"}
    assert cells.count("<img ") == 1 and cells.count('src="data:image/png;base64,') == 1
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_two_tas_marking_one_answer_see_each_other(out):
    with running(out) as (link, _):
        first, second = _signed_in(link), _signed_in(link)
        path = "/mark/1a-prose/1"
        pages = [first.get(path)[2], second.get(path)[2]]
        mark = {"version": "0", "points": "1", "comment": "first"}
        assert first.post(path, {**mark, "csrf": _csrf(pages[0])})[0] == 200
        status, _, page = second.post(path, {**mark, "comment": "second", "csrf": _csrf(pages[1])})
    assert status == 409
    assert "instructor saved a mark for ivan_unfinished" in page and "“first”" in page
    assert "was not saved" in page
    with closing(OutputFolder(out).existing_store()) as store:
        state = store.mark_state("ivan_unfinished", "1a-prose")
        assert (state.comment, state.version) == ("first", 1)
        with pytest.raises(MarkConflict):
            store.save_mark(state, "", "carol", "test", expected=0)


def test_the_csv_of_marks_takes_the_same_path(out, tmp_path):
    marks = tmp_path / "marks.csv"
    marks.write_text(
        "submission,question,points,comment\nalice_numpy,1a-prose,1.5,from the sheet\n",
        encoding="utf-8",
    )
    run = run_grader("report", out, "--manual", marks)
    assert run.returncode == 0, run.stderr
    with closing(OutputFolder(out).existing_store()) as store:
        state = store.mark_state("alice_numpy", "1a-prose")
        [row] = store.audit_log()
    assert (state.points, state.version, state.who) == (1.5, 1, "csv")
    assert (row.who, row.what, row.before) == ("csv", "mark", "")
    assert row.why == "imported from marks.csv"
    assert '"points": 1.5' in row.after
    assert "1.5" in (out / "gradebook.csv").read_text().splitlines()[1]


def test_a_mark_unchanged_is_not_a_new_version(out):
    with closing(OutputFolder(out).existing_store()) as store:
        state = MarkState("alice_numpy", "1a-prose", 2.0, "ok", (), 0, "", "")
        assert store.save_mark(state, "sha", "bob", "t", expected=0).version == 1
        assert store.save_mark(state, "sha", "bob", "t", expected=1).version == 1
        assert len(store.audit_log()) == 1


def test_what_people_entered_survives_resume_and_overwrite(out):
    """Marks with their items and versions, rubric edits, kept comments, overrides and the
    audit log are what people entered: a new run keeps them."""
    with running(out) as (link, _):
        client = _signed_in(link)
        page = client.get("/mark/1c-derivation/0")[2]
        form = {"csrf": _csrf(page), "version": "0", "item": ["r1", "r2"], "comment": "Half way"}
        assert client.post("/mark/1c-derivation/0", form)[0] == 200
        edit = {"csrf": _csrf(page), "item": "r2", "points": "1.5", "description": "Not there"}
        assert "1 student(s) re-scored" in client.post("/rubric/1c-derivation", edit)[2]
        gone = {"csrf": _csrf(page), "item": "r1", "action": "delete"}
        assert "Deleted item r1; 1 student(s)" in client.post("/rubric/1c-derivation", gone)[2]
        override = {"submission": "alice_numpy", "question": "1b", "points": "3", "reason": "why"}
        assert client.post("/overrides", {"csrf": _csrf(page), **override})[0] == 200
    notebooks = [EXAMPLES / "alice_numpy.ipynb", EXAMPLES / "ivan_unfinished.ipynb"]
    for again in ("--resume", "--overwrite"):
        run = run_grader("grade", "variational_inference", *notebooks, "--out", out, again)
        assert run.returncode == 0, run.stderr
        with closing(OutputFolder(out).existing_store()) as store:
            state = store.mark_state("alice_numpy", "1c-derivation")
            assert (state.points, state.items, state.version) == (1.5, ("r2",), 3)
            assert [i.item for i in store.rubric("1c-derivation")] == ["r2"]
            assert store.saved_comments("1c-derivation") == ["Half way"]
            assert store.overrides() == {("alice_numpy", "1b"): (3.0, "why")}
            assert len(store.audit_log()) == 6
        book = (out / "gradebook.csv").read_text(encoding="utf-8").splitlines()
        assert book[1].startswith('"alice_numpy",3.0,3.0,3.0,,1.5,')


def test_a_rubric_in_the_spec_is_checked():
    from grader.assignment._rubric import read_rubric
    from grader.errors import SpecError

    keys = {"points", "description"}
    spec = Path("spec.toml")
    item = {"points": 1, "description": "d"}
    assert read_rubric(spec, "q", {"rubric": [item]}, keys, True)[1] == "additive"
    bad = [
        ({"rubric": [item]}, False, "for questions graded by hand"),
        ({"scoring": "mean"}, True, "scoring must be one of"),
        ({"rubric": [{"points": -1, "description": "d"}]}, True, "0 or more"),
        ({"rubric": [{"points": 1, "description": " "}]}, True, "non-empty"),
        ({"rubric": [{"points": 1, "description": "d", "key": 1}]}, True, "unknown key"),
    ]
    for raw, manual, problem in bad:
        with pytest.raises(SpecError, match=problem):
            read_rubric(spec, "q", raw, keys, manual)


def test_answers_alike_are_grouped():
    from grader.serve._groups import answer_groups

    answers = {
        "a": "The marginal: $q_j^* = p(Z_j)$.",
        "b": "the   marginal:  $q_j^*=p(Z_j)$",
        "c": "The marginal: $q_{j}^{*} = p(Z_{j})$",
        "d": "KL is zero only when the two distributions are equal, and it is never negative",
        "e": "KL is zero only when the two distributions are equal, and it is never negative!",
        "f": "Something else entirely.",
    }
    assert answer_groups(answers) == [["a", "b", "c"], ["d", "e"], ["f"]]


def test_a_group_is_marked_at_once_and_split_where_needed(out):
    with running(out) as (link, _):
        client = _signed_in(link)
        page = _grouped(client, "/groups/1a-prose")
        assert "1 group(s)" in page and "2 answer(s) like no other" in page
        assert page.count('name="member"') == 3  # alice, bob and carol: the same answer
        with closing(OutputFolder(out).existing_store()) as store:  # bob marked meanwhile
            state = MarkState("bob_copy", "1a-prose", 1.0, "", (), 0, "", "")
            store.save_mark(state, "", "carol", "by hand", expected=0)
        form = {
            "csrf": _csrf(page),
            "member": ["alice_numpy", "bob_copy"],  # carol unticked: split off
            "version:alice_numpy": "0",
            "version:bob_copy": "0",
            "points": "1.5",
            "comment": "Right, said briefly",
        }
        status, _, done = client.post("/groups/1a-prose", form)
    assert status == 200 and "Marked 1 answer(s) at once." in done
    assert "Not saved, someone marked them since: bob_copy (by carol)." in done
    with closing(OutputFolder(out).existing_store()) as store:
        marks = {n: store.mark_state(n, "1a-prose").points for n in NAMES}
    assert marks == {**dict.fromkeys(NAMES), "alice_numpy": 1.5, "bob_copy": 1.0}


def test_outputs_are_shown_inert():
    """Each kind of output as the answer view renders it (the browser test runs them all in
    Chromium): text escaped and cut, only checked PNG and JPEG bytes as data: images, HTML and
    SVG never rendered."""
    from grader.serve._answer_cells import ExtraCell
    from grader.serve._output_view import MAX_TEXT, render_cells
    from tests.serve_class import HOSTILE_OUTPUTS, png

    jpeg = {"image/jpeg": base64.b64encode(b"\xff\xd8\xff\xe0 a jpeg").decode()}
    shown = [*HOSTILE_OUTPUTS, {"output_type": "display_data", "data": jpeg}, "not a dict"]
    page = render_cells([ExtraCell("code", "print('<b>')", tuple(shown))])
    tags = _Tags()
    tags.feed(page)
    assert {tag for tag, _ in tags.seen} <= {"div", "pre", "code", "p", "img", "span"}
    assert {attrs for tag, attrs in tags.seen if tag == "img"} == {("class", "alt", "src")}
    assert {attrs for tag, attrs in tags.seen if tag == "span"} == {("class",)}
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources == [
        "data:image/png;base64," + base64.b64encode(png()).decode(),
        "data:image/jpeg;base64," + jpeg["image/jpeg"],
    ]
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;red printed" in page
    assert "\x1b" not in page and "A" * (MAX_TEXT + 1) not in page
    assert "[... 990000 more characters not shown]" in page
    assert "<svg" not in page and "&lt;svg" not in page  # SVG only named
    assert "&lt;iframe src=" in page and "HTML output, shown as its source" in page


def test_the_cells_that_go_with_an_answer(made):
    """The answer cell's neighbours the student added, up to the sheet's next cell; none for a
    student whose notebook as graded is not kept."""
    from grader.serve._class import MarkedClass

    marked = MarkedClass(made)
    cells = marked.extra("mallory_hostile", "1a-prose")
    assert [c.kind for c in cells] == ["code", "markdown", "code"]
    assert len(cells[0].outputs) == 11 and len(cells[2].outputs) == 100
    assert marked.extra("mallory_hostile", "1c-derivation") == []
    assert marked.extra("alice_numpy", "1a-prose") == []
    assert marked.extra("bob_copy", "1a-prose") is None


def test_a_rubric_item_is_deleted(out):
    """Deleting an item takes it off every mark that had it, re-scores each (a new version and
    an audit row each), shows who went from what to what, and outlasts a restart: the spec's
    rubric is not stored again, and a new item never takes the deleted one's id."""
    with running(out) as (link, _):
        client = _signed_in(link)
        page = client.get("/rubric/1c-derivation")[2]
        assert page.count('name="action" value="delete"') == 2
        for n in (0, 1):
            form = {"csrf": _csrf(page), "version": "0", "item": ["r1", "r2"] if n else "r1"}
            assert client.post(f"/mark/1c-derivation/{n}", form)[0] == 200
        db = sqlite3.connect(out / "results.sqlite")  # ivan's mark: given on an older notebook
        with db:
            db.execute("UPDATE manual_marks SET notebook_sha256 = 'older' WHERE submission = ?",
                       ("ivan_unfinished",))  # fmt: skip
        db.close()
        gone = {"item": "r1", "action": "delete"}
        assert client.post("/rubric/1c-derivation", gone)[0] == 403  # no CSRF token
        status, _, done = client.post("/rubric/1c-derivation", {"csrf": _csrf(page), **gone})
        assert status == 200 and "Deleted item r1; 2 student(s) re-scored." in done
        rescored = re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", done.split('id="rescored"')[1]))
        assert "alice_numpy 2 3" in rescored and "ivan_unfinished 0 1" in rescored
        assert "No Lagrange multiplier" not in done.split("</table>")[1]
        again = client.post("/rubric/1c-derivation", {"csrf": _csrf(page), **gone})[2]
        assert "has no item &#39;r1&#39; (deleted meanwhile?)" in again
        stale = {"csrf": _csrf(page), "version": "0", "item": ["r1", "r2"]}  # a page from before
        status, _, refused = client.post("/mark/1c-derivation/2", stale)
        assert status == 400 and "rubric item(s) r1 of 1c-derivation were deleted" in refused
        audit = client.get("/audit")[2]
        assert "rubric item r1 (No Lagrange multiplier for the normalisation) deleted" in audit
    with closing(OutputFolder(out).existing_store()) as store:
        alice = store.mark_state("alice_numpy", "1c-derivation")
        ivan = store.mark_state("ivan_unfinished", "1c-derivation")
        assert (alice.points, alice.items, alice.version) == (3.0, (), 2)
        assert (ivan.points, ivan.items, ivan.version) == (1.0, ("r2",), 2)
        assert store.marked_notebook("ivan_unfinished", "1c-derivation") == "older"  # still
        assert store.marked_notebook("alice_numpy", "1c-derivation") != "older"
        what = [(row.what, row.after) for row in store.audit_log()]
        assert what[2] == ("rubric r1", "deleted")
    with running(out) as (link, _):  # started again: the deleted item stays deleted
        client = _signed_in(link)
        page = client.get("/rubric/1c-derivation")[2]
        new = {"csrf": _csrf(page), "item": "", "points": "1", "description": "Sign wrong"}
        client.post("/rubric/1c-derivation", new)
    with closing(OutputFolder(out).existing_store()) as store:
        assert [i.item for i in store.rubric("1c-derivation")] == ["r2", "r3"]


def _grouped(client: Client, path: str) -> str:
    """The groups page once the app has grouped the answers (in a child, as it starts): until
    then it says so, and asks the browser to reload it."""
    deadline = time.monotonic() + 120
    while True:
        status, _, page = client.get(path)
        assert status == 200
        if 'id="grouping"' not in page:
            return page
        assert '<meta http-equiv="refresh" content="1">' in page
        assert time.monotonic() < deadline, "the answers were not grouped in time"
        time.sleep(0.2)


def test_the_groups_page_answers_at_once_after_the_start(out):
    """Asked for the moment the app has started, the groups page answers at once (saying the
    answers are being grouped, or with the groups); the groups come from the child."""
    with running(out) as (link, _):
        client = _signed_in(link)
        start = time.perf_counter()
        page = client.get("/groups/1c-derivation")[2]
        assert time.perf_counter() - start < 1.0  # 100 ms in the benchmark; a loaded CI here
        assert 'id="grouping"' in page or "group(s) of answers alike" in page
        assert "group(s) of answers alike" in _grouped(client, "/groups/1c-derivation")


def test_the_app_imports_no_pandas_nor_numpy():
    """The first page comes sooner without pandas (a third of a second): the store's answer
    key comes with the results' model, not the hand marks' module; reading the spec needs no
    NumPy either (only comparing answers does)."""
    import subprocess
    import sys

    probe = "import sys, grader._cli_class, grader.serve._run, grader.serve._app; "
    probe += "print(sorted({'pandas', 'nbformat', 'numpy'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_images_are_shown_within_their_budget():
    """An image over 2 MiB is not shown, nor one past 8 MiB of images in one answer."""
    from grader.serve._answer_cells import ExtraCell
    from grader.serve._output_view import render_cells

    def image(size: int) -> dict[str, object]:
        data = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(size)).decode()
        return {"output_type": "display_data", "data": {"image/png": data}}

    big = [image(3 * 2**20), *(image(2**21 - 100) for _ in range(5))]
    page = render_cells([ExtraCell("code", "plot()", tuple(big))])
    assert page.count("<img ") == 4
    assert page.count("An image over 2 MiB") == 1 and page.count("8 in all") == 1


def test_the_question_s_own_code_cells_go_with_its_answer(tmp_path):
    """A manual question's code cells (tagged question:ID in the source) and the cells a
    student added after them or after the answer cell; nothing after the sheet's next cell."""
    import json

    from grader.serve._answer_cells import extra_cells, sheet_cells

    def cell(kind: str, cell_id: str, *tags: str) -> dict[str, object]:
        made: dict[str, object] = {"cell_type": kind, "id": cell_id, "source": cell_id}
        made["metadata"] = {"tags": list(tags)}
        if kind == "code":
            made["outputs"] = [{"output_type": "stream", "name": "stdout", "text": cell_id}]
        return made

    source = [
        cell("markdown", "prompt", "question:q"),
        cell("code", "q-code", "question:q"),
        cell("markdown", "q-answer", "question:q", "manual"),
        cell("code", "other", "question:r"),
    ]
    (tmp_path / "source.ipynb").write_text(json.dumps({"cells": source}), encoding="utf-8")
    sheet = sheet_cells(tmp_path, {"q"})
    executed = tmp_path / "executed.ipynb"
    cells = [source[0], source[1], cell("code", "mine-1"), source[2], cell("markdown", "mine-2"),
             cell("code", "mine-3"), source[3], cell("code", "not-mine")]  # fmt: skip
    executed.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    shown = extra_cells(sheet, executed, "q")
    assert [c.source for c in shown] == ["q-code", "mine-1", "mine-2", "mine-3"]
    assert [len(c.outputs) for c in shown] == [1, 1, 0, 1]
    assert extra_cells(sheet, executed, "r") == []  # not a question marked by hand
    executed.write_text("{not json", encoding="utf-8")
    assert extra_cells(sheet, executed, "q") is None


def test_the_groups_without_their_child(out, monkeypatch):
    """Should the child that groups the answers fail, the app keeps why (its last line) and
    groups them itself on the first request."""
    from grader.serve import _group_pages
    from grader.serve._app import App

    monkeypatch.setattr(_group_pages, "_CHILD", "import sys; sys.exit('no groups here')")
    pages = _group_pages.GroupPages(App(out, rebuild=False))
    assert pages.ready.wait(120)
    assert pages.failed == "no groups here"
    assert pages.groups("1a-prose")[0] == ["alice_numpy", "bob_copy", "carol_copy"]


def test_code_is_coloured_and_inert():
    """Python's tokenizer colours a cell's code: spans with a class around keywords, strings,
    comments and numbers, the rest escaped; code it cannot read is shown plain; long code and
    many cells are cut."""
    from grader.serve._answer_cells import ExtraCell
    from grader.serve._output_view import MAX_CELLS, render_cells
    from grader.serve._render import render_code

    code = render_code("def f(x):  # </code></pre><script>\n    return '<img src=x>' + 1\n")
    assert '<span class="k">def</span> f(x):  <span class="c"># &lt;/code&gt;' in code
    assert '<span class="s">&#x27;&lt;img src=x&gt;&#x27;</span> + <span class="n">1</span>' in code
    tags = _Tags()
    tags.feed(code)
    assert {tag for tag, _ in tags.seen} == {"pre", "code", "span"}
    assert (
        render_code("def (:\n  '''<b>")
        == '<pre class="code"><code>def (:\n  &#x27;&#x27;&#x27;&lt;b&gt;</code></pre>'
    )
    long = render_code("x = 1\n" * 5000)
    assert "[... 10000 more characters not shown]" in long and len(long) < 120_000
    cells = [ExtraCell("code", "x = 1\n" * 2000, ()), ExtraCell("code", "y = 2", ())]
    page = render_cells(cells + [ExtraCell("markdown", "# hi", ())] * MAX_CELLS)
    assert page.count('<span class="n">1</span>') == 0  # over the colouring budget: plain
    assert '<span class="n">2</span>' in page
    assert "2 more cell(s) after these not shown." in page


def test_grouping_by_prefix_filtering_finds_what_every_pair_would():
    """The groups found by prefix filtering are those the comparison of every pair of answers
    gives, on 300 random classes of answers made from a few, each word changed or added."""
    import random

    from grader.serve._groups import CLOSE, _grams, answer_groups, normalised

    def every_pair(answers: dict[str, str]) -> list[list[str]]:
        exact: dict[str, list[str]] = {}
        for name, text in answers.items():
            exact.setdefault(normalised(text), []).append(name)
        keys = list(exact)
        grams = [_grams(k) for k in keys]
        group = list(range(len(keys)))
        for i in range(len(keys)):
            for j in range(i + 1, len(keys)):
                shared = len(grams[i] & grams[j])
                if shared and shared / len(grams[i] | grams[j]) >= CLOSE:
                    old, new = group[j], group[i]
                    group = [new if g == old else g for g in group]
        merged: dict[int, list[str]] = {}
        for i, key in enumerate(keys):
            merged.setdefault(group[i], []).extend(exact[key])
        order = {name: n for n, name in enumerate(answers)}
        found = [sorted(g, key=order.__getitem__) for g in merged.values()]
        return sorted(found, key=lambda g: (-len(g), order[g[0]]))

    rng = random.Random(29)
    words = ["a", "b", "c", "d", "e", "f", "g", "h"]
    for _ in range(300):
        typical = [" ".join(rng.choices(words, k=rng.randint(1, 14))) for _ in range(5)]
        answers = {}
        for n in range(rng.randint(1, 40)):
            said = rng.choice(typical).split()
            for _ in range(rng.randint(0, 2)):
                if said and rng.random() < 0.5:
                    said[rng.randrange(len(said))] = rng.choice(words)
                else:
                    said.insert(rng.randint(0, len(said)), rng.choice(words))
            answers[f"s{n}"] = " ".join(said)
        assert answer_groups(answers) == every_pair(answers), answers
