"""``grader similarity OUT``: read the cells the store keeps, index their fingerprints, measure
the pairs that share enough of them, and write what is flagged for a human to look at.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from grader.report import _tables
from grader.results._cells import stored_cells
from grader.results._folder import OutputFolder
from grader.results._store import Store
from grader.similarity import _html
from grader.similarity._documents import Cells, Document, Template, document, template_of
from grader.similarity._pairs import Pair, Prepared, Settings, judge, measure, prepare, shared

#: Classes this large build their documents in worker processes (spawning them costs ~1 s).
PARALLEL_FROM = 200
MAX_WORKERS = 2
BATCH = 200
_NO_TEMPLATE = template_of([])


@dataclass(frozen=True)
class Findings:
    compared: int
    cutoff: int
    common: frozenset[int]  # code fingerprints ignored as common
    common_text: frozenset[int]
    pairs: list[Pair]
    clusters: list[list[str]]
    without_cells: tuple[str, ...] = ()  # graded, but by an older grader: not compared


def similarity(out: Path, settings: Settings | None = None) -> Findings:
    """Compare every submission stored in ``out`` and write the CSVs and the HTML page."""
    settings = settings or Settings()
    folder = OutputFolder(out)
    stored = stored_cells(folder)
    try:
        templates = {sha: template_of(cells) for sha, cells in stored.templates().items()}
        findings = find(_documents(stored, templates), settings)
        findings = dataclasses.replace(findings, without_cells=tuple(stored.without_cells()))
        write_csvs(folder, findings)
        load = functools.partial(_cells, stored, templates)
        page = folder.similarity_html
        _html.write(page, findings.pairs, load, findings.common, findings.common_text)
    finally:
        stored.close()
    return findings


def _documents(stored: Store, templates: dict[str, Template]) -> list[Document]:
    """Built in worker processes for a large class (tokenizing is most of the work)."""
    make = functools.partial(_document, templates)
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if stored.count_sources() < PARALLEL_FROM or workers < 2:
        return [make(row) for row in stored.sources()]
    context = multiprocessing.get_context("spawn")
    docs: list[Document] = []
    rows = stored.sources()
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        # map() takes its whole input at once: batches keep the cells in flight bounded.
        while batch := list(itertools.islice(rows, BATCH)):
            docs.extend(pool.map(make, batch, chunksize=BATCH // (4 * workers)))
    return docs


def _document(templates: dict[str, Template], row: tuple[str, str, Cells]) -> Document:
    name, sha, cells = row
    return document(name, cells, templates.get(sha, _NO_TEMPLATE))


def _cells(stored: Store, templates: dict[str, Template], name: str) -> tuple[Cells, Template]:
    sha, cells = stored.cells(name)
    return cells, templates.get(sha, _NO_TEMPLATE)


def find(docs: list[Document], settings: Settings) -> Findings:
    """Flagged pairs, highest score first, and the clusters of three or more they form."""
    cutoff = settings.cutoff(len(docs))
    code, common = shared([d.code for d in docs], cutoff, settings.min_matches)
    text, common_text = shared([d.text for d in docs], cutoff, settings.min_matches)
    n = len(docs)
    keys = np.union1d(code, text).tolist()
    ignored = frozenset(common.tolist()), frozenset(common_text.tolist())
    prepared: dict[int, Prepared] = {}

    def side(index: int) -> Prepared:
        if index not in prepared:
            prepared[index] = prepare(docs[index], *ignored)
        return prepared[index]

    pairs = []
    for key in keys:
        pair = judge(measure(side(key // n), side(key % n)), settings)
        if pair is not None:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.a.name, p.b.name))
    return Findings(n, cutoff, *ignored, pairs, clusters(pairs))


def clusters(pairs: list[Pair]) -> list[list[str]]:
    """Groups of three or more joined by flagged pairs (connected components)."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for pair in pairs:
        parent[root(pair.a.name)] = root(pair.b.name)
    groups: dict[str, list[str]] = {}
    for name in sorted(parent):
        groups.setdefault(root(name), []).append(name)
    found = [members for members in groups.values() if len(members) >= 3]
    return sorted(found, key=lambda m: (-len(m), m))


def write_csvs(folder: OutputFolder, findings: Findings) -> None:
    rows = [_pair_row(pair) for pair in findings.pairs]
    _tables.write_csv(pd.DataFrame(rows, columns=_PAIR_COLUMNS), folder.similarity_csv)
    groups = [[n, len(m), " ".join(m)] for n, m in enumerate(findings.clusters, 1)]
    frame = pd.DataFrame(groups, columns=["cluster", "size", "submissions"])
    _tables.write_csv(frame, folder.similarity_clusters_csv)


_PAIR_COLUMNS = [
    "submission_a",
    "submission_b",
    "score",
    "share_a",
    "share_b",
    "fingerprints_matched",
    "functions_a",
    "functions_b",
    "flagged_on",
    "text_share_a",
    "text_share_b",
]


def _pair_row(pair: Pair) -> list[object]:
    return [
        pair.a.name,
        pair.b.name,
        f"{pair.score:.3f}",
        f"{pair.a.share:.3f}",
        f"{pair.b.share:.3f}",
        pair.matched,
        _functions(pair.a.functions),
        _functions(pair.b.functions),
        " ".join(pair.flagged_on),
        f"{pair.text_a:.3f}",
        f"{pair.text_b:.3f}",
    ]


def _functions(functions: tuple[tuple[str, float, int], ...]) -> str:
    """``entropy 92%; kl_divergence 40%``: the share of each function matched, largest first."""
    ranked = sorted(functions, key=lambda f: (-f[1], f[0]))
    return "; ".join(f"{name} {share:.0%}" for name, share, _ in ranked)
