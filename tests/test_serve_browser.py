"""``grader serve`` in a real headless Chromium (Playwright, the system's chromium), marking a
small class end to end: rubric items applied with keys, a comment reused with one key, a rubric
item re-scoring everyone who has it, an item deleted, a subtractive rubric from the spec, an
override with a reason, a conflict between two browser contexts, a hostile notebook (its answer
and its code's outputs) rendered inert, anonymous mode, and the report and exports (gradebook,
letters, Gradescope's results.json) showing each step. Run: ``apt-get install -y chromium`` if
it is missing, then ``pytest tests/test_serve_browser.py``."""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from grader.results._folder import OutputFolder
from tests.conftest import run_grader
from tests.serve_class import NAMES, copy_class, make_class, running

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")


def _eventually(check: Callable[[], bool], seconds: float = 90) -> None:
    """The outputs are written again in the background: wait for them."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the outputs were not written again in time"
        time.sleep(0.2)


def _book(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(encoding="utf-8") as fh:
        return {row["submission"]: row for row in csv.DictReader(fh)}


def _cell(out: Path, name: str, question: str) -> str:
    return _book(out).get(name, {}).get(question, "")


def _letter(out: Path, name: str) -> str:
    return (out / "feedback" / f"{name}.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_class(tmp_path_factory.mktemp("class") / "out")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


class Watched:
    """A page whose dialogs (an alert would mean a script ran) and requests are recorded."""

    def __init__(self, context: Any, base: str) -> None:
        self.page = context.new_page()
        self.base = base
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def key(self, key: str) -> None:
        """Press a key that submits the form, and wait for the page it loads."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)


def test_a_class_marked_in_the_browser(made, tmp_path, browser):
    out = copy_class(made, tmp_path / "out")
    bob_link = run_grader("serve", out, "--add-ta", "bob").stdout.strip()
    with running(out) as (link, _):
        base = link.split("/login")[0]
        me = Watched(browser.new_context(), base)
        me.page.goto(link)
        assert "0 of 5" in me.page.inner_text("#progress")
        _the_groups_come_by_themselves(me)
        _rubric_items_and_a_reused_comment(me, out)
        _an_item_rescored(me, out)
        _an_item_deleted(me, out)
        _a_subtractive_rubric_from_the_spec(me, out)
        _an_override_with_a_reason(me, out)
        _a_hostile_answer_is_inert(me)
        bob = Watched(browser.new_context(), base)
        bob.page.goto(base + "/login?" + bob_link.split("?")[1])
        _a_conflict_between_two_tas(me, bob, out)
        _anonymous_mode(bob)
        _progress_and_audit(me)
    assert not me.dialogs and not bob.dialogs
    assert all(url.startswith((base, "data:")) for url in me.requests + bob.requests)
    _the_report_and_exports(out)


def _the_groups_come_by_themselves(me: Watched) -> None:
    """Asked for as the app starts, the groups page says the answers are being grouped and
    reloads itself (a meta refresh: no script) until they are."""
    page = me.go("/groups/1a-prose")
    sync_api.expect(page.locator("#grouping")).to_have_count(0, timeout=120_000)
    assert "1 group(s) of answers alike" in page.inner_text("main")
    assert page.locator("input[name=member]").count() == 3


def _rubric_items_and_a_reused_comment(me: Watched, out: Path) -> None:
    page = me.go("/rubric/1a-prose")
    for points, description in (("1", "KL is never negative"), ("1", "KL is not symmetric")):
        page.fill("#new-item input[name=points]", points)
        page.fill("#new-item input[name=description]", description)
        page.click("#new-item button")
    assert page.locator("form.rubric-item input[name=description]").count() == 3
    page = me.go("/mark/1a-prose/0")
    assert page.inner_text("#student") == "alice_numpy"
    me.key("1")
    me.key("2")
    assert "Marked 2 by instructor" in page.inner_text("#state")
    page.fill("#comment", "Clear and complete.")
    with page.expect_navigation():
        page.click("#save")
    me.key("j")  # moving on is a link, not a form
    assert page.inner_text("#student") == "ivan_unfinished"
    me.key("1")
    me.key("Shift+Digit1")  # the comment kept from alice's mark, with one key
    assert page.input_value("#comment") == "Clear and complete."
    assert "Marked 1 by instructor" in page.inner_text("#state")
    _eventually(lambda: _cell(out, "ivan_unfinished", "1a-prose") == "1.0")
    assert _cell(out, "alice_numpy", "1a-prose") == "2.0"
    _eventually(lambda: "Clear and complete." in _letter(out, "alice_numpy"))


