"""A letter's line on the student's own numbers (an assignment with ``[variants]``), from the
values the batch kept in the result's ``extra`` (``course.variant_values``, JSON)."""

from __future__ import annotations

import json
from typing import Any

from grader.results._model import SubmissionResult

#: Where the batch keeps a result's own values (``grader.grading._variants``).
VALUES_FIELD = "course.variant_values"


def variant_line(result: SubmissionResult) -> str:
    """``Your numbers: mu1 = 0.5, sigma1 = 2.`` or empty for a sheet without variants."""
    text = result.extra.get(VALUES_FIELD, "")
    try:
        values = json.loads(text) if text else None
    except ValueError:
        return ""
    if not isinstance(values, dict) or not values:
        return ""
    shown = ", ".join(f"{name} = {_number(value)}" for name, value in values.items())
    return f"Your numbers (graded with these): {shown}."


def _number(value: Any) -> str:
    if isinstance(value, float):
        return format(value, ".6g")
    if isinstance(value, list):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    return str(value)
