"""Gradescope's "Export Submissions": ``submission_metadata.yml`` read as data.

The export (``assignment_ID_export/``) holds one ``submission_ID/`` folder per submission and a
YAML file written by Ruby, keyed by those folder names, with Ruby symbols as keys::

    submission_123:
      :submitters:
      - :name: Ana López
        :sid: '20231234'
        :email: ana@uni.example
      :created_at: 2024-03-01 22:59:12.345678000 Z
      :score: 0.0
      :history:
      - :id: 122
        :created_at: 2024-03-01 20:10:00.000000000 Z

(the shape otter-grader's ``GradescopeParser`` and instructors' scripts read with
``yaml.safe_load``). ``:created_at`` is UTC; ``:history`` lists earlier attempts, whose files are
not in the export. A group submission lists each member under ``:submitters``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import yaml

from grader.course._archive import MAX_METADATA_BYTES, Download, Item
from grader.errors import SubmissionsError

METADATA = "submission_metadata.yml"


@dataclass(frozen=True)
class Submitter:
    name: str
    sid: str
    email: str


@dataclass(frozen=True)
class Record:
    """One submission of the metadata: its submitters, its time, its earlier attempts' times."""

    submitters: tuple[Submitter, ...]
    created_at: str
    history: tuple[str, ...]


def read_metadata(download: Download, item: Item) -> dict[str, Record]:
    """The metadata by submission folder; SubmissionsError if it is not Gradescope's YAML."""
    text = download.read(item, MAX_METADATA_BYTES).decode("utf-8", "replace")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SubmissionsError(f"{item.path} is not readable YAML ({exc})") from None
    if not isinstance(data, dict):
        raise SubmissionsError(f"{item.path} is not Gradescope's submission metadata")
    return {str(folder): _record(entry) for folder, entry in data.items()}


def _record(entry: Any) -> Record:
    entry = entry if isinstance(entry, dict) else {}
    submitters = tuple(
        Submitter(_text(s.get(":name")), _text(s.get(":sid")), _text(s.get(":email")))
        for s in entry.get(":submitters") or []
        if isinstance(s, dict)
    )
    history = tuple(
        _time(h.get(":created_at")) for h in entry.get(":history") or [] if isinstance(h, dict)
    )
    return Record(submitters, _time(entry.get(":created_at")), history)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _time(value: Any) -> str:
    """An ISO 8601 time in UTC ("" where none): YAML reads Ruby's ``... Z`` as a datetime."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(dt.timezone.utc).isoformat()
    text = _text(value)
    if not text:
        return ""
    try:
        moment = dt.datetime.fromisoformat(text.replace(" Z", "+00:00").replace("Z", "+00:00"))
    except ValueError:
        return text
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat()
