"""``grader serve``, measured on a class of 1,000: how soon the first page comes after the
command, and how long each page takes.

    python benchmarks/serve.py [--class-size 1000] [--pages 200] [--keep]

Two notebooks are graded in real kernels; the class is made from them in the store (1,000
submissions, each with its own answers; grading them in kernels is another benchmark's
business), with every output written. Then ``python -m grader serve OUT --port 0`` is started
and timed from the moment the process is spawned to the moment the progress page has come back
(its link read from stdout, followed, the login redirect followed); so is ``python -m
grader.serve OUT 0``, the app without the rest of the command line's imports. Then, one request
at a time over a kept-alive connection: the progress page, marking pages of random students for
both manual questions, the rubric, overrides, audit and answer-groups pages, and saves of a
mark (each a POST, a version check, an audit row and a redirect, followed by its page). Prints
each kind's median, 95th percentile and maximum in milliseconds. Right after each first page,
the groups page is asked for at once (the app groups the answers in a child as it starts): how
long it took to answer, and how soon the groups themselves were shown. The machine's load
average is printed before and after (the figures vary with it). The outputs are written again
in the background after each save: the pages measured while that runs are in the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.report._rebuild import rebuild  # noqa: E402
from grader.results._folder import OutputFolder  # noqa: E402

EXAMPLES = ROOT / "examples" / "submissions"
QUESTIONS = ("1a-prose", "1c-derivation")


def make_class(out: Path, size: int) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "grader", "grade", "variational_inference",
         str(EXAMPLES / "alice_numpy.ipynb"), str(EXAMPLES / "ivan_unfinished.ipynb"),
         "--out", str(out), "--workers", "2"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(run.stderr)
    store = OutputFolder(out).existing_store()
    [(alice, sha)] = list(store.results(["alice_numpy"]))
    names = [f"student_{n:04d}" for n in range(size)]
    for n, name in enumerate(names):
        extra = {k: f"{v}\n\nStudent {n} adds a line of their own." for k, v in alice.extra.items()}
        store.put(replace(alice, submission=name, extra=extra), f"{sha[:-6]}{n:06d}")
    store.set_info({"submissions": json.dumps(names)})
    store.close()
    rebuild(out)


class Browser:
    """One kept-alive connection, with the login cookie."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body or None, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        cookie = response.getheader("set-cookie")
        if cookie and "grader_ta=" in cookie:
            self.cookie = cookie.split(";")[0]
        return response.status, response.getheader("location") or "", text


def timed(browser: Browser, method: str, path: str, body: str = "") -> tuple[float, str]:
    start = time.perf_counter()
    status, location, text = browser.request(method, path, body)
    if status == 303:
        status, _, text = browser.request("GET", location)
    if status != 200:
        raise SystemExit(f"{method} {path}: {status}")
    return (time.perf_counter() - start) * 1000, text


#: ``grader serve`` (the whole command line imported first), and the app's own entry point.
COMMANDS = {
    "grader serve OUT": ["-m", "grader", "serve", "{out}", "--port", "0"],
    "python -m grader.serve OUT": ["-m", "grader.serve", "{out}", "0"],
}


def first_page(out: Path, args: list[str]) -> tuple[subprocess.Popen[str], Browser, float, float]:
    """The app started: the process, a signed-in browser, the seconds from the command to the
    first page, and when the command started (``time.perf_counter``)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *(a.format(out=out) for a in args)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    link = urllib.parse.urlsplit(process.stdout.readline().strip())
    browser = Browser(link.port or 80)
    timed(browser, "GET", f"/login?{link.query}")
    return process, browser, time.perf_counter() - start, start


def groups_at_start(browser: Browser, started: float) -> tuple[float, float]:
    """The groups page asked for right after the first page: how long it took to answer (ms),
    and how soon after the command the groups themselves were shown (s)."""
    answered, _ = timed(browser, "GET", "/groups/1c-derivation")
    while True:
        _, text = timed(browser, "GET", "/groups/1c-derivation")
        if 'id="grouping"' not in text:
            return answered, time.perf_counter() - started
        time.sleep(0.05)


def measure(browser: Browser, size: int, pages: int) -> dict[str, list[float]]:
    rng = random.Random(0)
    figures: dict[str, list[float]] = {}

    def record(kind: str, method: str, path: str, body: str = "") -> str:
        ms, text = timed(browser, method, path, body)
        figures.setdefault(kind, []).append(ms)
        return text

    for _ in range(pages):
        record("mark page", "GET", f"/mark/{rng.choice(QUESTIONS)}/{rng.randrange(size)}")
    for kind, path in (("progress", "/"), ("rubric", "/rubric/1a-prose"),
                       ("overrides", "/overrides"), ("audit", "/audit"),
                       ("groups", "/groups/1c-derivation")):  # fmt: skip
        for _ in range(20):
            record(kind, "GET", path)
    for n in range(50):
        position = rng.randrange(size)
        page = record("mark page", "GET", f"/mark/1a-prose/{position}")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        version = re.search(r'name="version" value="([0-9]+)"', page).group(1)
        form = {"csrf": csrf, "version": version, "points": str(n % 3), "comment": f"c{n % 5}"}
        record("save a mark", "POST", f"/mark/1a-prose/{position}", urllib.parse.urlencode(form))
    return figures


def _load() -> str:
    """The machine's load averages over 1, 5 and 15 minutes, and its cores."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--class-size", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="grader-serve-bench-"))
    out = scratch / "out"
    try:
        made = time.perf_counter()
        make_class(out, args.class_size)
        print(f"class of {args.class_size} made in {time.perf_counter() - made:.1f} s ({out})")
        print(f"load average before: {_load()}")
        for name, command in reversed(COMMANDS.items()):
            process, browser, seconds, started = first_page(out, command)
            print(f"first page {seconds:.2f} s after `{name}` (budget 2 s)")
            answered, ready = groups_at_start(browser, started)
            print(
                f"  groups page asked for at once: answered in {answered:.1f} ms; the groups "
                f"shown {ready:.2f} s after the command"
            )
            if name != "grader serve OUT":
                process.terminate()
                process.wait(timeout=60)
        try:
            figures = measure(browser, args.class_size, args.pages)
        finally:
            process.terminate()
            process.wait(timeout=60)
        worst = 0.0
        print(f"{'page':<14}{'n':>5}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}")
        for kind, values in figures.items():
            values.sort()
            p95 = values[int(0.95 * (len(values) - 1))]
            worst = max(worst, values[-1])
            print(
                f"{kind:<14}{len(values):>5}{statistics.median(values):>11.1f}"
                f"{p95:>9.1f}{values[-1]:>9.1f}"
            )
        print(f"slowest page {worst:.1f} ms (budget 100 ms); load average after: {_load()}")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
