"""The late policy of ``spec.toml`` (its ``[late]`` table): a due time, a grace period, a rule.

A syllabus's late rule is data here, so the same rule is applied to every student and the
report can say which rule took what off: a percentage per started day (or hour) late, capped,
and zero after so many days. The due time carries its time zone (an offset in the TOML
datetime, or ``timezone`` for a local one), because LMSs give submission times in UTC
(Gradescope), with an offset (git) or in the site's local time (Moodle's worksheet): a naive
time is taken in the due time's zone. The table is read apart from the questions and is not
part of what the frozen inputs depend on, so a policy can be added or changed without a redraw.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader.assignment._fields import no_unknown
from grader.errors import SpecError

PER = {"day": dt.timedelta(days=1), "hour": dt.timedelta(hours=1)}


@dataclass(frozen=True)
class LatePolicy:
    """When work is due and what lateness costs (percentages of the points earned)."""

    due: dt.datetime
    #: Where a submission time without an offset is read (the due time's zone).
    zone: dt.tzinfo
    grace: dt.timedelta = dt.timedelta()
    #: Taken off per started ``per`` (day or hour) late.
    percent: float = 0.0
    per: str = "day"
    #: At most this much is taken off by the per-unit rule.
    cap: float = 100.0
    #: Later than this many days after the due time: 0 points, whatever the cap.
    zero_after_days: float | None = None

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` with a zone: a naive one is read in the due time's zone."""
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def penalty(self, late: dt.timedelta) -> tuple[int, float, str]:
        """(started units late, percentage taken off, the rule that decided it) for work
        handed in ``late`` after the due time (past the grace period)."""
        units = max(1, math.ceil(late / PER[self.per]))
        if self.zero_after_days is not None and late > dt.timedelta(days=self.zero_after_days):
            return units, 100.0, "zero_after"
        percent = round(self.percent * units, 6)
        if percent > self.cap:
            return units, self.cap, "cap"
        return units, percent, f"per_{self.per}"


def read_late(path: Path, raw: Any, allowed: set[str]) -> LatePolicy | None:
    """The spec's ``[late]`` table as a policy (None without one); SpecError names a bad key."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SpecError(path, f"late must be a table ([late]), got {raw!r}")
    no_unknown(path, raw, allowed, "[late]")
    zone = _zone(path, raw.get("timezone"))
    due = parse_due(path, raw.get("due"), zone)
    per = raw.get("per", "day")
    if per not in PER:
        raise SpecError(path, f"[late] per must be one of {sorted(PER)}, got {per!r}")
    zero = raw.get("zero_after_days")
    return LatePolicy(
        due=due,
        zone=zone or due.tzinfo or dt.timezone.utc,
        grace=dt.timedelta(minutes=_number(path, raw, "grace_minutes", 0.0)),
        percent=_number(path, raw, "percent", 0.0, top=100.0),
        per=per,
        cap=_number(path, raw, "cap_percent", 100.0, top=100.0),
        zero_after_days=None if zero is None else _number(path, raw, "zero_after_days", 0.0),
    )


def parse_due(path: Path, value: Any, zone: dt.tzinfo | None) -> dt.datetime:
    """A due time: a TOML datetime or an ISO 8601 string, with an offset or read in ``zone``;
    a time without either is refused (whose midnight would it be?)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise SpecError(path, f"due {value!r} is not an ISO 8601 time") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59))
    if not isinstance(value, dt.datetime):
        raise SpecError(path, f"[late] due must be a date and time, got {value!r}")
    if value.tzinfo is None:
        if zone is None:
            raise SpecError(
                path,
                f"due {value.isoformat()} has no time zone: give an offset "
                '(2024-03-04T23:59:00+01:00) or timezone = "Europe/Berlin"',
            )
        value = value.replace(tzinfo=zone)
    return value


def _zone(path: Path, name: Any) -> dt.tzinfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise SpecError(path, f"[late] timezone {name!r} is not a time zone's name") from None


def _number(path: Path, raw: dict[str, Any], key: str, default: float, top: float = 1e9) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= top:
        raise SpecError(path, f"[late] {key} must be a number from 0 to {top:g}, got {value!r}")
    return float(value)