def _an_item_rescored(me: Watched, out: Path) -> None:
    page = me.go("/rubric/1a-prose")
    first = page.locator("form.rubric-item").first
    first.locator("input[name=points]").fill("0.5")
    with page.expect_navigation():
        first.locator("button:not(.delete)").click()
    rescored = page.inner_text("#rescored")
    assert "alice_numpy\t2\t1.5" in rescored and "ivan_unfinished\t1\t0.5" in rescored
    _eventually(lambda: _cell(out, "alice_numpy", "1a-prose") == "1.5")
    assert _cell(out, "ivan_unfinished", "1a-prose") == "0.5"


def _an_item_deleted(me: Watched, out: Path) -> None:
    """Item 3 (added, applied to no one) and then item 2 (alice's) are deleted: alice is
    re-scored without it, the page says so, the gradebook follows."""
    page = me.go("/rubric/1a-prose")
    page.fill("#new-item input[name=points]", "1")
    page.fill("#new-item input[name=description]", "A slip")
    with page.expect_navigation():
        page.click("#new-item button")
    items = page.locator("form.rubric-item")
    with page.expect_navigation():
        items.nth(2).locator("button.delete").click()
    assert "Deleted item r3; 0 student(s) re-scored." in page.inner_text("[role=status]")
    with page.expect_navigation():
        items.nth(1).locator("button.delete").click()
    assert "alice_numpy\t1.5\t0.5" in page.inner_text("#rescored")
    assert "KL is not symmetric" not in page.inner_text("main")
    _eventually(lambda: _cell(out, "alice_numpy", "1a-prose") == "0.5")
    assert "r2 (KL is not symmetric) deleted" in me.go("/audit").inner_text("#audit")


def _a_subtractive_rubric_from_the_spec(me: Watched, out: Path) -> None:
    page = me.go("/mark/1c-derivation/0")
    assert "The marginal is not reached" in page.inner_text("#mark-form")
    me.key("2")  # 3 points, less 2
    assert "Marked 1 by instructor" in page.inner_text("#state")
    _eventually(lambda: _cell(out, "alice_numpy", "1c-derivation") == "1.0")


def _an_override_with_a_reason(me: Watched, out: Path) -> None:
    page = me.go("/overrides")
    page.fill("#o-submission", "ivan_unfinished")
    page.select_option("#o-question", "1b")
    page.fill("#o-points", "2")
    page.fill("#o-reason", "Regrade request: the sheet's wording of 1b was ambiguous")
    with page.expect_navigation():
        page.click("#override-form button")
    assert "Regrade request" in page.inner_text("#overrides")
    _eventually(lambda: _cell(out, "ivan_unfinished", "1b") == "2.0")
    _eventually(
        lambda: "Overridden from 0 to 2: Regrade request" in _letter(out, "ivan_unfinished")
    )


def _a_hostile_answer_is_inert(me: Watched) -> None:
    page = me.go(f"/mark/1a-prose/{NAMES.index('mallory_hostile')}")
    answer = page.locator("#answer-text")
    assert "<script>window.__pwned = 1" in answer.inner_text()
    assert "![tracker](https://evil.example/pixel.png)" in answer.inner_text()
    for tag in ("script", "img", "iframe", "style", "a", "[onerror]", "[src]", "[href]"):
        assert answer.locator(tag).count() == 0, tag
    _hostile_outputs_are_inert(page)
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("getComputedStyle(document.body).display") != "none"


