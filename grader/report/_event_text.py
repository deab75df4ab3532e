"""What happened to a notebook itself (its events), worded once for every format: the notes
column, the class report, a letter. Which events a student's letter leaves out (those standing
for the whole notebook, said in each question, and those for the instructor only) is decided
here too."""

from __future__ import annotations

from grader.report._style import PLAIN, Style
from grader.results._model import Event, SubmissionResult

#: Events that stand for the whole notebook (it was not graded question by question).
FATAL_EVENTS = ("invalid_notebook", "kernel_died", "grader_failed", "not_submitted")
#: Events for the instructor only: in the notes, never in a student's letter.
STAFF_EVENTS = ("mark_stale", "not_on_roster", "variant_other")


def event_text(event: Event, style: Style = PLAIN) -> str:
    params = event.params
    code = event.code
    if code in ("cell_failed", "timeout", "limit_hit"):
        message = params.get("message", "")
        if code == "limit_hit":
            over = f"it went over the grader's limit ({params.get('limit')})"
            message = f"{message}: {over}" if message else over
        return f"cell {params.get('cell')}: {params.get('status', code)} ({style.value(message)})"
    if code == "sockets_full":
        return (
            "resource_limit (it wrote more than the grader allows into its sockets folder, the "
            f"one host folder a kernel can write: {params.get('entries')} entries and "
            f"{params.get('mib'):g} MiB; writes past that failed)"
        )
    if code == "kernel_restarted":
        text = f"the kernel was restarted {params.get('restarts')} time(s) and the notebook rerun"
        if params.get("skipped"):
            text += f" without cell(s) {', '.join(str(c) for c in params['skipped'])}"
        return text
    if code == "mark_stale":
        return (
            f"{params.get('question')} was marked {params.get('points'):g}/{params.get('max'):g} "
            "on an earlier version of this notebook: mark it again"
        )
    if code == "imported":
        module = style.value(params.get("module", ""))
        return (
            f"{params.get('function')} is imported from {module}, not written in the notebook "
            "(it was graded as it is)"
        )
    if code == "not_on_roster":
        near = ", ".join(style.value(n) for n in params.get("near", []))
        text = "not on the roster: no student matches this submission"
        return f"{text} (nearest names: {near})" if near else text
    if code == "variant_other":
        text = (
            f"its numbers are those released to {style.value(params.get('student', ''))} "
            "(their signed variant): graded with this student's own numbers"
        )
        if params.get("submitted", True) is False:
            text += (
                ", and that student handed nothing in under their key: if the hand-ins are "
                "not named by student key, rename them as in manifest.csv or grade the "
                "download with --roster"
            )
        return text
    fixed = _FIXED_EVENTS.get(code)
    if fixed:
        return fixed
    return style.value(str(params.get("message", params.get("what", code))))


_FIXED_EVENTS = {
    "output_dropped": "output beyond the cap was dropped",
    "processes_survived": "some of its processes could not be killed",
    "executed_not_kept": "the executed notebook could not be kept",
    "variant_missing": "the notebook does not say whose numbers it has (no variant record): "
    "graded with the numbers released to this student",
    "variant_forged": "its variant record is edited or not the grader's: graded with the "
    "numbers released to this student",
}


def letter_events(result: SubmissionResult) -> list[Event]:
    """What a student's letter says happened to the notebook: neither what stands for the whole
    notebook (said in each question) nor what is for the instructor."""
    return [e for e in result.events if e.code not in (*FATAL_EVENTS, *STAFF_EVENTS)]
