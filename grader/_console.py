"""What ``grader grade`` tells the person running it: progress while a batch runs, then a
summary and where the outputs went. Kept apart from the commands so each stays short."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader.results._folder import OutputFolder
from grader.results._neutralise import neutralise

if TYPE_CHECKING:  # the rest where it is used, so the command line starts light
    from grader.assignment._spec import Assignment
    from grader.grading import _batch
    from grader.grading._selfcheck import Checked
    from grader.results._model import SubmissionResult


def say_exports(
    out: Path, roster: dict[str, dict[str, str]] | None, pending: list[str], choice: str = "warn"
) -> None:
    """Where the exports went; names of the roster and the submissions that match nobody (on
    stderr, never dropped), and what became of the totals still waiting for hand marks (a
    blank cell is never left unsaid)."""
    if roster is None:
        click.echo("Exports: Gradescope only (--roster adds Canvas and Moodle gradebooks).")
        return
    folder = OutputFolder(out)
    path = folder.export("unmatched.csv")
    click.echo(f"Exports: {folder.export_dir}")
    if pending:
        _say_pending(pending, choice)
    from grader.report._exports import unmatched_rows

    rows = unmatched_rows(path)
    if rows:
        listed = "; ".join(f"{neutralise(name)} ({problem})" for name, problem in rows)
        click.echo(
            f"Warning: {len(rows)} name(s) not joined between the roster and the graded "
            f"submissions: {listed}. Listed in {path}.",
            err=True,
        )


def _say_pending(pending: list[str], choice: str) -> None:
    names = neutralise(", ".join(pending[:10])) + (
        f" and {len(pending) - 10} more" if len(pending) > 10 else ""
    )
    if choice == "zero":
        click.echo(
            f"Note: {len(pending)} submission(s) with answers not marked by hand were sent to "
            f"Canvas and Moodle with those answers as 0 (--pending zero): {names}.",
            err=True,
        )
    elif choice == "omit":
        click.echo(
            f"Note: {len(pending)} submission(s) with answers not marked by hand were left out "
            f"of the Canvas and Moodle files (--pending omit): {names}.",
            err=True,
        )
    else:
        click.echo(
            f"Warning: {len(pending)} submission(s) have answers not yet marked by hand, so "
            f"their Canvas and Moodle cells are BLANK: {names}. Merge the marks (grader report "
            "OUT --manual FILE), or run grader report OUT --pending zero (send them as 0) or "
            "--pending omit (leave those rows out).",
            err=True,
        )


def say_extensions(
    extensions: Mapping[str, object],
    submissions: list[str],
    roster: dict[str, dict[str, str]] | None,
) -> None:
    """An extension granted to nobody in the class is said (a typo in a student_id would
    otherwise leave a late student penalised unseen): it may name a submission's key or a
    roster's student_id."""
    known = set(submissions) | {s.get("student_id", "") for s in (roster or {}).values()}
    stray = sorted(s for s in extensions if s not in known)
    if stray:
        click.echo(
            f"Warning: {len(stray)} extension(s) name no student of this class: "
            f"{neutralise(', '.join(stray))}.",
            err=True,
        )


def summary(spec: Assignment, report: _batch.BatchReport) -> str:
    """The batch in one paragraph, with the class's totals worded as the class report words
    them (the same numbers: both read the batch's one table)."""
    from grader.report._late_text import class_late_text
    from grader.report._render_text import class_total_text

    text = (
        f"Graded {report.totals.count} submission(s) ({report.graded_now} now, "
        f"{report.resumed} resumed) in {report.seconds:.1f} s. {class_total_text(report.totals)}"
    )
    late = class_late_text(report.totals)
    if late:
        text += f" {late}"
    if report.totals.pending:
        text += " Mark the pending answers in manual-template.csv."
    return text


