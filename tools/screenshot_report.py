"""Screenshot a class report (``OUT/report.html``) in headless Chromium.

The pictures of the README and the docs (docs/report.png, and docs/letter.png from a letter's
HTML) are made with it, and tests/test_class_report.py uses it to keep a screenshot of the page
it checked. Needs ``chromium`` (or ``chromium-browser``) on
PATH; exits 2 with one ``Error: ...`` line where there is none or it fails.

Usage::

    python tools/screenshot_report.py OUT/report.html docs/report.png [--width 1000 --height 2200]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """Render ``page`` at ``width`` x ``height`` CSS pixels into ``png``."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise RuntimeError("no chromium on PATH (apt-get install -y chromium)")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png.resolve()}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    if run.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium failed ({run.returncode}): {run.stderr[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=2200)
    args = parser.parse_args()
    try:
        if not args.page.is_file():
            raise RuntimeError(f"no such page: {args.page}")
        screenshot(args.page, args.png, args.width, args.height)
    except RuntimeError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(f"Wrote {args.png}")


if __name__ == "__main__":
    main()
