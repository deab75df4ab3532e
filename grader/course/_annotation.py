"""What a resolved download says of one submission, for the batch to keep with its result.

Light to import (the batch's coordinator imports it; no YAML, no zip): the data goes to the
result's ``extra`` (student id, layout, where in the download, submission time and its source,
the LMS's own lateness word), so later steps (late rules, exports) read it from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from grader.results._model import Event, SubmissionResult


@dataclass(frozen=True)
class Annotation:
    data: dict[str, str] = field(default_factory=dict)
    events: tuple[Event, ...] = ()

    def applied(self, result: SubmissionResult) -> SubmissionResult:
        """``result`` with this data in its ``extra`` and these events after its own."""
        extra = {**result.extra, **{f"course.{k}": v for k, v in self.data.items()}}
        return replace(result, extra=extra, events=result.events + self.events)
