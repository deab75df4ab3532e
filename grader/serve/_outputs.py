"""The folder's outputs written again after each change, in the background.

``grader report`` reads the marks from the store, so it sees a mark the moment it is saved;
the files already in OUT (gradebook, letters, exports) are written again by a thread a moment
later, once for any number of changes that came meanwhile, in a child process at a lower
priority (``grader report OUT``'s own code), so that the pages, which share neither its
interpreter lock nor its priority, stay fast on a class of a thousand.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

#: The child: every output written again from the store, as ``grader report OUT`` does.
_CHILD = (
    "import sys; from pathlib import Path; from grader.report._rebuild import rebuild; "
    "rebuild(Path(sys.argv[1]))"
)


class Rebuilder:
    """One background thread running the rebuild in a child whenever it is poked."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._wanted = threading.Event()
        self._stop = False
        self._child: subprocess.Popen[str] | None = None
        self._thread = threading.Thread(target=self._loop, name="grader-serve-rebuild", daemon=True)
        #: How many times the outputs were written; the last error, if the last write failed.
        self.done = 0
        self.error: str | None = None
        self._thread.start()

    def poke(self) -> None:
        self._wanted.set()

    def stop(self) -> None:
        """Stop at once: a rebuild under way is cut short (``grader report OUT`` redoes it)."""
        self._stop = True
        self._wanted.set()
        if self._child is not None and self._child.poll() is None:
            self._child.terminate()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            if self._stop:
                return
            self._wanted.clear()
            nice = ["nice", "-n", "10"] if shutil.which("nice") else []
            command = [*nice, sys.executable, "-c", _CHILD, str(self.out)]
            self._child = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            _, errors = self._child.communicate()
            # Kept for the progress page; the marks are safe in the store whatever happened.
            failed = self._child.returncode != 0 and not self._stop
            self.error = (errors.strip().splitlines() or ["failed"])[-1] if failed else None
            self.done += 1
