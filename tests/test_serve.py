"""``grader serve`` over HTTP, the real app on the real store: the login link, the TAs' links,
CSRF on every form, inert answers under a strict CSP, versions and conflicts, and the CSV of
marks going through the same path (a version and an audit row each)."""

from __future__ import annotations

import re
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
    answer = page.split('id="answer"')[1].split("</section>")[0].split(">", 1)[1]
    assert "&lt;script&gt;window.__pwned" in answer
    tags = _Tags()
    tags.feed(answer)
    assert tags.seen <= {("p", ()), ("span", ("class",)), ("code", ()), ("em", ())}
    assert "evil.example" in answer  # shown as text, never as a link or a source
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
        form = {"csrf": _csrf(page), "version": "0", "item": "r2", "comment": "Half way"}
        assert client.post("/mark/1c-derivation/0", form)[0] == 200
        edit = {"csrf": _csrf(page), "item": "r2", "points": "1.5", "description": "Not there"}
        assert "1 student(s) re-scored" in client.post("/rubric/1c-derivation", edit)[2]
        override = {"submission": "alice_numpy", "question": "1b", "points": "3", "reason": "why"}
        assert client.post("/overrides", {"csrf": _csrf(page), **override})[0] == 200
    notebooks = [EXAMPLES / "alice_numpy.ipynb", EXAMPLES / "ivan_unfinished.ipynb"]
    for again in ("--resume", "--overwrite"):
        run = run_grader("grade", "variational_inference", *notebooks, "--out", out, again)
        assert run.returncode == 0, run.stderr
        with closing(OutputFolder(out).existing_store()) as store:
            state = store.mark_state("alice_numpy", "1c-derivation")
            assert (state.points, state.items, state.version) == (1.5, ("r2",), 2)
            assert [i.points for i in store.rubric("1c-derivation")] == [1.0, 1.5]
            assert store.saved_comments("1c-derivation") == ["Half way"]
            assert store.overrides() == {("alice_numpy", "1b"): (3.0, "why")}
            assert len(store.audit_log()) == 4
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
        page = client.get("/groups/1a-prose")[2]
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
