"""The pictures of docs/how-to/ta-app.md: ``grader serve`` on the small class of its tests, a
few answers marked, in headless Chromium (Playwright with the system's ``chromium``): the
marking and progress pages, a rubric, and an answer with the student's code and its outputs.

Usage::

    python tools/screenshot_serve.py docs/
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from grader.results._folder import OutputFolder  # noqa: E402
from tests.serve_class import NAMES, make_class, running  # noqa: E402


def main() -> None:
    docs = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Error: no chromium on PATH (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as scratch:
        out = make_class(Path(scratch) / "out")
        _with_a_plot(out, "carol_copy")
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
            page.goto(base + f"/mark/1a-prose/{NAMES.index('carol_copy')}")
            page.locator("#answer").screenshot(path=str(docs / "ta-app-outputs.png"))
            browser.close()


def _with_a_plot(out: Path, name: str) -> None:
    """``name``'s notebook as graded: alice's, with a cell of their own after the 1a-prose
    answer that prints a value and draws a figure (a PNG, as Jupyter keeps it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    q = np.linspace(0.01, 0.99, 99)
    kl = q * np.log(q / 0.5) + (1 - q) * np.log((1 - q) / 0.5)
    figure, axes = plt.subplots(figsize=(4.5, 2.4), dpi=80)
    axes.plot(q, kl)
    axes.set_xlabel("q")
    axes.set_ylabel("KL(Bern(q) || Bern(0.5))")
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png")
    source = (
        "q = np.linspace(0.01, 0.99, 99)\n"
        "kl = [kl_divergence([x, 1 - x], [0.5, 0.5]) for x in q]\n"
        'print(f"smallest KL {min(kl):.4f} at q = {q[np.argmin(kl)]:.2f}")\n'
        "plt.plot(q, kl)"
    )
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "smallest KL 0.0000 at q = 0.50\n"},
        {"output_type": "display_data", "metadata": {}, "data": {
            "image/png": base64.b64encode(image.getvalue()).decode(),
            "text/plain": "<Figure size 450x240 with 1 Axes>"}},
    ]  # fmt: skip
    folder = OutputFolder(out)
    nb = json.loads(folder.executed("alice_numpy").read_text(encoding="utf-8"))
    at = [cell.get("id") for cell in nb["cells"]].index("q1a-prose-answer") + 1
    cell = {"cell_type": "code", "id": "carol-plot", "metadata": {}, "source": source,
            "execution_count": 7, "outputs": outputs}  # fmt: skip
    nb["cells"].insert(at, cell)
    folder.executed(name).write_text(json.dumps(nb), encoding="utf-8")


if __name__ == "__main__":
    main()
