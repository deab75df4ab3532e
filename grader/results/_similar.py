"""The class report's "Similar submissions": what ``grader similarity OUT`` left in ``OUT``.

The similarity package imports this one, never the reverse, so the report reads the CSVs that
``grader similarity`` wrote (and that command rewrites the report). Read with the csv module,
every field as text: a submission named ``NA`` or ``1e3`` stays that name.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from grader.results._csv import read_record
from grader.results._text import neutralise

#: The files ``grader.similarity._run`` writes (its names, kept here so results need not import it).
PAIRS_CSV = "similarity.csv"
CLUSTERS_CSV = "similarity-clusters.csv"
HTML = "similarity.html"


@dataclass(frozen=True)
class SimilarPair:
    a: str
    b: str
    score: str
    functions_a: str
    functions_b: str


@dataclass(frozen=True)
class Similar:
    pairs: tuple[SimilarPair, ...]
    clusters: tuple[tuple[str, str], ...]  # (size, the submissions as the CSV names them)


def read_similar(out: Path) -> Similar | None:
    """The flagged pairs and clusters, highest score first as written; None before
    ``grader similarity`` ran on ``out``."""
    if not (out / PAIRS_CSV).is_file():
        return None
    keys = ("submission_a", "submission_b", "score", "functions_a", "functions_b")
    pairs = tuple(
        SimilarPair(*(neutralise(row[key]) for key in keys)) for row in _rows(out / PAIRS_CSV)
    )
    clusters: tuple[tuple[str, str], ...] = ()
    if (out / CLUSTERS_CSV).is_file():
        rows = _rows(out / CLUSTERS_CSV)
        clusters = tuple((row["size"], neutralise(row["submissions"])) for row in rows)
    return Similar(pairs, clusters)


def _rows(path: Path) -> list[dict[str, str]]:
    """Each row as it was before writing (names exact, the formula prefix dropped)."""
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    return [read_record(records[0], record) for record in records[1:]] if records else []
