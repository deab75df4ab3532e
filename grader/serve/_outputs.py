"""The folder's outputs written again after each change, in the background.

``grader report`` reads the marks from the store, so it sees a mark the moment it is saved;
the files already in OUT (gradebook, letters, exports) are written again by a thread a moment
later, once for any number of changes that came meanwhile, so that saving a mark stays fast on
a class of a thousand.
"""

from __future__ import annotations

import threading
from pathlib import Path

from grader.report._rebuild import rebuild


class Rebuilder:
    """One background thread calling :func:`rebuild` whenever it is poked."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._wanted = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="grader-serve-rebuild", daemon=True)
        #: How many times the outputs were written; the last error, if the last write failed.
        self.done = 0
        self.error: str | None = None
        self._thread.start()

    def poke(self) -> None:
        self._wanted.set()

    def stop(self) -> None:
        self._stop = True
        self._wanted.set()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            if self._stop:
                return
            self._wanted.clear()
            try:
                rebuild(self.out)
                self.error = None
            except Exception as exc:  # shown on the progress page; the marks are in the store
                self.error = f"{type(exc).__name__}: {exc}"
            self.done += 1
