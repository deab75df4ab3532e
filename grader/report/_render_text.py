"""Feedback as plain text (the CSV feedback column, the notes, the terminal), worded from the
results' data; the Markdown and HTML renderers word it here too, through their own :class:`Style`.

Every piece of text that came from a notebook (a value shown, an exception's message, a name it
defines) goes through ``style.value``; other text that may hold markup characters (instructors'
statements and descriptions, the comparisons' phrases) through ``style.words``. The fixed words
written here hold no markup character, so a style that escapes those two pieces makes the whole
sentence safe in its format. Plain text is neutralised where it is written (``_tables``,
``_selfcheck``). A hidden expected value is shown only when ``show_expected`` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from grader.report._event_text import FATAL_EVENTS, event_text
from grader.report._style import PLAIN, Style, cap
from grader.report._wording import mismatch_text
from grader.results._context import NO_OPTIONS, FeedbackOptions
from grader.results._model import (
    NOT_SUBMITTED,
    PENDING,
    CheckResult,
    Event,
    QuestionResult,
    ReasonCode,
    SubmissionResult,
)
from grader.results._scores import ClassTotals, Total
from grader.results._values import show

#: Codes of a wrong answer that came back (as opposed to none coming back).
VALUE_CODES: tuple[ReasonCode, ...] = (
    "wrong_value",
    "not_finite",
    "wrong_shape",
    "wrong_type",
    "returned_none",
    "comparator",
)


def question_text(
    result: SubmissionResult,
    question: QuestionResult,
    options: FeedbackOptions = NO_OPTIONS,
    style: Style = PLAIN,
) -> str:
    """One question's feedback: each failing check's sentences, each said once."""
    if question.manual and question.status != NOT_SUBMITTED:
        return style.words(question.comment) if question.comment else _pending(question)
    if question.comment:  # an automatic question overridden by hand: the reason, never silent
        return style.words(question.comment)
    if not question.checks:
        fatal = [e for e in result.events if e.code in FATAL_EVENTS]
        return event_text(fatal[0], style) if fatal else ""
    failed = [c for c in question.checks if not c.passed]
    if not failed:
        return all_agree(question.checks)
    texts = [check_text(c, options, style) for c in failed]
    return cap(" ".join(dict.fromkeys(texts)))


def all_agree(checks: tuple[CheckResult, ...]) -> str:
    """A question whose checks all pass. One check per function: the functions are counted;
    with values read from the notebook or several checks of a function, each check is counted
    as it is. One of either is said in the singular ("The one check agrees ...")."""
    if len(checks) == 1:
        (check,) = checks
        if check.variable:
            return "The one check agrees with the reference: the value is right."
        noun = "check" if check.name is not None else "function"
        return f"The one {noun} agrees with the reference on every input."
    if not any(c.variable or c.name is not None for c in checks):
        return f"All {len(checks)} functions agree with the reference on every input."
    functions = len({c.function for c in checks if not c.variable})
    values = len({c.function for c in checks if c.variable})
    parts = []
    if functions:
        parts.append(f"{_count(functions, 'function')} on every input")
    if values:
        parts.append(_count(values, "value"))
    return f"All {len(checks)} checks agree with the reference: {' and '.join(parts)}."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def check_line(check: CheckResult, options: FeedbackOptions, style: Style) -> str:
    """One check in a letter: its name, how many inputs it got right, what went wrong."""
    name = style.value(check.label)
    if check.passed and check.reason is not None and check.reason.code == "imported":
        module = style.value(check.reason.params.get("module", ""))
        return f"{name}: right on every input, but imported from {module}, not written here."
    if check.passed and check.reason is not None and check.reason.code == "unpublished":
        return f"{name}: {_unpublished(check.reason.params, style)}"
    if check.passed and check.variable:
        return f"{name}: right."
    if check.passed:
        return f"{name}: right on every input."
    text = check_text(check, options, style, counted=bool(check.cases_run))
    text = text.removeprefix(f"{check.function}: ")
    cases = ""
    if check.cases_run:
        public = f"; the {check.uncounted} public ones earn nothing" if check.uncounted else ""
        cases = f" (right on {check.cases_passed} of {check.cases_run} inputs{public})"
    return f"{name}{cases}: {text}"


def _unpublished(params: dict[str, Any], style: Style) -> str:
    """A value checked where its answer is not at hand (a student bundle): what was checked."""
    own = params.get("same_as")
    checked = (
        f"equal to your own {style.value(str(own))} on your numbers" if own else "of the right type"
    )
    return f"{checked}; its value is compared with the reference only when it is graded."


def total_text(total: Total) -> str:
    """The letter's total (the batch's, its late penalty taken off): while answers wait to be
    marked by hand, it says so, never a final total that silently counts them as zero."""
    text = f"Total: {number(total.points)} / {number(total.max_points)} points"
    if total.final:
        return text
    return f"{text} so far ({number(total.pending_points)} more to be marked by hand)"


def class_total_text(totals: ClassTotals) -> str:
    """How the class did, in one sentence: the terminal and the class report both say this."""
    so_far = " so far" if totals.pending else ""
    automatic = (
        f" ({totals.every_automatic_point} with every automatic point; hand marks pending)"
        if totals.pending
        else ""
    )
    text = (
        f"Mean {number(totals.mean)} and median "
        f"{number(totals.median)} of {number(totals.max_points)} points{so_far}; "
        f"{totals.full_marks} with full marks{automatic}, {totals.lost_points} lost points"
    )
    if not totals.pending:
        return text + "."
    return (
        f"{text} on the answers marked so far; {totals.pending} wait for {totals.pending_answers} "
        "answer(s) to be marked by hand (pending, not zero)."
    )


def number(value: float) -> str:
    """At most two decimals, no trailing zeros, and never ``-0``: every total the grader shows."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def points_text(question: QuestionResult) -> str:
    if question.status == PENDING:
        return f"not marked yet, out of {question.max_points:g}"
    return f"{question.points:g} / {question.max_points:g} points"