class Progress:
    """A progress bar on a terminal (done, failures, ETA). Elsewhere (CI logs, ``nohup``) a short
    line after every twentieth of the batch or every PROGRESS_SECONDS, and one at least every
    HEARTBEAT_SECONDS while a slow submission is graded: a long batch is never silent.

    Its total is what the batch grades now, as the batch says in :meth:`begin` once it knows
    (with ``--resume``, the submissions graded before are not counted: they are not graded)."""

    PROGRESS_SECONDS = 10.0
    HEARTBEAT_SECONDS = 60.0

    def __init__(self) -> None:
        self.total, self.done, self.failures = 0, 0, 0
        self.start = self.printed_at = time.monotonic()
        self.printed_done = 0
        self.bar = None
        self._stop = threading.Event()

    def begin(self, todo: int, resumed: int) -> None:
        """The batch grades ``todo`` notebooks now; ``resumed`` of its class were graded before."""
        self.total = todo
        self.start = self.printed_at = time.monotonic()
        if not todo:
            return
        if sys.stderr.isatty():
            from tqdm import tqdm

            desc = f"grading ({resumed} resumed)" if resumed else "grading"
            self.bar = tqdm(total=todo, unit="nb", desc=desc, file=sys.stderr)
        else:
            threading.Thread(target=self._heartbeat, daemon=True).start()

    def __call__(self, result: SubmissionResult) -> None:
        self.done += 1
        from grader.results._manual_questions import automatic_totals

        earned, possible = automatic_totals(result)
        if earned < possible:
            self.failures += 1
        if self.bar is not None:
            self.bar.set_postfix(below_full=self.failures)
            self.bar.update(1)
            return
        step = max(1, -(-self.total // 20))
        now = time.monotonic()
        if self.done - self.printed_done >= step or now - self.printed_at >= self.PROGRESS_SECONDS:
            self._line()

    def _line(self) -> None:
        elapsed = time.monotonic() - self.start
        text = f"{self._what()}, {elapsed:.0f} s"
        if 0 < self.done < self.total:
            text += f", about {elapsed / self.done * (self.total - self.done):.0f} s left"
        self.printed_at, self.printed_done = time.monotonic(), self.done
        click.echo(text, err=True)

    def _what(self) -> str:
        return f"grading: {self.done}/{self.total} done, {self.failures} below full marks"

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.HEARTBEAT_SECONDS / 4):
            if time.monotonic() - self.printed_at >= self.HEARTBEAT_SECONDS:
                self._line()

    def close(self) -> None:
        self._stop.set()
        if self.bar is not None:
            self.bar.close()


class MutantsProgress(Progress):
    """``grader validate --mutants`` on stderr: the stage it is at (making the mutants, grading
    them, trying the survivors on fresh inputs), and while grading, as :class:`Progress`, a line
    after every twentieth or every PROGRESS_SECONDS (a bar on a terminal); the survivors, each
    a kernel of its own on fresh inputs, the same way. Never a line per mutant."""

    def __init__(self) -> None:
        super().__init__()
        self.trying = False

    def begin(self, todo: int, resumed: int) -> None:
        self._stop = threading.Event()  # a stage before closed the one it had
        super().begin(todo, resumed)

    def stage(self, text: str) -> None:
        """What it starts doing now, said at once."""
        self.close()
        click.echo(f"mutants: {text}", err=True)

    def survivor(self, done: int, total: int) -> None:
        """``done`` of the ``total`` survivors tried on fresh inputs."""
        if not self.trying:
            self.trying, self.total, self.done = True, total, 0
            self.start = self.printed_at = time.monotonic()
            self.printed_done, self.bar = 0, None
            self._stop = threading.Event()
            threading.Thread(target=self._heartbeat, daemon=True).start()
        self.done = done
        step = max(1, -(-total // 20))
        now = time.monotonic()
        if done - self.printed_done >= step or now - self.printed_at >= self.PROGRESS_SECONDS:
            self._line()

    def close(self) -> None:
        super().close()
        self.bar = None  # closed: the next stage's lines are plain

    def _what(self) -> str:
        if self.trying:
            return f"mutants: tried {self.done}/{self.total} survivor(s) on fresh inputs"
        return f"mutants: graded {self.done}/{self.total}, {self.failures} caught"


def say_unanswered(rows: list[tuple[str, str]]) -> None:
    """The rows of a marks file whose answer, in the graded notebook, is empty or still the
    notebook's placeholder text (points given or not)."""
    if rows:
        shown = neutralise(", ".join(f"{s} {q}" for s, q in rows[:10]))
        more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
        click.echo(
            f"Unanswered: {len(rows)} row(s) whose answer is empty or still the notebook's "
            f"placeholder text: {shown}{more}."
        )


def write_check_outputs(checked: Checked, junit: Path | None, json_path: Path | None) -> None:
    """JUnit, JSON and (where GitHub Actions asks for it) the step summary."""
    from grader._files import write_atomic
    from grader.report import _ci

    args = (checked.result, checked.assignment.name, checked.public, checked.feedback)
    try:
        if junit is not None:
            write_atomic(junit, _ci.junit_xml(*args))
        if json_path is not None:
            write_atomic(json_path, _ci.check_json(*args))
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as stream:
                stream.write(_ci.step_summary(*args))
    except OSError as exc:
        raise click.UsageError(f"cannot write the check's output: {exc}") from None
