"""``grader check``: one notebook's result per question, for a student or an instructor.

Inside a student bundle (no oracles present) only the public checks run, and the output says
plainly that the final grade also uses hidden checks. Every line goes out neutralised: feedback
and notes quote the notebook, which must not reach the terminal as control sequences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.assignment._plan import GradingPlan
from grader.assignment._release import public_plan
from grader.assignment._spec import SPEC_FILE, Assignment, load_assignment
from grader.errors import NotInBundleError
from grader.grading._notebook import grade_notebook
from grader.grading._unpublished import own_values_plan
from grader.kernel._limits import Limits
from grader.report._ci import passed, summary_line
from grader.report._render_text import question_text, result_notes
from grader.results._context import NO_OPTIONS, FeedbackOptions
from grader.results._manual_questions import automatic_totals, with_marks
from grader.results._model import INVALID_NOTEBOOK, OK, SubmissionResult
from grader.results._neutralise import neutralise


@dataclass(frozen=True)
class Checked:
    """A checked notebook: its result, and whether only the public checks ran."""

    assignment: Assignment
    result: SubmissionResult
    public: bool
    #: What feedback may say (the expected answers: always, for the public cases).
    feedback: FeedbackOptions = NO_OPTIONS

    @property
    def passed(self) -> bool:
        return passed(self.result)

    @property
    def invalid(self) -> bool:
        """The file is not a notebook the grader can run: nothing was checked."""
        return any(q.status == INVALID_NOTEBOOK for q in self.result.questions)


def plan_for(notebook: Path, assignment: str | Path | None, limits: Limits) -> GradingPlan:
    """The bundle's public plan (found from the notebook's folders), or an assignment's full one."""
    spec = load_assignment(assignment or bundle_of(notebook), bundle_ok=True)
    return public_plan(spec, limits) if spec.oracles is None else GradingPlan.build(spec, limits)


def run_check(notebook: Path, assignment: str | Path | None, limits: Limits) -> Checked:
    """The notebook checked, with the questions graded by hand as pending (never a zero), so
    its totals are those its letter will show."""
    plan = own_values_plan(plan_for(notebook, assignment, limits), notebook)
    [result] = with_marks([grade_notebook(plan, notebook)], {}, plan.assignment, {})
    return Checked(
        plan.assignment,
        result,
        plan.assignment.oracles is None,
        FeedbackOptions(show_expected=plan.show_expected),
    )


def print_check(checked: Checked, echo: Callable[[str], None]) -> None:
    """Per question, its feedback where it fails, and last the verdict on a line of its own."""
    result, public = checked.result, checked.public
    echo = _neutralised(echo)
    kind = "public checks" if public else "all checks"
    earned, possible = automatic_totals(result)
    echo(f"{result.submission}: {earned:g}/{possible:g} points on {kind}")
    for q in result.questions:
        if q.manual:
            continue
        echo(f"  {q.question}  {q.points:g}/{q.max_points:g}  {q.status}")
        if q.status != OK:
            echo(f"      {question_text(result, q, checked.feedback)}")
    if result_notes(result):
        echo(f"  Notebook: {result_notes(result)}")
    manual = checked.assignment.manual_questions
    if manual:
        names = ", ".join(q.id for q in manual)
        points = sum(q.points for q in manual)
        echo(f"Graded by hand later, not counted here: {names} ({points:g} points).")
    if public:
        echo(
            "These are the public checks only: the final grade also uses hidden checks, "
            "so passing them all is not a guarantee of full marks."
        )
    echo(summary_line(result, public))


def self_check(
    notebook: Path, assignment: str | None, limits: Limits, echo: Callable[[str], None]
) -> bool:
    """Grade ``notebook``, print per question, and say whether every check passed."""
    checked = run_check(notebook, assignment, limits)
    print_check(checked, echo)
    return checked.passed


def _neutralised(echo: Callable[[str], None]) -> Callable[[str], None]:
    return lambda line: echo(neutralise(line))


def bundle_of(notebook: Path) -> Path:
    """The student bundle (a folder with a spec) the notebook sits in."""
    for folder in notebook.resolve().parents:
        if (folder / SPEC_FILE).is_file():
            return folder
    raise NotInBundleError(notebook, [p / SPEC_FILE for p in notebook.resolve().parents][:3])