def _pending(question: QuestionResult) -> str:
    if question.status == PENDING:
        return "Graded by hand: not marked yet."
    return "Graded by hand."


def check_text(
    check: CheckResult,
    options: FeedbackOptions = NO_OPTIONS,
    style: Style = PLAIN,
    counted: bool = False,
) -> str:
    """What went wrong with one check, with its input, what came back, and the hints; how many
    inputs it got right (a share of its points) unless ``counted`` says the caller shows that."""
    if check.passed:
        return ""
    reason = check.reason
    if reason is None:  # a result stored before reasons were data
        return f"{check.function}: {check.status}."
    params = reason.params
    text = _WORDING.get(reason.code, _unknown)(check, params, style)
    if check.share is not None and not counted:
        right = f"{check.function} is right on {check.cases_passed} of {check.cases_run} inputs"
        right += (
            f"; its share comes from the other {check.cases_run - check.uncounted} (the "
            f"{check.uncounted} public ones, whose answers you can see, earn nothing)."
            if check.uncounted
            else "."
        )
        text = f"{right} {text}"
    if reason.code in VALUE_CODES and options.show_expected and check.expected is not None:
        text += f" Expected {style.value(show(check.expected))}."
    hint = params.get("hint")
    if hint:
        text += " " + _hint(hint, style)
    description = options.descriptions.get(check.misconception or "")
    if description:
        text += " " + sentence(f"This looks like a known mistake: {style.words(description)}")
    return _cause_first(check, text, style)


def _cause_first(check: CheckResult, text: str, style: Style) -> str:
    """A check that relies on a function failing its own check names that function first:
    it is the cause to fix, and this check may pass once it is fixed."""
    if not check.failed_uses:
        return text
    names = ", ".join(style.value(name) for name in check.failed_uses)
    they = "it fails its own check" if len(check.failed_uses) == 1 else "they fail their own checks"
    cause = (
        f"{style.value(check.label)} relies on {names}, and {they}: fix that first, "
        "this may then pass too."
    )
    return f"{cause} {text}"


def _call(check: CheckResult, style: Style) -> str:
    """The failing call as the function received it: ``entropy(p=np.array([0.5, 0.5]))``."""
    if check.failing_input is None:
        return style.value(check.function)
    args = ", ".join(f"{k}={show(v, 120)}" for k, v in check.failing_input.items())
    return style.value(f"{check.function}({args})")


