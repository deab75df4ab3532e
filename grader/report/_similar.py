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
from grader.results._folder import SIMILARITY_HTML, OutputFolder
from grader.results._neutralise import neutralise

#: The page ``grader similarity`` writes, as the class report links it (beside it in OUT).
HTML = SIMILARITY_HTML


@dataclass(frozen=True)
class SimilarPair:
    """One pair as ``similarity.csv`` has it: the score (1.0 is what a likely copy needs), the
    verdict band, and the rare shared tokens in each function (``kl_to_factorized 64; ...``).
    ``against``: the earlier year (or source) ``b`` came from, empty within the class."""

    a: str
    b: str
    score: str
    functions_a: str
    functions_b: str
    verdict: str = ""
    against: str = ""


@dataclass(frozen=True)
class Similar:
    pairs: tuple[SimilarPair, ...]
    clusters: tuple[tuple[str, str], ...]  # (size, the submissions as the CSV names them)


def read_similar(folder: OutputFolder) -> Similar | None:
    """The flagged pairs and clusters, highest score first as written; None before
    ``grader similarity`` ran on ``folder``."""
    if not folder.similarity_csv.is_file():
        return None
    keys = ("submission_a", "submission_b", "score", "functions_a", "functions_b")
    extra = ("verdict", "against")  # not in a similarity.csv written before issue 26
    rows = _rows(folder.similarity_csv)
    pairs = tuple(
        SimilarPair(
            *(neutralise(row[key]) for key in keys),
            *(neutralise(row.get(key, "")) for key in extra),
        )
        for row in rows
    )
    clusters: tuple[tuple[str, str], ...] = ()
    if folder.similarity_clusters_csv.is_file():
        rows = _rows(folder.similarity_clusters_csv)
        clusters = tuple((row["size"], neutralise(row["submissions"])) for row in rows)
    return Similar(pairs, clusters)


def _rows(path: Path) -> list[dict[str, str]]:
    """Each row as it was before writing (names exact, the formula prefix dropped)."""
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    return [read_record(records[0], record) for record in records[1:]] if records else []
