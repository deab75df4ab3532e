"""``grader grade --scheduler local:2`` against the process pool, and its cost as a batch grows.

    python benchmarks/dask_scaling.py [--compare 20] [--rounds 3] [--large 2000] [--small 100]
                                      [--methods dask,pool] [--keep]

1. The same ``--compare`` notebooks (the solution and the example submissions, round-robin)
   graded by ``--workers 2`` and by ``--scheduler local:2``, ``--rounds`` interleaved rounds;
   each method's fastest round is kept: ``dask_vs_pool`` is the pool's seconds per notebook over
   Dask's (1.0 = as fast; the target is >= 0.85).
2. ``--scheduler local:2`` (and with ``--methods dask,pool`` the process pool, ``--workers 2``)
   on ``--small`` notebooks (100) and on ``--large`` ones: seconds per notebook of the
   whole command at each size, peak RSS (VmHWM, polled every 0.1 s) of the coordinator and of
   each worker process (kernels are the student's: not counted), and at the large size the time
   to store every result again into a fresh store, to build and write the report from the
   store, and of the whole ``--resume`` command once everything is graded.

Wall times are of the whole command (start-up, cluster start, oracles, report included). On a
shared machine compare the "others CPU s" column: CPU used meanwhile by processes outside the
benchmark, and "CPU s/nb": the CPU seconds of the command's whole process tree (coordinator,
scheduler, workers, kernels: a cgroup's ``cpuacct``, see ``TreeCpu``), per notebook, which
others' load barely changes. While the batch grows, the RSS of the
coordinator and of each worker is read as the results come in (after 100, 500, 1,000, ...), so
a growth shows where it happens. Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's grader
from throughput import (
    ASSIGNMENT,
    SOURCES,
    TreeCpu,
    grade_command,
    machine,
    make_submissions,
)

#: Results after which the RSS of the coordinator and of each worker is read.
CHECKPOINTS = (100, 500, 1000, 1500, 2000, 3000, 5000)


def timed(subs: Path, out: Path, options: list[str], log: Path) -> tuple[float, float, Any]:
    """``grade_command`` and the CPU seconds its whole process tree used."""
    with TreeCpu() as cpu:
        seconds, watch = grade_command(subs, out, options, log)
    return seconds, cpu.seconds, watch


class RssAlong:
    """Reads the RSS (MiB) of the coordinator and of each worker each time the store passes a
    checkpoint: the ``grader`` child of this process, and its ``multiprocessing.spawn``
    descendants (the Dask workers; the kernels are the students')."""

    def __init__(self, out: Path, n: int) -> None:
        self.out, self.todo = out, [c for c in CHECKPOINTS if c <= n]
        self.seen: dict[int, tuple[float, list[float]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> RssAlong:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while self.todo and not self._stop.wait(0.5):
            done = _count(self.out / "executed")
            while self.todo and done >= self.todo[0]:
                self.seen[self.todo.pop(0)] = _rss_tree()

    def line(self) -> str:
        return "; ".join(
            f"{n}: {coordinator:.0f} / {', '.join(f'{w:.0f}' for w in workers)}"
            for n, (coordinator, workers) in self.seen.items()
        )


def _count(folder: Path) -> int:
    try:
        return sum(1 for _ in os.scandir(folder))
    except OSError:
        return 0


def _rss_tree() -> tuple[float, list[float]]:
    """VmRSS of the grader command (this process's child) and of its worker processes."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        stat = _proc(entry.name, "stat") if entry.name.isdigit() else ""
        if stat:
            parents[int(entry.name)] = int(stat[stat.rfind(")") + 2 :].split()[1])
    grader = [pid for pid, parent in parents.items() if parent == os.getpid()]
    coordinator = _vm_rss(grader[0]) if grader else 0.0
    tree, todo = [], list(grader)
    while todo:
        pid = todo.pop()
        kids = [child for child, parent in parents.items() if parent == pid]
        tree.extend(kids)
        todo.extend(k for k in kids if "ipykernel" not in _proc(str(k), "cmdline"))
    workers = [_vm_rss(p) for p in tree if "multiprocessing.spawn" in _proc(str(p), "cmdline")]
    return coordinator, sorted(workers)


def _proc(pid: str, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_text(errors="replace")
    except OSError:
        return ""


def _vm_rss(pid: int) -> float:
    for line in _proc(str(pid), "status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


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
            seconds, cpu, watch = timed(subs, out, how, tmp / "compare.log")
            books.add((out / "gradebook.csv").read_text())
            best[method] = min(best.get(method, seconds), seconds)
            print(
                f"  round {index + 1} {method:<18} {seconds / n:.3f} s/nb, CPU {cpu / n:.3f} "
                f"s/nb; others {watch.foreign_cpu:.1f}; load {os.getloadavg()[0]:.2f}"
            )
            shutil.rmtree(out)
    print("gradebooks identical" if len(books) == 1 else "warning: the gradebooks differ")
    ratio = best["pool --workers 2"] / best["dask local:2"]
    print(f"best: pool {best['pool --workers 2'] / n:.3f}, dask {best['dask local:2'] / n:.3f}")
    return ratio


#: The ways to grade compared as the batch grows (``--methods``), and their options.
METHODS = {"dask": ["--scheduler", "local:2"], "pool": ["--workers", "2"]}


def scale(tmp: Path, sizes: list[int], method: str = "dask") -> dict[int, tuple[float, float]]:
    """Wall and CPU seconds per notebook at each size."""
    per_notebook = {}
    how = METHODS[method]
    print(f"\n{' '.join(how)} as the batch grows (peak RSS in MiB; others: CPU s)")
    print(
        f"{'N':>6} {'total s':>8} {'s/nb':>7} {'CPU s/nb':>9} {'coordinator':>12} "
        f"{'worker':>7} others load"
    )
    for n in sizes:
        subs = tmp / f"scale-{n}"
        if not subs.exists():
            make_submissions(subs, n)
        out = tmp / f"out-scale-{n}" if method == "dask" else tmp / f"out-scale-{method}-{n}"
        with RssAlong(out, n) as along:
            seconds, cpu, watch = timed(subs, out, how, tmp / f"scale-{method}-{n}.log")
        per_notebook[n] = (seconds / n, cpu / n)
        workers = [p.peak_kib / 1024 for p in watch.procs.values() if p.role == "worker"]
        print(
            f"{n:>6} {seconds:>8.1f} {seconds / n:>7.3f} {cpu / n:>9.3f} "
            f"{watch.peak_mib(('grader',)):>12.1f} {max(workers, default=0):>7.1f} "
            f"{watch.foreign_cpu:.0f} {os.getloadavg()[0]:.2f} "
            f"(workers: {', '.join(f'{w:.0f}' for w in workers)})"
        )
        print(
            f"       CPU s/nb as the machine's busy time less others': {watch.own_cpu / n:.3f}; "
            f"RSS along (coordinator / workers, MiB) after {along.line()}"
        )
    return per_notebook


def store_report_resume(tmp: Path, graded: int, n: int) -> None:
    """At size ``n``: storing every result, the report from the store, and ``--resume``.

    Where ``n`` was not graded (``--replicate``), its store is made from the ``graded`` run's:
    notebook ``i`` is a copy of source ``i % 10`` in both, so its result is that one renamed.
    """
    from grader.assignment._plan import GradingPlan
    from grader.assignment._spec import load_assignment
    from grader.report import _tables
    from grader.results._scores import class_totals
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
    results = [result for result, _ in store.results(names)]
    scores = _tables.scores_frame(store.results(names), plan.versions())
    questions = [q.id for q in plan.assignment.questions]
    _tables.write_csv(scores, tmp / "scores.csv")
    book = _tables.gradebook_frame(scores, class_totals(results), questions)
    _tables.write_csv(book, tmp / "gradebook.csv")
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
    parser.add_argument("--small", type=int, default=100, metavar="N")
    parser.add_argument(
        "--methods",
        default="dask",
        help="comma-separated, of dask (--scheduler local:2) and pool (--workers 2): each is "
        "timed at --small and --large (default dask)",
    )
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
        sizes = sorted({min(args.small, args.large), args.large})
        for method in args.methods.split(","):
            per_notebook = scale(tmp, sizes, method)
            if method == "dask":
                store_report_resume(tmp, args.large, args.replicate or args.large)
            (small, small_cpu), (large, large_cpu) = per_notebook[sizes[0]], per_notebook[sizes[-1]]
            suffix = "" if method == "dask" else f"_{method}"
            print(f"s_per_nb_large_vs_{sizes[0]}{suffix}: {large / small:.3f}")
            print(f"cpu_s_per_nb_large_vs_{sizes[0]}{suffix}: {large_cpu / small_cpu:.3f}")
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