def _value(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    call = _call(check, style)
    if check.reason is not None and check.reason.mismatch is not None:
        detail = mismatch_text(check.reason.mismatch, check.returned)
    else:  # a result stored before mismatches were data: its sentence, or none
        detail = params.get("detail", "that is not the right value")
    if "samples" in params:
        return sentence(f"{call} over {params['samples']} seeded calls: {style.words(detail)}")
    if "returned_kind" in params:
        kind = style.value(params["returned_kind"])
        if params.get("numeric", True):
            return f"{call} returned {kind}, not a number or a list of numbers."
        verb = "is" if check.failing_input is None else "returned"
        return f"{call} {verb} {kind}, which the grader cannot compare."
    verb = "is" if check.failing_input is None else "returned"
    shown = style.value(show(check.returned))
    return sentence(f"{call} {verb} {shown}: {style.words(detail)}")


def _raised(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    raised = params.get("exception", "an exception")
    if params.get("message"):
        raised += f": {params['message']}"
    text = sentence(f"{_call(check, style)} raised {style.value(raised)}")
    if "takes" in params:
        fn = check.function
        takes, asked = ", ".join(params["takes"]), ", ".join(params["asked"])
        text += f" Your {fn} takes ({style.value(takes)}); the sheet asks for {fn}({asked})."
    return text


def _not_implemented(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    return f"{_call(check, style)} is not implemented yet (it raised NotImplementedError)."


def _resource(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    limit = params.get("limit", "memory")
    if "exception" in params:  # it raised MemoryError, whose message is often empty
        said = params.get("message")
        raised = style.value(f"MemoryError: {said}" if said else "MemoryError")
        text = sentence(f"{_call(check, style)} raised {raised}")
        return f"{text} It went over the grader's limit ({limit})."
    message = params.get("message") or f"it went over the grader's limit ({limit})"
    return f"{check.function}: while it ran on its inputs, {style.value(message)}." + _restarted(
        params
    )


def _timeout(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    if params.get("ignored_timeout"):
        return (
            f"{check.function} kept running past its time limits on its inputs (it ignored the "
            "time-out), so the kernel was stopped." + _restarted(params)
        )
    return sentence(f"{_call(check, style)} did not finish: {style.value(params['message'])}")


def _died(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    if "cells" in params:
        cells = ", ".join(str(c) for c in params["cells"])
        return (
            f"Not graded: cells {cells} each killed or hung the kernel, so the notebook never ran."
        )
    if "message" in params:
        message = style.value(params["message"])
        return f"Not graded: the kernel died and could not be restarted ({message})."
    return f"{check.function}: the kernel died while this function ran on its inputs." + _restarted(
        params
    )


def _restarted(params: dict[str, Any]) -> str:
    return (
        " The kernel was restarted for the remaining functions." if params.get("restarted") else ""
    )


def _too_large(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    return (
        f"{check.function}: the answer was too large (its reply on the sheet's inputs went past "
        f"the grader's cap of {params.get('cap_mib', '?')} MiB, so it was not read)."
    )


def _unreadable(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    message = params.get("message") or "no answer came back"
    return sentence(f"{_call(check, style)}: {style.value(message)}")


def _missing(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    what = "variable" if params.get("variable") else "function"
    text = f"{check.function}: the notebook defines no {what} with this exact name."
    if params.get("similar"):
        text += f" Similar names found: {style.value(', '.join(params['similar']))}."
    if params.get("cell"):
        error = style.value(params.get("cell_error", ""))
        text += f" Cell {params['cell']}, which defines it, did not run ({error})."
    return text


def _unknown(check: CheckResult, params: dict[str, Any], style: Style) -> str:
    return f"{check.function}: {check.status}."


_WORDING: dict[str, Callable[[CheckResult, dict[str, Any], Style], str]] = {
    **{code: _value for code in VALUE_CODES},
    "raised": _raised,
    "not_implemented": _not_implemented,
    "resource_limit": _resource,
    "timeout": _timeout,
    "kernel_died": _died,
    "too_large": _too_large,
    "unreadable": _unreadable,
    "missing": _missing,
    "syntax_error": _missing,
}


def _hint(hint: dict[str, Any], style: Style) -> str:
    args = ", ".join(f"{k}={show(v, 80)}" for k, v in hint.get("args", {}).items())
    values = ", ".join(f"{k}={show(v, 80)}" for k, v in hint.get("values", {}).items())
    statement = style.words(hint.get("statement", ""))
    return (
        f"Hint: the sheet says {statement}, but for {style.value(args)} "
        f"your functions give {style.value(values)}."
    )


def sentence(text: str) -> str:
    """``text`` ending in one full stop: never ``..`` after a message that ends in one."""
    return text if text.endswith((".", "?", "!")) else text + "."


def result_notes(result: SubmissionResult, style: Style = PLAIN) -> str:
    """What happened to the notebook, in one line: its events as worded here (a result stored
    before events were data: the notes it was stored with)."""
    return notes_text(result.events, style) if result.events else result.stored_notes


def notes_text(events: Iterable[Event], style: Style = PLAIN) -> str:
    """What happened to the notebook itself, in one line: the ``notes`` column."""
    return cap("; ".join(event_text(e, style) for e in events))


def feedback_by_question(
    result: SubmissionResult,
    options: FeedbackOptions = NO_OPTIONS,
) -> dict[str, str]:
    """Question id -> its plain feedback: the CSV column of one submission."""
    return {q.question: question_text(result, q, options) for q in result.questions}
