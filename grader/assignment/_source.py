"""One source notebook per assignment, split into the student's copy and the solution.

Instructors write the solution once, in the notebook they test it in, and mark what students must
not see, the way otter-grader's assign format and nbgrader do: solution regions in code cells
(``# BEGIN SOLUTION`` ... ``# END SOLUTION``, or one line ending in ``# SOLUTION``) and cell tags
(``question:ID``, ``student-only``, ``solution-only``). Two hand-kept copies drift apart; one
source and a deterministic split cannot. The copies keep the source's cell ids, carry no outputs
and are byte-identical on every rerun, so they can be committed and diffed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from grader._files import write_atomic
from grader.assignment._spec import check_spec, read_spec
from grader.errors import SourceNotebookError, SpecError

SOURCE_NOTEBOOK = "source.ipynb"
#: What a student finds where a solution region was (nbgrader's words), at the region's indent.
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
QUESTION_TAG = "question:"
STUDENT_ONLY = "student-only"
SOLUTION_ONLY = "solution-only"
MANUAL = "manual"
#: What a student finds in a markdown answer cell graded by hand (otter-grader's words).
ANSWER_PLACEHOLDER = "_Type your answer here, replacing this text._"

_REGION = re.compile(r"^(?P<indent>[ \t]*)#+[ \t]*(?P<what>BEGIN|END)[ \t]+SOLUTION[ \t]*$")
_ONE_LINE = re.compile(r"^(?P<code>[ \t]*\S.*?)[ \t]*#+[ \t]*SOLUTION[ \t]*$")
_ASSIGNMENT = re.compile(
    r"^(?P<target>[ \t]*[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*)"
    r"[ \t]*=(?!=)"
)
_NEW_CELL = {"code": new_code_cell, "markdown": new_markdown_cell, "raw": new_raw_cell}


@dataclass(frozen=True)
class Split:
    """The two notebooks a source gives, not yet written."""

    student: nbformat.NotebookNode
    solution: nbformat.NotebookNode
    #: The questions that have a markdown answer cell graded by hand.
    manual: frozenset[str] = frozenset()
    #: (question, cell id) of each answer cell graded by hand, in notebook order: how the
    #: grader finds a student's answer (the student copy keeps the ids, not the tags).
    answer_cells: tuple[tuple[str, str], ...] = ()


def source_path(folder: Path) -> Path:
    return folder / SOURCE_NOTEBOOK


def split_source(folder: Path) -> Split:
    """Read ``folder/source.ipynb`` and split it; refuse, naming the cell, what cannot be split."""
    raw = read_spec(folder)
    listed = [q for q in raw.get("questions", []) if isinstance(q, dict)]
    questions = {str(q.get("id")) for q in listed}
    by_hand = {str(q.get("id")) for q in listed if q.get("manual") is True}
    path = source_path(folder)
    try:
        source = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise SourceNotebookError(path, "the assignment", "there is no source notebook") from None
    except Exception as exc:  # nbformat raises many kinds for a file that is not a notebook
        raise SourceNotebookError(path, "the file", f"not a readable notebook ({exc})") from None
    student, solution, answers = [], [], []
    for index, cell in enumerate(source.cells):
        where = f"cell {index + 1} (id {cell.get('id', f'cell-{index + 1}')!r})"
        tags = list(cell.get("metadata", {}).get("tags", []))
        _check_tags(path, where, tags, questions)
        if STUDENT_ONLY in tags and SOLUTION_ONLY in tags:
            raise SourceNotebookError(
                path, where, f"tagged both {STUDENT_ONLY} and {SOLUTION_ONLY}"
            )
        student_text, solution_text = _split_text(path, where, cell)
        if MANUAL in tags:
            qid = _manual_question(path, where, cell, tags, by_hand)
            answers.append((qid, cell.get("id") or f"cell-{index + 1}"))
            student_text = ANSWER_PLACEHOLDER
        if SOLUTION_ONLY not in tags:
            student.append(_copy(cell, index, student_text))
        if STUDENT_ONLY not in tags:
            solution.append(_copy(cell, index, solution_text))
    manual = frozenset(qid for qid, _ in answers)
    return Split(_notebook(source, student), _notebook(source, solution), manual, tuple(answers))


def assign(folder: Path) -> tuple[Path, Path]:
    """Write the student and solution notebooks the spec names from the source notebook, once
    the spec passes the validation ``freeze`` and ``validate`` apply (:func:`check_spec`)."""
    check_spec(folder)
    raw = read_spec(folder)
    split = split_source(folder)
    paths = []
    for key, nb in (("student_notebook", split.student), ("solution_notebook", split.solution)):
        name = raw.get(key)
        if not isinstance(name, str) or not name:
            raise SpecError(folder / "spec.toml", f"{key} must name the notebook to write")
        write_atomic(folder / name, render(nb))
        paths.append(folder / name)
    return paths[0], paths[1]


def render(nb: nbformat.NotebookNode) -> str:
    """The file's text, as ``nbformat.write`` gives it: what byte-identical reruns compare."""
    return nbformat.writes(nb, version=4) + "\n"


