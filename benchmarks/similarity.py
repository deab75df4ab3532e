"""``grader similarity``, measured: precision and recall on the labelled set, then time and
memory on a class of 1,000 and an archive of 10,000 earlier notebooks.

    python benchmarks/similarity.py [--seeds 10] [--class-size 1000] [--archive 10000] [--keep]

1. **Labelled set** (``tests/similarity_set.py``): for each seed a class of 40 honest students
   (many styles, many writing the short formulas alike) and disguised copies of eight kinds.
   Prints the pairs flagged as likely copies that are copies (true positives), that are not
   (false positives), the copies missed, precision, recall, and the margins: the highest score
   of an independent pair and the lowest of a copy (1.0 flags).
2. **A class of N** written straight into ``OUT/results.sqlite`` (grading 1,000 notebooks in
   kernels is another benchmark's business): students of the labelled set's kind, one in 50 a
   disguised copy of another (the store names no assignment folder, so the reference solution
   is not left out: the labelled set measures that). ``grader similarity OUT`` runs in a child
   process, which reports its wall-clock seconds, the CPU seconds of itself and its workers,
   and peak RSS (its own and its largest worker's); then precision and recall at that size.
3. **An archive of M earlier notebooks** written as ``.ipynb`` files (with their year's
   ``student.ipynb``), five of the class's students copied from it. The first search
   fingerprints the archive and saves its index; the second, measured the same way, reads the
   index: that is the figure for searching a large archive.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.grading._sources import template_cells  # noqa: E402
from grader.results._store import Store  # noqa: E402
from grader.similarity._documents import document, template_of  # noqa: E402
from grader.similarity._pairs import BANDS, LIKELY, Settings  # noqa: E402
from grader.similarity._run import find  # noqa: E402
from grader.similarity._sources import notebook_cells  # noqa: E402
from tests.similarity_set import DISGUISES, make_class, renamed, student, template  # noqa: E402

ASSIGNMENT = ROOT / "assignments" / "variational_inference"
#: Code timed in the child process: the command itself, and its own peak RSS.
CHILD = """
import resource, sys, time
from click.testing import CliRunner
from grader._cli import main
start = time.perf_counter()
result = CliRunner().invoke(main, ["similarity", *sys.argv[1:]])
assert result.exit_code == 0, result.output
seconds = time.perf_counter() - start
me, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
cpu = me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime
print(f"{seconds:.2f} {cpu:.2f} {me.ru_maxrss / 1024:.1f} {workers.ru_maxrss / 1024:.1f}")
"""


def labelled(seeds: int) -> None:
    reference = template_of(template(), notebook_cells(ASSIGNMENT / "solution.ipynb"))
    tp = fp = fn = 0
    honest, copied = 0.0, float("inf")
    for seed in range(1, seeds + 1):
        named, copies = make_class(40, seed)
        docs = [document(name, cells, reference) for name, cells in sorted(named.items())]
        pairs = find(docs, Settings(show=BANDS)).pairs
        likely = {(p.a.name, p.b.name) for p in pairs if p.verdict == LIKELY}
        tp, fp, fn = tp + len(likely & copies), fp + len(likely - copies), fn + len(copies - likely)
        scores = {(p.a.name, p.b.name): p.score for p in pairs}
        honest = max([honest, *(s for k, s in scores.items() if k not in copies)])
        copied = min([copied, *(scores.get(k, 0.0) for k in copies)])
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(f"labelled set: {seeds} classes of 40 honest students and 10 copy pairs each")
    print(f"  likely copies: {tp} true, {fp} false, {fn} copies missed")
    print(f"  precision {precision:.3f}, recall {tp / (tp + fn):.3f}")
    print(f"  highest independent score {honest:.2f}, lowest copy score {copied:.2f} (1.0 flags)")


def write_class(out: Path, size: int, archive: Path | None) -> set[tuple[str, str]]:
    """The class in out/results.sqlite; the copies planted (sorted pairs; archive ones as
    ``(name, "year/notebook")``)."""
    base = template()
    sha, cells = template_cells(ASSIGNMENT / "student.ipynb")
    store = Store(out / "results.sqlite", {"benchmark": "similarity"}, resume=False)
    rng, planted, kinds = random.Random(size), set(), list(DISGUISES.values())
    for number in range(size):
        name = f"s{number:04d}"
        if number % 50 == 49:
            source = f"s{number - 17:04d}"
            disguise = kinds[number // 50 % len(kinds)]
            cells_of = disguise(renamed(student(number - 17, base), rng), rng)
            planted.add((source, name))
        elif archive is not None and number % 200 == 7:
            cells_of = renamed(student(10**6 + number, base), rng)
            planted.add((name, f"2023/a{number:05d}"))
        else:
            cells_of = student(number, base)
        store.put_sources(name, (sha, cells), cells_of)
    store.close()
    return planted


def write_archive(folder: Path, size: int) -> None:
    """``size`` notebooks of an earlier year in folder/2023, its student.ipynb beside them;
    notebook ``a{n}`` is the student the class's copies take (see write_class)."""
    year = folder / "2023"
    year.mkdir(parents=True)
    shutil.copy(ASSIGNMENT / "student.ipynb", year / "student.ipynb")
    base = template()
    for number in range(size):
        seed = 10**6 + number if number % 200 == 7 else 2 * 10**6 + number
        cells = student(seed, base)
        nb = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {"cell_type": c["type"], "metadata": {}, "source": c["source"]}
                | ({"outputs": [], "execution_count": None} if c["type"] == "code" else {})
                for c in cells
            ],
        }
        (year / f"a{number:05d}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def timed(*args: str) -> list[str]:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return child.stdout.split()[-4:]


def flagged(out: Path) -> set[tuple[str, str]]:
    import csv

    with (out / "similarity.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        (row["submission_a"], f"{row['against']}/{row['submission_b']}")
        if row["against"]
        else (row["submission_a"], row["submission_b"])
        for row in rows
    }


def measured(label: str, figures: list[str], planted: set, found: set) -> None:
    seconds, cpu, rss, workers = figures
    true = len(planted & found)
    print(
        f"{label:<28} {seconds:>8} s {cpu:>7} cpu-s  peak RSS {rss:>7} MB (worker {workers:>6} MB)"
        f"  flagged {len(found):>3}, planted found {true}/{len(planted)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--class-size", type=int, default=1000)
    parser.add_argument("--archive", type=int, default=10000)
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    args = parser.parse_args()
    labelled(args.seeds)
    work = Path(tempfile.mkdtemp(prefix="similarity-bench-"))
    try:
        out = work / "out"
        out.mkdir()
        planted = write_class(out, args.class_size, None)
        measured(f"class of {args.class_size}", timed(str(out)), planted, flagged(out))
        if args.archive:
            archive = work / "archive"
            write_archive(archive, args.archive)
            out2 = work / "out2"
            out2.mkdir()
            planted = write_class(out2, args.class_size, archive)
            first = timed(str(out2), "--against", str(archive))
            measured(f"+ {args.archive} earlier, indexing", first, planted, flagged(out2))
            second = timed(str(out2), "--against", str(archive))
            measured(f"+ {args.archive} earlier, from index", second, planted, flagged(out2))
            index = archive / "similarity-index.npz"
            print(f"index file: {index.stat().st_size / 2**20:.1f} MB")
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
