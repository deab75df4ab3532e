"""The pictures of docs/how-to/ta-app.md: ``grader serve`` on the small class of its tests, a
few answers marked, in headless Chromium (Playwright with the system's ``chromium``): the
marking and progress pages, a rubric, and the hostile student's code outputs as shown.

Usage::

    python tools/screenshot_serve.py docs/
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.serve_class import NAMES, make_class, running  # noqa: E402


def main() -> None:
    docs = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Error: no chromium on PATH (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as scratch:
        out = make_class(Path(scratch) / "out")
        with running(out) as (link, _), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium)
            page = browser.new_page(viewport={"width": 1200, "height": 640})
            page.goto(link)
            base = link.split("/login")[0]
            page.goto(base + "/mark/1c-derivation/0")
            with page.expect_navigation():
                page.keyboard.press("2")
            page.fill("#comment", "The multiplier is right; say why the marginal follows.")
            with page.expect_navigation():
                page.click("#save")
            page.goto(base + "/mark/1c-derivation/2")
            page.screenshot(path=str(docs / "ta-app-mark.png"))
            page.goto(base + "/")
            page.screenshot(path=str(docs / "ta-app-progress.png"))
            page.goto(base + "/rubric/1c-derivation")
            page.screenshot(path=str(docs / "ta-app-rubric.png"))
            page.goto(base + f"/mark/1a-prose/{NAMES.index('mallory_hostile')}")
            page.locator("#cells").screenshot(path=str(docs / "ta-app-outputs.png"))
            browser.close()


if __name__ == "__main__":
    main()
