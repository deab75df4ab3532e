"""The output folder (``--out``): the one object that knows where each of its files goes.

Every writer is handed its path by an :class:`OutputFolder`, and the store is opened only through
it, so no other module builds a path under OUT or opens a file there. It also holds the rules
of a folder's life: a folder belongs to one assignment, and its class is the set of submissions
in its store. ``grader grade`` into a folder that already holds a class refuses unless told to
add to it (``--resume``) or to start over (``--overwrite``, which clears what the grader computed
and keeps what people entered: the hand marks); after every command, :meth:`OutputFolder.prune`
removes the grader's files of any submission outside the class.

Light to import (no pandas): a batch's worker processes use it to name the executed notebook.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

from grader._files import output_name, write_atomic
from grader.errors import OutputError
from grader.results._store import Store

STORE = "results.sqlite"
SCORES = "scores.csv"
GRADEBOOK = "gradebook.csv"
CHECKS = "checks.csv"
REPORT = "report.html"
MANUAL_TEMPLATE = "manual-template.csv"
#: What ``grader grade`` found in an LMS download: each file, its student, and what became of it.
INTAKE = "intake.csv"
#: What ``grader similarity OUT`` writes.
SIMILARITY_CSV = "similarity.csv"
SIMILARITY_CLUSTERS = "similarity-clusters.csv"
SIMILARITY_HTML = "similarity.html"
FEEDBACK = "feedback"
EXECUTED = "executed"
EXPORT = "export"
GRADESCOPE = "gradescope"
#: The exports joined with a roster (``--roster``), and the roster they kept.
ROSTER_EXPORTS = ("canvas.csv", "moodle.csv", "unmatched.csv", "roster.json")
#: Files under OUT the grader computes, one each (the per-submission ones are below).
_SINGLE = (SCORES, GRADEBOOK, CHECKS, REPORT, MANUAL_TEMPLATE, INTAKE)
_SIMILARITY = (SIMILARITY_CSV, SIMILARITY_CLUSTERS, SIMILARITY_HTML)
#: The suffixes of a submission's letters under ``feedback/``.
_LETTERS = (".md", ".html")


class OutputFolder:
    """OUT: its layout (every path), its store, its atomic writes, and its clearing."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"OutputFolder({str(self.root)!r})"

    # -- layout -------------------------------------------------------------------------------
    @property
    def store_path(self) -> Path:
        return self.root / STORE

    @property
    def scores_csv(self) -> Path:
        return self.root / SCORES

    @property
    def gradebook_csv(self) -> Path:
        return self.root / GRADEBOOK

    @property
    def checks_csv(self) -> Path:
        return self.root / CHECKS

    @property
    def report_html(self) -> Path:
        return self.root / REPORT

    @property
    def manual_template(self) -> Path:
        return self.root / MANUAL_TEMPLATE

    @property
    def intake_csv(self) -> Path:
        return self.root / INTAKE

    @property
    def similarity_csv(self) -> Path:
        return self.root / SIMILARITY_CSV

    @property
    def similarity_clusters_csv(self) -> Path:
        return self.root / SIMILARITY_CLUSTERS

    @property
    def similarity_html(self) -> Path:
        return self.root / SIMILARITY_HTML

    @property
    def feedback_dir(self) -> Path:
        return self.root / FEEDBACK

    @property
    def executed_dir(self) -> Path:
        return self.root / EXECUTED

    @property
    def export_dir(self) -> Path:
        return self.root / EXPORT

    @property
    def gradescope_dir(self) -> Path:
        return self.export_dir / GRADESCOPE

    def export(self, name: str) -> Path:
        """``export/NAME``: ``canvas.csv``, ``moodle.csv``, ``unmatched.csv``, ``roster.json``."""
        assert name in ROSTER_EXPORTS, name
        return self.export_dir / name

    def feedback(self, submission: str, suffix: str) -> Path:
        """``feedback/<submission>.md`` or ``.html`` (a name too long shortened, with a hash)."""
        return self.feedback_dir / output_name(submission, suffix)

    def executed(self, submission: str) -> Path:
        """``executed/<submission>.ipynb``: the notebook as the grader ran it."""
        return self.executed_dir / output_name(submission, ".ipynb")

    def gradescope(self, submission: str) -> Path:
        """``export/gradescope/<submission>/results.json``."""
        return self.gradescope_dir / _gradescope_folder(submission) / "results.json"

    # -- writing ------------------------------------------------------------------------------
    def write(self, path: Path, text: str) -> None:
        """Write one of this folder's files atomically (temporary file, then rename)."""
        write_atomic(path, text)

    # -- the store ----------------------------------------------------------------------------
    def open_store(self, meta: dict[str, str], resume: bool) -> Store:
        """The store of a batch: its identity ``meta`` checked against the stored one (resume),
        or the graded rows cleared (a new run; hand marks stay)."""
        return Store(self.store_path, meta, resume)

    def existing_store(self, read_only: bool = False) -> Store:
        """The store of an earlier run, as it is (``grader report``, ``grader similarity``)."""
        return Store.existing(self.store_path, read_only)

    def held_class(self) -> tuple[str, int] | None:
        """``(assignment, submissions)`` of the class stored here, or None where none is."""
        if not self.store_path.is_file():
            return None
        store = self.existing_store()
        try:
            count = len(store.done())
            assignment = store.meta().get("assignment", "?")
        finally:
            store.close()
        return (assignment, count) if count else None

    # -- a folder's life ----------------------------------------------------------------------
    def check_reuse(self, resume: bool, overwrite: bool) -> None:
        """Before a batch: refuse a reuse that would mix two runs (nothing is changed here)."""
        if resume and overwrite:
            raise OutputError(
                "--resume adds to the class in --out and --overwrite starts over: give one"
            )
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"the output folder {self.root} is a file; pass a folder for --out")
        held = self.held_class()
        if held is not None and not resume and not overwrite:
            raise OutputError(
                f"{self.root} already holds the graded class of {held[0]} ({held[1]} "
                "submission(s)): --resume adds to it (what is graded stays), --overwrite starts "
                "over (hand marks are kept); or grade into another --out folder"
            )

    def claim(self, resume: bool) -> None:
        """A batch starts here (after ``check_reuse``, once its plan is built): a new run
        clears every file the grader computed, keeping the hand marks; a resumed one adds."""
        if not resume:
            self.clear()
        self.executed_dir.mkdir(parents=True, exist_ok=True)

    def clear(self) -> None:
        """Remove every file the grader computed here (the graded rows of the store, letters,
        executed notebooks, exports, reports, similarity), never another file, nor the marks
        given by hand (kept in the store)."""
        if self.store_path.is_file():
            store = self.existing_store()
            try:
                store.clear_run()
            finally:
                store.close()
        for name in _SINGLE + _SIMILARITY:
            (self.root / name).unlink(missing_ok=True)
        for path in self._roster_exports():
            path.unlink(missing_ok=True)
        self.prune(())

    def prune(self, submissions: Iterable[str], roster: bool = True) -> None:
        """Remove the grader's per-submission files of every submission not in ``submissions``
        (the store's class), and the roster's exports where none was joined. Only files the
        grader wrote: those of the submissions the store says it wrote for (kept across runs),
        so a foreign file stays, whatever its name (``feedback/README.md``)."""
        for name in sorted(self._written() - set(submissions)):
            for path in self._per_submission(name):
                if path.is_file() or path.is_symlink():
                    path.unlink(missing_ok=True)  # a link itself, never what it points to
            _remove_if_empty(self.gradescope(name).parent)
        if not roster:
            for path in self._roster_exports():
                path.unlink(missing_ok=True)
        for folder in (self.feedback_dir, self.gradescope_dir, self.export_dir):
            _remove_if_empty(folder)

    def _per_submission(self, name: str) -> tuple[Path, ...]:
        """Every file the grader writes for one submission."""
        letters = tuple(self.feedback(name, suffix) for suffix in _LETTERS)
        return (*letters, self.executed(name), self.gradescope(name))

    def _written(self) -> set[str]:
        if not self.store_path.is_file():
            return set()
        store = self.existing_store()
        try:
            return store.written()
        finally:
            store.close()

    def _roster_exports(self) -> list[Path]:
        return [self.export(name) for name in ROSTER_EXPORTS]


def _gradescope_folder(submission: str) -> str:
    folder = output_name(submission, "")  # a name too long for a folder: shortened
    if folder in (".", ".."):  # a notebook named "..ipynb" stays inside its folder
        folder = folder.replace(".", "%2E")
    return folder


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()  # only an empty folder is removed
