"""``grader similarity OUT``: read the cells the store keeps (and any earlier notebooks given
with ``--against``), index their fingerprints, weigh the pairs that share rare code, and write
the bands asked for, for a human to look at.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from grader.results._cells import stored_cells
from grader.results._folder import OutputFolder
from grader.results._roster import kept_roster
from grader.results._store import Store
from grader.similarity import _html
from grader.similarity._archive import Archive, open_archive
from grader.similarity._csv import write_csvs
from grader.similarity._documents import Cells, Document, Template, document, template_of
from grader.similarity._evidence import Rarity
from grader.similarity._pairs import LIKELY, Pair, Settings, at_least, candidates, weigh
from grader.similarity._sources import solution_cells
from grader.similarity._variants import VariantMatch, evidence

#: Classes this large build their documents in worker processes (spawning them costs ~1 s).
PARALLEL_FROM = 200
MAX_WORKERS = 2
BATCH = 200


@dataclass(frozen=True)
class Findings:
    """What one run found: the pairs in the bands shown and the clusters of likely copies,
    with what a reader needs to judge them (the cut-off, how many were compared, the notes)."""

    compared: int
    cutoff: int
    common: int  # code fingerprints ignored as common
    pairs: list[Pair]  # the bands shown, highest score first
    clusters: list[list[str]]
    earlier: int = 0  # notebooks searched with --against
    without_cells: tuple[str, ...] = ()  # graded, but by an older grader: not compared
    notes: tuple[str, ...] = field(default=())
    #: Submissions holding another student's variant (a sheet with ``[variants]``).
    variants: tuple[VariantMatch, ...] = ()


def similarity(
    out: Path,
    settings: Settings | None = None,
    against: Path | None = None,
    index: Path | None = None,
) -> Findings:
    """Compare every submission stored in ``out`` (and with ``against``); write the CSVs and
    the HTML page."""
    settings = settings or Settings()
    folder = OutputFolder(out)
    stored = stored_cells(folder)
    try:
        solution, note = solution_cells(stored.info())
        raw = stored.templates()
        templates = {sha: template_of(cells, solution) for sha, cells in raw.items()}
        fallback = template_of(next(iter(raw.values()), []), solution)
        archive = open_archive(against, index, fallback) if against else None
        docs = _documents(stored, templates, fallback)
        findings = find(docs, settings, archive.documents if archive else [])
        notes = tuple(n for n in (note, *(archive.notes if archive else ())) if n)
        findings = replace(findings, without_cells=tuple(stored.without_cells()), notes=notes)
        matches = tuple(evidence(stored, kept_roster(folder)))
        findings = replace(findings, variants=matches)
        write_csvs(folder, findings)
        load = functools.partial(_cells, stored, templates, fallback, archive)
        _html.write(folder.similarity_html, findings, load, settings)
    finally:
        stored.close()
    return findings


def _documents(stored: Store, templates: dict[str, Template], fallback: Template) -> list[Document]:
    """Built in worker processes for a large class (tokenizing is most of the work)."""
    make = functools.partial(_document, templates, fallback)
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


def _document(
    templates: dict[str, Template], fallback: Template, row: tuple[str, str, Cells]
) -> Document:
    name, sha, cells = row
    return document(name, cells, templates.get(sha, fallback))


def _cells(
    stored: Store,
    templates: dict[str, Template],
    fallback: Template,
    archive: Archive | None,
    doc: Document,
) -> tuple[Cells, Template]:
    """A notebook's cells again, and what was left out of it, for the side-by-side page."""
    if doc.origin and archive is not None:
        return archive.cells(doc)
    sha, cells = stored.cells(doc.name)
    return cells, templates.get(sha, fallback)


def find(docs: list[Document], settings: Settings, earlier: Sequence[Document] = ()) -> Findings:
    """The pairs in the bands shown, highest score first, and the clusters of three or more
    that likely copies form. ``earlier`` notebooks are compared with the class only."""
    everyone = [*docs, *earlier]
    cutoff = settings.cutoff(len(everyone))
    code = Rarity.of([d.code.hashes for d in everyone], cutoff)
    text = Rarity.of([d.text.hashes for d in everyone], cutoff)
    keys = np.union1d(
        candidates([d.code.hashes for d in everyone], len(docs), code, at_least(settings, "code")),
        candidates([d.text.hashes for d in everyone], len(docs), text, at_least(settings, "text")),
    )
    n = len(everyone)
    pairs = []
    for key in keys.tolist():
        pair = weigh(everyone[key // n], everyone[key % n], code, text, settings)
        if pair.score > 0 and pair.verdict in settings.show:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.a.name, p.b.origin, p.b.name))
    likely = [p for p in pairs if p.verdict == LIKELY]
    return Findings(len(docs), cutoff, code.common(), pairs, clusters(likely), len(earlier))


def clusters(pairs: list[Pair]) -> list[list[str]]:
    """Groups of three or more joined by likely copies (connected components)."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for pair in pairs:
        parent[root(label(pair.a))] = root(label(pair.b))
    groups: dict[str, list[str]] = {}
    for name in sorted(parent):
        groups.setdefault(root(name), []).append(name)
    found = [members for members in groups.values() if len(members) >= 3]
    return sorted(found, key=lambda m: (-len(m), m))


def label(doc: Document) -> str:
    """A class notebook by its name; an earlier one as ``origin/name``."""
    return f"{doc.origin}/{doc.name}" if doc.origin else doc.name
