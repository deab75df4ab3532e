"""``pytest --grade NOTEBOOK``: each check of the sheet as a pytest item.

Registered through the ``pytest11`` entry point, so it loads in every pytest run where the
grader is installed: without ``--grade`` it does nothing, and it imports nothing of the grader
until asked. The notebook is graded once, as ``grader check`` grades it (the same plan, result and
feedback), when the first item runs; each item then reports its own check. pytest's options
(``-k 1b``, ``-x``, ``--junitxml``), IDEs and CI parsers work on it as on any test.

A folder of notebooks may hold a ``conftest.py`` (in the notebook's folder, a folder above it,
the current folder or a ``test*`` folder in it), and pytest imports each it finds as the user
running pytest, outside any sandbox. With ``--grade`` pytest loads none (as ``--noconftest``):
the plugin says so before pytest looks for them. pytest's own configuration (``pytest.ini``,
``pyproject.toml``, ``tox.ini``, ``setup.cfg`` of the current folder and those above it) is read
before any plugin loads, so no plugin can stop its ``addopts``: the header says that the folder
pytest runs from is trusted, and ``docs/explanation/isolation.md`` tells instructors to use
``grader check`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_OPTION = "grade"
#: Spec keys naming Python files that loading the assignment imports.
_CODE_KEYS = ("checks", "oracles")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "grading a notebook with the grader")
    group.addoption(
        "--grade",
        dest=_OPTION,
        metavar="NOTEBOOK",
        default=None,
        help="Check NOTEBOOK against its assignment's public checks: one item per check.",
    )
    group.addoption(
        "--grade-assignment",
        dest="grade_assignment",
        metavar="ASSIGNMENT",
        default=None,
        help="Assignment folder or name (default: the bundle the notebook sits in).",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before pytest imports any conftest.py (its own implementation of this hook runs last, and
    it is what reads ``noconftest``): with ``--grade``, none at all, here or at collection."""
    if getattr(early_config.known_args_namespace, _OPTION, None) is not None:
        early_config.known_args_namespace.noconftest = True


def pytest_report_header(config: pytest.Config) -> list[str]:
    if config.getoption(_OPTION) is None:
        return []
    return [
        "grader --grade: no conftest.py is loaded; pytest's configuration and the folder "
        "pytest runs from are trusted (for a notebook not your own: grader check)"
    ]


def pytest_configure(config: pytest.Config) -> None:
    """The notebook is what is collected: alone, or beside the paths given on the command line."""
    notebook = config.getoption(_OPTION)
    if notebook is None:
        return
    if not Path(notebook).is_file():
        raise pytest.UsageError(f"--grade: no such notebook: {notebook}")
    if config.getoption("grade_assignment") is None:
        _refuse_code_beside(Path(notebook))
    if config.args_source == pytest.Config.ArgsSource.ARGS and config.args:
        config.args.append(notebook)
    else:
        config.args[:] = [notebook]


def _refuse_code_beside(notebook: Path) -> None:
    """The assignment found from the notebook's folders is read as data: a student's bundle
    names no Python file (``grader release`` leaves those keys out), so a spec there that names
    one is someone else's code that would run as the user, outside any sandbox."""
    from grader.assignment._spec import read_spec
    from grader.errors import GraderError
    from grader.grading._selfcheck import bundle_of

    try:
        folder = bundle_of(notebook)
        named = sorted(key for key in read_spec(folder) if key in _CODE_KEYS)
    except GraderError:
        return  # no bundle, or an unreadable spec: collecting says so
    if named:
        raise pytest.UsageError(
            f"--grade: {folder / 'spec.toml'} names Python files ({', '.join(named)}) that would "
            "run as you, outside any sandbox; pass --grade-assignment with an assignment you trust"
        )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    notebook = parent.config.getoption(_OPTION)
    if notebook is None or file_path.resolve() != Path(notebook).resolve():
        return None
    return GradedNotebook.from_parent(parent, path=file_path)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The same last word as ``grader check``: never a claim about the grade."""
    for notebook in getattr(config, "_graded_notebooks", ()):
        if notebook.checked is not None:
            from grader.report._ci import summary_line

            checked = notebook.checked
            terminalreporter.write_line(
                f"{notebook.path.name}: {summary_line(checked.result, checked.public)}"
            )


class GradedNotebook(pytest.File):
    """A notebook: one collector per question of its assignment, graded when first needed."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        from grader.grading._selfcheck import plan_for
        from grader.kernel._limits import Limits

        self.checked: Any = None
        self.error = ""
        self.plan = plan_for(self.path, self.config.getoption("grade_assignment"), Limits())
        graded = getattr(self.config, "_graded_notebooks", [])
        self.config._graded_notebooks = [*graded, self]  # type: ignore[attr-defined]
        for question in self.plan.assignment.questions:
            yield GradedQuestion.from_parent(self, name=question.id, question=question)

    def result(self) -> Any:
        """Graded once for all its items; the grader's own error (no sandbox, say) is each
        item's one-line failure, never a traceback through pytest."""
        from grader.errors import GraderError

        if self.error:
            raise CheckFailed(self.error)
        if self.checked is None:
            from grader.grading._notebook import grade_notebook
            from grader.grading._selfcheck import Checked
            from grader.results._context import FeedbackOptions
            from grader.results._neutralise import neutralise

            try:
                result = grade_notebook(self.plan, self.path)
            except GraderError as exc:
                self.error = neutralise(f"Error: {exc}")
                raise CheckFailed(self.error) from None
            public = self.plan.assignment.oracles is None
            feedback = FeedbackOptions(show_expected=self.plan.show_expected)
            self.checked = Checked(self.plan.assignment, result, public, feedback)
        return self.checked.result


class GradedQuestion(pytest.Collector):
    def __init__(self, *, question: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.question = question

    def collect(self) -> Iterator[pytest.Item]:
        for check in self.question.checks:
            yield GradedCheck.from_parent(self, name=check.label)


class CheckFailed(Exception):
    """A check that does not pass; its message is the grader's feedback."""


class GradedCheck(pytest.Item):
    def runtest(self) -> None:
        from grader.report._ci import check_feedback
        from grader.report._render_text import result_notes
        from grader.results._model import OK

        notebook = self.parent.parent
        result = notebook.result()
        question = next(q for q in result.questions if q.question == self.parent.name)
        check = next((c for c in question.checks if c.label == self.name), None)
        if check is None:  # the notebook as a whole could not be graded
            raise CheckFailed(f"{question.status}: {result_notes(result)}")
        if check.status != OK:
            raise CheckFailed(f"{check.status}: {check_feedback(check, notebook.checked.feedback)}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.parent.name}::{self.name}"
