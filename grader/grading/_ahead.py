"""The next submission's kernel, launched while a process grades the one before.

A process that grades notebooks one after another (the coordinator grading alone) knows which
comes next: before it grades the current one it reads the next notebook and launches that
notebook's kernel (``KernelSession.launch``: its own scratch folder, cgroup and sandbox, exactly
as at its turn), so the kernel boots on the other core while the current notebook's cells and
calls run, and at its turn the grader only connects to it. A kernel is never reused: each is
launched for one submission and torn down with it, and one launched ahead that is not needed
(Ctrl-C, a stopping worker, an error) is stopped and its folder removed like any session's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.assignment._plan import GradingPlan
from grader.grading._reading import Submission, read_submission
from grader.kernel import _phases
from grader.kernel._session import KernelSession


@dataclass
class Ahead:
    """The next notebook, read, and its session with a kernel launched (None: it needs no
    kernel, its notebook being unreadable, or the session was taken)."""

    path: Path
    submission: Submission
    session: KernelSession | None = None

    def take(self) -> KernelSession | None:
        """The session, now the caller's to run and tear down."""
        session, self.session = self.session, None
        return session

    def discard(self) -> None:
        """Stop a kernel that was launched but not taken, and remove its folder."""
        session = self.take()
        if session is not None:
            session.__exit__(None, None, None)


def launch_ahead(plan: GradingPlan, path: Path) -> Ahead | None:
    """Read ``path`` and launch its kernel; None where that failed (the notebook is then
    graded as without it, and meets the same failure at its turn). Ctrl-C and a stopping
    worker's KeyboardInterrupt go through."""
    with _phases.phase("start"):
        submission = read_submission(path)
    ahead = Ahead(path, submission)
    if submission.nb is None:
        return ahead
    try:
        session = KernelSession(path, plan.limits, plan.assignment.data_files, submission.nb)
        ahead.session = session.__enter__()
        session.launch()
    except Exception:
        ahead.discard()
        return None
    except BaseException:
        ahead.discard()
        raise
    return ahead
