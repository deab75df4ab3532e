"""``grader grade --scheduler local:2`` against the process pool, and its cost as a batch grows.

    python benchmarks/dask_scaling.py [--compare 20] [--rounds 3] [--large 2000] [--keep]

1. The same ``--compare`` notebooks (the solution and the example submissions, round-robin)
   graded by ``--workers 2`` and by ``--scheduler local:2``, ``--rounds`` interleaved rounds;
   each method's fastest round is kept: ``dask_vs_pool`` is the pool's seconds per notebook over
   Dask's (1.0 = as fast; the target is >= 0.85).
2. ``--scheduler local:2`` on 100 notebooks and on ``--large`` ones: seconds per notebook of the
   whole command at each size, peak RSS (VmHWM, polled every 0.1 s) of the coordinator and of
   each worker process (kernels are the student's: not counted), and at the large size the time
   to store every result again into a fresh store, to build and write the report from the
   store, and of the whole ``--resume`` command once everything is graded.

Wall times are of the whole command (start-up, cluster start, oracles, report included). On a
shared machine compare the "others CPU s" column: CPU used meanwhile by processes outside the
benchmark. Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's grader
from throughput import ASSIGNMENT, SOURCES, grade_command, machine, make_submissions


def compare(tmp: Path, n: int, rounds: int) -> float:
    subs = tmp / "compare"
    make_submissions(subs, n)
    methods = {"pool --workers 2": ["--workers", "2"], "dask local:2": ["--scheduler", "local:2"]}
    best: dict[str, float] = {}
    books: set[str] = set()
    print(f"\n{n} notebooks, {rounds} interleaved rounds (s/notebook; others CPU s)")
    for index in range(rounds):
        for method, how in methods.items():
            out = tmp / f"out-{index}-{method.split()[0]}"
            seconds, watch = grade_command(subs, out, how, tmp / "compare.log")
            books.add((out / "gradebook.csv").read_text())
            best[method] = min(best.get(method, seconds), seconds)
            print(
                f"  round {index + 1} {method:<18} {seconds / n:.3f} s/nb; "
                f"others {watch.foreign_cpu:.1f}"
            )
            shutil.rmtree(out)
    print("gradebooks identical" if len(books) == 1 else "warning: the gradebooks differ")
    ratio = best["pool --workers 2"] / best["dask local:2"]
    print(f"best: pool {best['pool --workers 2'] / n:.3f}, dask {best['dask local:2'] / n:.3f}")
    return ratio


def scale(tmp: Path, sizes: list[int]) -> dict[int, float]:
    per_notebook = {}
    print("\n--scheduler local:2 as the batch grows")
    print(f"{'N':>6} {'total s':>8} {'s/nb':>7} {'coordinator MiB':>16} {'worker MiB':>11} others")
    for n in sizes:
        subs = tmp / f"scale-{n}"
        make_submissions(subs, n)
        out = tmp / f"out-scale-{n}"
        seconds, watch = grade_command(
            subs, out, ["--scheduler", "local:2"], tmp / f"scale-{n}.log"
        )
        per_notebook[n] = seconds / n
        workers = [p.peak_kib / 1024 for p in watch.procs.values() if p.role == "worker"]
        print(
            f"{n:>6} {seconds:>8.1f} {seconds / n:>7.3f} {watch.peak_mib(('grader',)):>16.1f} "
            f"{max(workers, default=0):>11.1f} {watch.foreign_cpu:.0f} "
            f"(workers: {', '.join(f'{w:.0f}' for w in workers)})"
        )
    return per_notebook


def store_report_resume(tmp: Path, graded: int, n: int) -> None:
    """At size ``n``: storing every result, the report from the store, and ``--resume``.

    Where ``n`` was not graded (``--replicate``), its store is made from the ``graded`` run's:
    notebook ``i`` is a copy of source ``i % 10`` in both, so its result is that one renamed.
    """
    from grader.assignment._plan import GradingPlan
    from grader.assignment._spec import load_assignment
    from grader.results import _tables
    from grader.results._store import Store

    source_out = tmp / f"out-scale-{graded}"
    with sqlite3.connect(source_out / "results.sqlite") as db:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    if n == graded:
        subs, out = tmp / f"scale-{n}", source_out
    else:
        subs, out = tmp / f"replicated-{n}", tmp / f"out-replicated-{n}"
        make_submissions(subs, n)
    names = sorted(p.stem for p in subs.glob("*.ipynb"))
    rows = _results_of(Store(source_out / "results.sqlite", meta, resume=True), graded, names)
    start = time.perf_counter()
    out.mkdir(exist_ok=True)
    store = Store(out / "results.sqlite", meta, resume=True)
    for result, sha in rows:
        store.put(result, sha)
    store_s = time.perf_counter() - start
    plan = GradingPlan.build(load_assignment(ASSIGNMENT))
    start = time.perf_counter()
    scores = _tables.scores_frame(store.results(names), plan.versions())
    questions = [q.id for q in plan.assignment.questions]
    _tables.write_csv(scores, tmp / "scores.csv")
    _tables.write_csv(_tables.gradebook_frame(scores, questions), tmp / "gradebook.csv")
    report_s = time.perf_counter() - start
    store.close()
    options = ["--scheduler", "local:2", "--resume"]
    resume_s, watch = grade_command(subs, out, options, tmp / "resume.log")
    assert "0 now" in (tmp / "resume.log").read_text(), "--resume graded something again"
    print(f"\nat N={n}{' (replicated)' if n != graded else ''}: store {store_s:.2f} s")
    print(f"(one commit per result); report from the store {report_s:.2f} s")
    print(f"--resume command (nothing left to grade) {resume_s:.2f} s")
    print(f"(coordinator peak RSS during --resume {watch.peak_mib(('grader',)):.1f} MiB)")


def _results_of(store: Any, graded: int, names: list[str]) -> list[tuple[Any, str]]:
    """The stored result of each of ``names``: that of the graded copy of the same source."""
    by_name = {
        r.submission: (r, sha) for r, sha in store.results([f"sub_{i:03d}" for i in range(graded)])
    }
    rows = []
    for name in names:
        result, sha = by_name[f"sub_{int(name.removeprefix('sub_')) % len(SOURCES):03d}"]
        rows.append((replace(result, submission=name), sha))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", type=int, default=20, metavar="N")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large", type=int, default=2000, metavar="N")
    parser.add_argument("--skip-compare", action="store_true")
    parser.add_argument(
        "--replicate",
        type=int,
        default=0,
        metavar="N",
        help="time the store, the report and --resume at N from the --large run's results",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.replicate and args.large < len(SOURCES):
        parser.error(f"--replicate needs --large >= {len(SOURCES)}: one graded copy per source")
    tmp = Path(tempfile.mkdtemp(prefix="grader-dask-bench-"))
    print(machine())
    try:
        if not args.skip_compare:
            ratio = compare(tmp, args.compare, args.rounds)
            print(f"dask_vs_pool: {ratio:.3f}")
        sizes = sorted({min(100, args.large), args.large})
        per_notebook = scale(tmp, sizes)
        store_report_resume(tmp, args.large, args.replicate or args.large)
        small, large = per_notebook[sizes[0]], per_notebook[sizes[-1]]
        print(f"s_per_nb_large_vs_100: {large / small:.3f}")
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
