"""Whether each submission was late, by how much, and what it costs: data, worded by ``report``.

Judged from what the LMS download kept with each result (``extra``: ``course.submitted_at``
and its source, ``course.lms_late``), the spec's ``[late]`` policy and the student's
extension. Three things are kept apart, so the report never guesses:

- a known time against a due time: on time, or late by so much, with the penalty's rule;
- the LMS's own word (Canvas's ``LATE`` in a file name, Moodle's worksheet status): shown even
  without a due time, but it costs nothing by itself (the LMS gives no amount to apply a rule
  to, or the time it gives is judged instead);
- no time at all (a plain folder, a Canvas download): lateness unknown, said, no penalty.

A submission that was never handed in is not late: it has no row here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from grader.assignment._late import LatePolicy
from grader.results._model import NOT_SUBMITTED, SubmissionResult

#: What is known of a submission's lateness.
ON_TIME, LATE, UNKNOWN, LMS_SAYS = "on_time", "late", "unknown", "lms_says_late"


@dataclass(frozen=True)
class Extension:
    """A student's extension: a new due time (ISO 8601, read in the due time's zone when it
    has no offset), or days added to the spec's."""

    student_id: str
    due: str = ""
    days: float = 0.0

    def applied(self, policy: LatePolicy) -> dt.datetime:
        if self.due:
            return policy.local(dt.datetime.fromisoformat(self.due))
        return policy.due + dt.timedelta(days=self.days)

    def said(self) -> str:
        return f"due {self.due}" if self.due else f"{self.days:g} more day(s)"


@dataclass(frozen=True)
class Penalty:
    """What lateness took off: started units (days or hours) late, the rule that decided the
    percentage (``per_day``, ``per_hour``, ``cap``, ``zero_after``), and the percentage."""

    late_seconds: float
    units: int
    per: str
    rule: str
    percent: float
    #: The policy's numbers, for the wording: per unit, cap, zero after N days.
    rate: float = 0.0
    cap: float = 100.0
    zero_after_days: float | None = None

    @property
    def days_late(self) -> float:
        return round(self.late_seconds / 86400, 4)


@dataclass(frozen=True)
class Lateness:
    """One submission's lateness (``state``: on_time, late, unknown, lms_says_late)."""

    state: str
    submitted_at: str = ""
    #: Where the time came from (a git commit time says it can be forged).
    source: str = ""
    #: The due time that applied, ISO 8601 ("" without a policy), and the extension granted.
    due: str = ""
    extension: str = ""
    #: The LMS's own word that the work was late ("" where it said nothing).
    lms_word: str = ""
    #: Where the LMS word came from (the LMS that said it, else the layout's name).
    layout: str = ""
    penalty: Penalty | None = None
    #: On time only thanks to the grace period (handed in after the due time, within it).
    in_grace: bool = False

    @property
    def percent(self) -> float:
        return self.penalty.percent if self.penalty is not None else 0.0


@dataclass(frozen=True)
class LateRules:
    """The spec's policy and the extensions granted (by ``student_id``, or submission key)."""

    policy: LatePolicy | None = None
    extensions: Mapping[str, Extension] = field(default_factory=dict)

    def of(self, result: SubmissionResult) -> Lateness | None:
        """The result's lateness, or None where there is nothing to say (no due time and no
        word from the LMS, or nothing handed in)."""
        if any(e.code == NOT_SUBMITTED for e in result.events):
            return None
        extra = result.extra
        word = str(extra.get("course.lms_late", ""))
        layout = str(extra.get("course.lms_late_source") or extra.get("course.layout", ""))
        when = str(extra.get("course.submitted_at", ""))
        source = str(extra.get("course.submitted_at_source", ""))
        if self.policy is None:
            return Lateness(LMS_SAYS, when, source, lms_word=word, layout=layout) if word else None
        student = str(extra.get("course.student_id", "")) or result.submission
        extension = self.extensions.get(student) or self.extensions.get(result.submission)
        due = extension.applied(self.policy) if extension else self.policy.due
        known = Lateness(
            UNKNOWN, when, source, due.isoformat(), extension.said() if extension else "",
            word, layout,
        )  # fmt: skip
        moment = _moment(when, self.policy)
        if moment is None:
            return known
        late = moment - due
        if late <= self.policy.grace:
            return replace(known, state=ON_TIME, in_grace=late > dt.timedelta())
        units, percent, rule = self.policy.penalty(late)
        penalty = Penalty(
            late.total_seconds(), units, self.policy.per, rule, percent,
            self.policy.percent, self.policy.cap, self.policy.zero_after_days,
        )  # fmt: skip
        return _replace_state(known, LATE, penalty)


def _replace_state(known: Lateness, state: str, penalty: Penalty | None = None) -> Lateness:
    return replace(known, state=state, penalty=penalty)


def _moment(text: str, policy: LatePolicy) -> dt.datetime | None:
    """A kept submission time as a time with a zone; None where there is none or it is not
    ISO 8601 (a Moodle worksheet in another language keeps its own text)."""
    if not text:
        return None
    try:
        return policy.local(dt.datetime.fromisoformat(text))
    except ValueError:
        return None


NO_RULES = LateRules()
