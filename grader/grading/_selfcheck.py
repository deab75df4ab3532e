"""``grader check``: one notebook's result per question, for a student or an instructor.

Inside a student bundle (no oracles present) only the public checks run, and the output says
plainly that the final grade also uses hidden checks. Every line goes out neutralised: feedback
and notes quote the notebook, which must not reach the terminal as control sequences.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.assignment._plan import GradingPlan
from grader.assignment._release import public_plan
from grader.assignment._spec import SPEC_FILE, load_assignment
from grader.errors import AssignmentNotFoundError
from grader.grading._notebook import grade_notebook
from grader.kernel._limits import Limits
from grader.results._render_text import question_text
from grader.results._text import neutralise


def self_check(
    notebook: Path, assignment: str | None, limits: Limits, echo: Callable[[str], None]
) -> bool:
    """Grade ``notebook``, print per question, and say whether it earned full marks."""
    spec = load_assignment(assignment or _bundle_of(notebook), bundle_ok=True)
    public = spec.oracles is None
    plan = public_plan(spec, limits) if public else GradingPlan.build(spec, limits)
    result = grade_notebook(plan, notebook)
    echo = _neutralised(echo)
    kind = "public checks" if public else "all checks"
    echo(f"{notebook.name}: {result.total:g}/{result.max_total:g} points on {kind}")
    for q in result.questions:
        echo(f"  {q.question}  {q.points:g}/{q.max_points:g}  {q.status}")
        if q.status != "ok":
            echo(f"      {question_text(result, q, show_expected=plan.show_expected)}")
    if result.notes:
        echo(f"  Notebook: {result.notes}")
    if public:
        echo(
            "These are the public checks only: the final grade also uses hidden checks, "
            "so passing them all is not a guarantee of full marks."
        )
    return result.total >= result.max_total


def _neutralised(echo: Callable[[str], None]) -> Callable[[str], None]:
    return lambda line: echo(neutralise(line))


def _bundle_of(notebook: Path) -> Path:
    for folder in notebook.resolve().parents:
        if (folder / SPEC_FILE).is_file():
            return folder
    raise AssignmentNotFoundError(
        str(notebook), [p / SPEC_FILE for p in notebook.resolve().parents][:3]
    )