def _check_tags(path: Path, where: str, tags: list[str], questions: set[str]) -> None:
    for tag in tags:
        if tag.startswith(QUESTION_TAG) and tag[len(QUESTION_TAG) :] not in questions:
            raise SourceNotebookError(
                path,
                where,
                f"tag {tag!r} names a question the spec does not have "
                f"(its questions: {', '.join(sorted(questions)) or 'none'})",
            )


def _manual_question(path: Path, where: str, cell: Any, tags: list[str], by_hand: set[str]) -> str:
    """A cell answered by hand must be markdown and belong to a question graded by hand."""
    if cell.cell_type != "markdown":
        raise SourceNotebookError(
            path, where, "only markdown cells can be tagged manual; mark code with # BEGIN SOLUTION"
        )
    ids = [t[len(QUESTION_TAG) :] for t in tags if t.startswith(QUESTION_TAG)]
    if len(ids) != 1 or ids[0] not in by_hand:
        raise SourceNotebookError(
            path,
            where,
            "a cell tagged manual needs one question:ID tag naming a question with "
            f"manual = true in the spec (those: {', '.join(sorted(by_hand)) or 'none'})",
        )
    return ids[0]


def _split_text(path: Path, where: str, cell: Any) -> tuple[str, str]:
    """A code cell's student and solution text; other cells are the same in both."""
    if cell.cell_type != "code":
        return cell.source, cell.source
    student: list[str] = []
    solution: list[str] = []
    begin: tuple[int, str] | None = None
    for number, line in enumerate(cell.source.split("\n"), start=1):
        region = _REGION.match(line)
        if region and region["what"] == "BEGIN":
            if begin is not None:
                raise SourceNotebookError(
                    path,
                    where,
                    f"line {number}: BEGIN SOLUTION inside the region opened on "
                    f"line {begin[0]}; close it with # END SOLUTION first",
                )
            begin = (number, region["indent"])
            student.extend(begin[1] + stub for stub in STUB)
        elif region:
            if begin is None:
                raise SourceNotebookError(
                    path, where, f"line {number}: END SOLUTION without a BEGIN SOLUTION before it"
                )
            begin = None
        elif begin is not None:
            solution.append(line)
        else:
            student.append(_student_line(line))
            solution.append(_solution_line(line))
    if begin is not None:
        raise SourceNotebookError(
            path, where, f"line {begin[0]}: BEGIN SOLUTION is never closed by # END SOLUTION"
        )
    return "\n".join(student), "\n".join(solution)


def _student_line(line: str) -> str:
    one = _ONE_LINE.match(line)
    if not one:
        return line
    target = _ASSIGNMENT.match(one["code"])
    if target:
        return f"{target['target']} = ..."
    indent = one["code"][: len(one["code"]) - len(one["code"].lstrip())]
    return indent + STUB[1]


def _solution_line(line: str) -> str:
    one = _ONE_LINE.match(line)
    return one["code"] if one else line


def _copy(cell: Any, index: int, text: str) -> nbformat.NotebookNode:
    """The cell with ``text``, its id and metadata, without outputs or the grader's tags."""
    metadata = {k: v for k, v in cell.get("metadata", {}).items() if k != "tags"}
    tags = [t for t in cell.get("metadata", {}).get("tags", []) if not _ours(t)]
    if tags:
        metadata["tags"] = tags
    return _NEW_CELL[cell.cell_type](
        text, id=cell.get("id") or f"cell-{index + 1}", metadata=metadata
    )


def _ours(tag: str) -> bool:
    return tag.startswith(QUESTION_TAG) or tag in (STUDENT_ONLY, SOLUTION_ONLY, MANUAL)


def _notebook(source: nbformat.NotebookNode, cells: list[Any]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells, metadata=dict(source.metadata))
    nbformat.validate(nb)
    return nb
