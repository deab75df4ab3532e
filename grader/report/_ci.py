"""One notebook's check result for CI: JUnit XML, JSON and a Markdown step summary.

CI systems, IDEs and GitHub's checks tab read JUnit: one test case per check of the sheet, so a
student sees which function fails and why without opening a log. Each format is written from
the same ``SubmissionResult`` and the same feedback text as the terminal, so they never disagree.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict
from typing import Any

from grader.report._render_text import check_text, result_notes
from grader.results._context import NO_OPTIONS, FeedbackOptions
from grader.results._model import OK, CheckResult, QuestionResult, SubmissionResult, check_data
from grader.results._neutralise import neutralise
from grader.results._scores import total_of


def check_feedback(check: CheckResult, options: FeedbackOptions = NO_OPTIONS) -> str:
    """The feedback of one check as a student reads it (one line, safe to print), worded by
    the text renderer as the terminal and the CSVs word it."""
    if check.status == OK:
        return ""
    return neutralise(check_text(check, options))


def passed(result: SubmissionResult) -> bool:
    """Every automatic check agrees with the reference on every case it ran (a question graded
    by hand is not checked here)."""
    return all(q.status == OK for q in result.questions if not q.manual)


Row = tuple[QuestionResult, CheckResult, str]


def _failures(result: SubmissionResult) -> list[Row]:
    return [row for row in _checks(result) if row[1].status != OK]


def _checks(result: SubmissionResult, options: FeedbackOptions = NO_OPTIONS) -> list[Row]:
    """Each check with its question and feedback; a question graded as a whole (the notebook
    could not run) stands for its own check, its feedback the notebook's reason."""
    rows = []
    for q in result.questions:
        if q.manual:
            continue
        if not q.checks:
            rows.append(
                (q, CheckResult(q.question, q.status, 1.0), neutralise(result_notes(result)))
            )
        rows.extend((q, c, check_feedback(c, options)) for c in q.checks)
    return rows


def summary_line(result: SubmissionResult, public: bool) -> str:
    """The last line of ``grader check``: what passed, never a claim about the grade."""
    kind = "public checks" if public else "checks"
    hidden = "; hidden checks also count" if public else ""
    if passed(result):
        return f"all {kind} pass{hidden}"
    failing, total = len(_failures(result)), len(_checks(result))
    return f"{failing} of {total} {kind} fail{hidden}"


def junit_xml(
    result: SubmissionResult, assignment: str, public: bool, options: FeedbackOptions = NO_OPTIONS
) -> str:
    """JUnit XML: a test suite for the notebook, a test case per check named ``question.function``
    (class name = question), a ``<failure>`` holding the feedback for each check that fails."""
    rows = _checks(result, options)
    suite = ET.Element(
        "testsuite",
        name=f"{assignment} ({'public checks' if public else 'all checks'})",
        tests=str(len(rows)),
        failures=str(len(_failures(result))),
        errors="0",
        time=f"{result.seconds:.3f}",
    )
    for question, check, text in rows:
        case = ET.SubElement(
            suite, "testcase", classname=f"{assignment}.{question.question}", name=check.label
        )
        if check.status != OK:
            failure = ET.SubElement(case, "failure", type=check.status, message=text[:200])
            failure.text = text
    if result_notes(result):
        ET.SubElement(suite, "system-out").text = neutralise(f"Notebook: {result_notes(result)}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def check_document(
    result: SubmissionResult, assignment: str, public: bool, options: FeedbackOptions = NO_OPTIONS
) -> dict[str, Any]:
    """The same as data: every field of each check, its feedback rendered, the verdict."""
    rows = _checks(result, options)
    total = total_of(result)
    questions = []
    for question in result.questions:
        checks = [{**check_data(c), "feedback": text} for q, c, text in rows if q is question]
        fields = {k: v for k, v in asdict(question).items() if k != "checks"}
        questions.append({**fields, "checks": checks})
    return {
        "notebook": result.submission,
        "assignment": assignment,
        "scope": "public" if public else "all",
        "passed": passed(result),
        "summary": summary_line(result, public),
        "points": total.points,
        "max_points": total.max_points,
        "pending": list(total.pending),
        "notes": neutralise(result_notes(result)),
        "questions": questions,
    }


def check_json(
    result: SubmissionResult, assignment: str, public: bool, options: FeedbackOptions = NO_OPTIONS
) -> str:
    document = check_document(result, assignment, public, options)
    return json.dumps(document, indent=1, allow_nan=False, default=str) + "\n"


def _cell(text: str) -> str:
    return neutralise(text).replace("|", "\\|")


def step_summary(
    result: SubmissionResult, assignment: str, public: bool, options: FeedbackOptions = NO_OPTIONS
) -> str:
    """A Markdown table for ``GITHUB_STEP_SUMMARY``: one row per check."""
    lines = [
        f"### {_cell(assignment)}: {_cell(result.submission)}",
        "",
        "| question | check | result | feedback |",
        "| --- | --- | --- | --- |",
    ]
    for question, check, text in _checks(result, options):
        mark = "pass" if check.status == OK else check.status
        row = [question.question, check.label, mark, text]
        lines.append("| " + " | ".join(_cell(x) for x in row) + " |")
    if result_notes(result):
        lines += ["", f"Notebook: {_cell(result_notes(result))}"]
    lines += ["", f"**{summary_line(result, public)}**", ""]
    return "\n".join(lines) + "\n"