def _hostile_outputs_are_inert(page: Any) -> None:
    """mallory's code cells beside the answer (tests.serve_class.HOSTILE_OUTPUTS): printed
    script, HTML with script, remote images, a refresh and a stylesheet, SVG with script, a
    fake PNG, Markdown with a javascript: link, JavaScript, an error, a megabyte of text."""
    cells = page.locator("#cells")
    text = cells.inner_text()
    assert "<script>window.__pwned = 1</script>red printed" in text  # colour codes dropped
    assert "HTML output, shown as its source" in text and "<iframe src=" in text
    assert "<Figure size 640x480>" in text and "type image/svg+xml, not shown" in text
    assert text.count("said to be image/png that is not one") == 2
    assert "[click](javascript:alert('md'))" in text and "<IPython.core.display.Javascript" in text
    assert "ValueError: <script>alert('e')</script>" in text
    assert "[... 990000 more characters not shown]" in text
    assert "line 48" in text and "line 49" not in text  # 11 outputs before, 60 in all
    assert "Outputs after the first 60 not shown." in text
    assert "not part of the answer" not in text  # a cell after the sheet's next one
    for tag in ("script", "iframe", "meta", "link", "style", "svg", "a", "object", "embed"):
        assert cells.locator(tag).count() == 0, tag
    for attribute in ("onerror", "onload", "href", "style"):
        assert cells.locator(f"[{attribute}]").count() == 0, attribute
    images = cells.locator("img")
    assert images.count() == 1  # the one real PNG, as a data: URI, decoded by the browser
    assert images.first.get_attribute("src").startswith("data:image/png;base64,iVBORw0KGgo")
    assert images.first.evaluate("i => [i.complete, i.naturalWidth]") == [True, 2]
    assert len(page.content()) < 200_000


def _a_conflict_between_two_tas(me: Watched, bob: Watched, out: Path) -> None:
    path = f"/mark/1a-prose/{NAMES.index('bob_copy')}"
    mine, his = me.go(path), bob.go(path)
    mine.fill("#points", "1")
    with mine.expect_navigation():
        mine.click("#save")
    his.fill("#points", "2")
    his.fill("#comment", "Bob's view")
    with his.expect_navigation():
        his.click("#save")
    conflict = his.inner_text("#conflict")
    assert "instructor saved a mark for bob_copy" in conflict
    assert "(version 1) after you opened it: 1" in conflict and "was not saved" in conflict
    with closing(OutputFolder(out).existing_store()) as store:
        state = store.mark_state("bob_copy", "1a-prose")
    assert (state.points, state.who, state.version) == (1.0, "instructor", 1)
    with his.expect_navigation():
        his.click("#reload")
    assert his.input_value("#points") == "1"


def _anonymous_mode(bob: Watched) -> None:
    page = bob.go("/mark/1a-prose/0")
    with page.expect_navigation():
        page.click("#anonymous")
    assert page.inner_text("#student") == "Student 1"
    shown = page.inner_text("h1") + page.inner_text(".marking") + page.title()
    assert not any(name in shown for name in NAMES)  # the answer is the student's own text


def _progress_and_audit(me: Watched) -> None:
    page = me.go("/")
    assert "3 of 5" in page.inner_text("#progress tr[data-question='1a-prose']")
    assert "instructor" in page.inner_text("#by-ta")
    audit = me.go("/audit").inner_text("#audit")
    assert "override" in audit and "rubric r1" in audit and "rubric item r1 now 0.5" in audit


def _the_report_and_exports(out: Path) -> None:
    """After the app: ``grader report`` writes the same marks from the store."""
    run = run_grader("report", out)
    assert run.returncode == 0, run.stderr
    book = _book(out)
    assert book["alice_numpy"]["1a-prose"] == "0.5" and book["ivan_unfinished"]["1b"] == "2.0"
    with (out / "manual-template.csv").open(encoding="utf-8") as fh:  # the CSV of marks, too
        rows = {(r["submission"], r["question"]): r for r in csv.DictReader(fh)}
    assert rows[("alice_numpy", "1a-prose")]["points"] in ("0.5", "0.50")
    assert rows[("alice_numpy", "1a-prose")]["comment"] == "Clear and complete."
    results = out / "export" / "gradescope" / "ivan_unfinished" / "results.json"
    data = json.loads(results.read_text(encoding="utf-8"))
    assert "Regrade request" in json.dumps(data)
