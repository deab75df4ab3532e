"""Lateness in words: the one place a :class:`~grader.results._late.Lateness` is worded.

The letters, the gradebook's ``late`` column, the class report and the terminal all say it
with these sentences, so a student reads the reason the instructor's table gives. Plain text
(the renderers escape it through their style's ``words``): a time's source may name a file.
Beside ``_wording`` (the words of a wrong answer) rather than in it, as its own subject.
"""

from __future__ import annotations

import datetime as dt

from grader.results._late import LATE, LMS_SAYS, ON_TIME, Lateness, Penalty
from grader.results._scores import ClassTotals, Total


def late_text(total: Total) -> str:
    """What the total's lateness is, and what it cost (empty: nothing to say)."""
    late = total.late
    if late is None:
        return ""
    word = _lms_word(late)
    if late.state == LMS_SAYS:
        return f"Late, as {word}; the sheet sets no due time, so no late penalty is applied."
    due = f"the due time {_when(late.due)}" + (
        f" (extension: {late.extension})" if late.extension else ""
    )
    handed = f"handed in {_when(late.submitted_at, late.due)} ({late.source})"
    if late.state == ON_TIME:
        by = f"within the grace period after {due}" if late.in_grace else f"by {due}"
        return f"On time: {handed}, {by}." + (f" Note: {word}." if word else "")
    if late.state == LATE and late.penalty is not None:
        return f"Late: {handed}, {_duration(late.penalty)} after {due}; {_cost(total)}"
    known = f" ({word})" if word else ""
    return (
        f"Lateness unknown{known}: the download gives no submission time to compare with "
        f"{due}, so no late penalty is applied."
    )


def _lms_word(late: Lateness) -> str:
    if not late.lms_word:
        return ""
    lms = late.layout.split(" (")[0] or "the LMS"
    return f"{lms} marks it late ({late.lms_word})"


def _cost(total: Total) -> str:
    penalty = total.late.penalty if total.late is not None else None
    assert penalty is not None
    if penalty.rule == "zero_after":
        rule = f"more than {penalty.zero_after_days:g} day(s) late gets 0 points"
    elif penalty.rate == 0:
        return "the late rule takes nothing off."
    else:
        rule = f"{penalty.rate:g}% per started {penalty.per}, {penalty.units} {penalty.per}(s)"
        if penalty.rule == "cap":
            rule += f", capped at {penalty.cap:g}%"
    return (
        f"{rule}: {penalty.percent:g}% off the {_number(total.raw)} points earned "
        f"(-{_number(total.penalty_points)})."
    )


def _duration(penalty: Penalty) -> str:
    minutes = max(1, round(penalty.late_seconds / 60))
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    said = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(said[:2])


def _when(text: str, like: str = "") -> str:
    """An ISO time as ``2024-03-04 23:59 +01:00``, in the zone of ``like`` where it has one
    (a time without a zone, Moodle's, was judged in the due time's: it is shown in it)."""
    try:
        moment = dt.datetime.fromisoformat(text)
        zone = dt.datetime.fromisoformat(like).tzinfo if like else None
        if zone is not None:
            moment = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)
    except ValueError:
        return text
    offset = moment.strftime(" %z") if moment.tzinfo is not None else ""
    if offset == " +0000":
        offset = " UTC"
    elif offset:
        offset = f"{offset[:4]}:{offset[4:]}"
    return moment.strftime("%Y-%m-%d %H:%M") + offset


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def class_late_text(totals: ClassTotals) -> str:
    """The class's lateness in one sentence ("" when there is nothing to say)."""
    if not totals.any_late:
        return ""
    states = [t.late.state for t in totals.totals if t.late is not None]
    penalised = sum(1 for t in totals.totals if t.penalty_points > 1e-9)
    late = states.count(LATE) + states.count(LMS_SAYS)
    unknown = states.count("unknown")
    text = f"Late: {late} submission(s), {penalised} with a late penalty"
    if unknown:
        text += f"; lateness unknown for {unknown} (no submission time: no penalty)"
    return text + "."
