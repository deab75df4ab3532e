"""Throughput and memory of ``grader grade`` against bare nbclient execution.

    python benchmarks/throughput.py --submissions 10 [--workers-max 2] [--repeat 1] [--keep]

On the same N notebooks (the model solution and the seeded-bug examples, round-robin, copied
as ``sub_000.ipynb``, ``sub_001.ipynb``, ... into a temporary folder) it measures:

1. bare execution: ``nbclient`` runs each notebook in a fresh ``python3`` kernel (this
   interpreter's ipykernel), one after another in this process: the floor for one worker;
2. the real ``grader grade`` command as a subprocess, ``--workers 1``, ``2``, ... up to
   ``--workers-max``: wall time of the whole command (start-up, oracles, report included).

While a grader command runs, /proc is polled every 0.1 s for its process tree; the peak RSS
(VmHWM) of the grader process and of each worker is kept. Kernels (``ipykernel_launcher``) and
whatever they start are the student's, not the grader's: shown for information, not counted.

Each method's row also gives the CPU seconds it used (all cores, kernels included) and those used
meanwhile by processes outside this benchmark: on a shared machine, a row with many of the latter
is noise; rerun, or pass ``--repeat`` to keep each method's fastest of several interleaved rounds.
The grader runs with the environment given (``GRADER_SANDBOX=none`` compares without bubblewrap).

With ``GRADER_WARM=1`` the grader forks its kernels from a warm zygote per worker
(``grader/kernel/_warm.py``); the zygote is the grader's and counts in ``peak_rss_mb``, its forks
are kernels. The last three lines are what docs/explanation/performance.md quotes::

    overhead_ratio: X              grader --workers 1 s/notebook / bare s/notebook
    speedup_vs_bare_2_workers: Y   bare s/notebook / grader --workers 2 s/notebook
    peak_rss_mb: Z                 largest peak RSS of the grader, its workers and zygotes, MiB

Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "assignments" / "variational_inference"
EXAMPLES = ROOT / "examples" / "submissions"
SOURCES = [
    ASSIGNMENT / "solution.ipynb",
    *(
        EXAMPLES / f"{name}.ipynb"
        for name in (
            "alice_numpy",
            "bob_loops",
            "carol_scipy",
            "dave_log2",
            "erin_variance_bug",
            "frank_wrong_axis",
            "grace_zero_terms",
            "heidi_syntax_error",
            "ivan_unfinished",
        )
    ),
]
#: The console script ``grader = grader._cli:main``, run by this very interpreter.
GRADER_CMD = [
    sys.executable,
    "-c",
    "import sys; from grader._cli import main; sys.argv[0] = 'grader'; sys.exit(main())",
]
POLL_SECONDS = 0.1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MIN_CASES = 100


# -- the process tree of a running grader ----------------------------------------------------
@dataclass
class Proc:
    """One process seen under the grader: its role and the largest VmHWM read, in KiB."""

    pid: int
    role: str
    top: bool = True
    peak_kib: int = 0


@dataclass
class TreeWatch:
    """Polls /proc: each descendant of ``root``'s peak RSS, and the CPU time of strangers.

    Strangers are processes outside this benchmark's own tree (another test run on the same
    machine, say): their CPU seconds while we measure say how noisy the timing was.
    """

    root: int
    procs: dict[tuple[int, str], Proc] = field(default_factory=dict)
    polls: int = 0
    foreign_cpu: float = 0.0
    busy_cpu: float = 0.0
    _cpu: dict[tuple[int, str], int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        busy = _busy_cpu()
        while True:
            self.poll()
            if self._stop.wait(POLL_SECONDS):
                break
        self.busy_cpu = _busy_cpu() - busy

    @property
    def own_cpu(self) -> float:
        """CPU seconds this benchmark's processes used: all the machine's minus strangers'."""
        return max(0.0, self.busy_cpu - self.foreign_cpu)

    def poll(self) -> None:
        first = self.polls == 0
        self.polls += 1
        children: dict[int, list[int]] = {}
        starts: dict[int, str] = {}
        cpu: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            stat = _read(f"/proc/{entry.name}/stat")
            if not stat:
                continue
            # Fields from the state on (the command name before may hold spaces, parentheses).
            fields = stat[stat.rfind(")") + 2 :].split()
            pid = int(entry.name)
            children.setdefault(int(fields[1]), []).append(pid)
            starts[pid] = fields[19]
            cpu[pid] = int(fields[11]) + int(fields[12])
        ours = set(_descendants(os.getpid(), children))
        for pid, ticks in cpu.items():
            if pid in ours:
                continue
            key = (pid, starts[pid])
            before = self._cpu.get(key, None if first else 0)
            if before is not None:
                self.foreign_cpu += (ticks - before) / CLOCK_TICKS
            self._cpu[key] = ticks
        self._walk(children, starts)

    def _walk(self, children: dict[int, list[int]], starts: dict[int, str]) -> None:
        todo = [(self.root, False)] if self.root in starts else []
        while todo:
            pid, in_kernel = todo.pop()
            cmdline = (_read(f"/proc/{pid}/cmdline") or "").replace("\0", " ").strip()
            role = "kernel" if in_kernel else _role(pid == self.root, cmdline)
            key = (pid, starts[pid])
            proc = self.procs.get(key)
            # A child forked but not yet exec'd looks like its parent; exec resets VmHWM. A
            # zombie has no command line: it keeps the role it had.
            if proc is None or (cmdline and proc.role != role):
                proc = self.procs[key] = Proc(pid, role, top=not in_kernel)
            proc.peak_kib = max(proc.peak_kib, _hwm_kib(pid))
            # What a kernel starts (or the kernel bwrap starts) is the student's too.
            # A zygote's forks are kernels (GRADER_WARM=1); the zygote itself is the grader's.
            todo.extend((child, role in ("kernel", "zygote")) for child in children.get(pid, []))

    def peak_mib(self, roles: tuple[str, ...]) -> float:
        peaks = [p.peak_kib for p in self.procs.values() if p.role in roles]
        return max(peaks, default=0) / 1024

    def count(self, role: str) -> int:
        """How many processes of this role; for kernels, the tops of kernel trees."""
        return sum(p.role == role and p.top for p in self.procs.values())


def _busy_cpu() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat)."""
    ticks = [int(x) for x in (_read("/proc/stat") or "cpu 0").splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (ticks + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def _descendants(root: int, children: dict[int, list[int]]) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _role(is_root: bool, cmdline: str) -> str:
    if "zygote.sock" in cmdline:  # grader/kernel/_zygote.py, and the bwrap that runs it
        bwrap = os.path.basename(cmdline.split(" ", 1)[0]) == "bwrap"
        return "other" if bwrap else "zygote"
    if "ipykernel_launcher" in cmdline:
        return "kernel"
    if is_root:
        return "grader"
    if "multiprocessing.spawn" in cmdline or "multiprocessing.forkserver" in cmdline:
        return "worker"
    if "resource_tracker" in cmdline:
        return "resource_tracker"
    return "other"


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _hwm_kib(pid: int) -> int:
    """VmHWM (peak resident set so far), else VmRSS; 0 for a zombie or a process now gone."""
    status = _read(f"/proc/{pid}/status") or ""
    found = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            found[key] = int(value.split()[0])
    return found.get("VmHWM", found.get("VmRSS", 0))


# -- the measurements ------------------------------------------------------------------------
@dataclass
class Run:
    method: str
    seconds: float
    n: int
    watch: TreeWatch
    notes: str = ""

    @property
    def per_notebook(self) -> float:
        return self.seconds / self.n


def make_submissions(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(n):
        path = folder / f"sub_{i:03d}.ipynb"
        shutil.copyfile(SOURCES[i % len(SOURCES)], path)
        paths.append(path)
    return paths


def check_kernelspec() -> str:
    """The "python3" kernel must be this interpreter, or bare and grader are not comparable."""
    argv = list(KernelSpecManager().get_kernel_spec("python3").argv)
    # jupyter_client replaces a bare "python"/"python3"/"python3.X" with sys.executable.
    short = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    if argv and argv[0] in short:
        argv[0] = sys.executable
    if not argv or os.path.realpath(argv[0]) != os.path.realpath(sys.executable):
        sys.exit(
            f"the 'python3' kernelspec runs {argv[:1]}, not this interpreter ({sys.executable}); "
            "install this interpreter's: python -m ipykernel install --user --name python3"
        )
    return " ".join(argv)


def grader_isolation() -> str:
    """How the grader will run kernels here (bwrap or process, warm or not), if it can say."""
    try:
        from grader.kernel._sandbox import sandbox_description

        return str(sandbox_description())
    except Exception as exc:  # an older or newer grader: the figure is informative only
        return f"unknown ({type(exc).__name__})"


def min_cases() -> tuple[int, str]:
    frozen = json.loads((ASSIGNMENT / "frozen.json").read_text(encoding="utf-8"))
    counts = {key: len(check["cases"]) for key, check in frozen["checks"].items()}
    key = min(counts, key=counts.__getitem__)
    return counts[key], key


def run_bare(paths: list[Path], work: Path) -> Run:
    """Each notebook in a fresh kernel, in turn; kernel output to /dev/null as the grader's."""
    work.mkdir(exist_ok=True)
    times = {}
    watch = TreeWatch(os.getpid())
    watch.start()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(
            nb,
            kernel_name="python3",
            timeout=60,
            allow_errors=True,
            resources={"metadata": {"path": str(work)}},
        ).execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[path.stem] = time.perf_counter() - start
    watch.stop()
    slow, fast = max(times, key=times.__getitem__), min(times, key=times.__getitem__)
    notes = f"fastest {fast} {times[fast]:.2f} s, slowest {slow} {times[slow]:.2f} s"
    return Run("bare nbclient (1 process)", sum(times.values()), len(paths), watch, notes)


def grade_command(subs: Path, out: Path, options: list[str], log: Path) -> tuple[float, TreeWatch]:
    """Wall seconds of one ``grader grade`` command, and what its process tree used."""
    cmd = [*GRADER_CMD, "grade", str(ASSIGNMENT), str(subs), "--out", str(out), *options]
    with open(log, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
        watch = TreeWatch(proc.pid)
        watch.start()
        code = proc.wait()
        seconds = time.perf_counter() - start
        watch.stop()
    if code != 0:
        sys.exit(f"grader {' '.join(options)} exited with {code}:\n{log.read_text()[-3000:]}")
    return seconds, watch


def run_grader(subs: Path, out: Path, workers: int, n: int, logs: Path) -> Run:
    log = logs / f"grader_w{workers}.log"
    seconds, watch = grade_command(subs, out, ["--workers", str(workers)], log)
    inside = _seconds_in_notebooks(out / "scores.csv")
    notes = f"per-notebook seconds (scores.csv) sum to {inside:.1f} s"
    if workers == 1:
        notes += f"; start-up, oracles and report {seconds - inside:.1f} s"
    return Run(f"grader grade --workers {workers}", seconds, n, watch, notes)


def _seconds_in_notebooks(scores: Path) -> float:
    """Sum of the per-submission ``seconds`` column (kernel, cells and calls of each)."""
    with open(scores, newline="", encoding="utf-8") as f:
        per_sub = {row["submission"]: float(row["seconds"]) for row in csv.DictReader(f)}
    return sum(per_sub.values())


def _gradebook(out: Path) -> str:
    return (out / "gradebook.csv").read_text(encoding="utf-8")


def machine() -> str:
    cpu = ""
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            cpu = line.partition(":")[2].strip()
            break
    mem = ""
    for line in (_read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"machine: nproc {usable} (cpu_count {os.cpu_count()}), {cpu}, {mem}; "
        f"Python {platform.python_version()} ({platform.python_implementation()}); "
        f"{platform.platform()}"
    )


def _peak(watches: list[TreeWatch], *roles: str) -> float:
    return max(watch.peak_mib(roles) for watch in watches)


def print_tables(runs: list[Run], watches: dict[str, list[TreeWatch]]) -> None:
    print()
    print(
        f"{'method':<28} {'total s':>8} {'s/notebook':>10} {'CPU s':>6} {'cores':>5} "
        f"{'others CPU s':>12}  notes"
    )
    for run in runs:
        watch = run.watch
        print(
            f"{run.method:<28} {run.seconds:>8.2f} {run.per_notebook:>10.3f} "
            f"{watch.own_cpu:>6.1f} {watch.own_cpu / run.seconds:>5.2f} "
            f"{watch.foreign_cpu:>12.1f}  {run.notes}"
        )
    print(
        "(CPU s: what the method used on all cores, kernels included; cores: CPU s / total s; "
        "others CPU s: used meanwhile by processes outside this benchmark: well above 0, "
        "the timings are noisy)"
    )
    print()
    print(
        f"{'peak RSS, MiB':<28} {'grader':>8} {'workers':>10} {'zygotes':>8}  "
        "kernels (the student's, not counted)"
    )
    for run in runs:
        seen = watches[run.method]
        n_workers = max(watch.count("worker") for watch in seen)
        grader = f"{_peak(seen, 'grader'):.1f}" if run is not runs[0] else "-"
        workers = f"{_peak(seen, 'worker'):.1f}" if n_workers else "-"
        zygotes = f"{_peak(seen, 'zygote'):.1f}" if run.watch.count("zygote") else "-"
        print(
            f"{run.method:<28} {grader:>8} {workers:>10} {zygotes:>8}  "
            f"max {_peak(seen, 'kernel'):.1f} over {run.watch.count('kernel')} kernels; "
            f"{n_workers} worker process(es); {run.watch.polls} polls"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--submissions", type=int, default=10, metavar="N", help="notebooks to grade (default 10)"
    )
    parser.add_argument(
        "--workers-max",
        type=int,
        default=2,
        metavar="W",
        help="grade with --workers 1, 2, ..., W (at least 2; default 2)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="R",
        help="rounds of all methods, interleaved; the fastest round of each is reported "
        "(peak RSS: the largest of all rounds)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.submissions < 1 or args.workers_max < 2 or args.repeat < 1:
        parser.error("--submissions and --repeat must be >= 1, --workers-max >= 2")
    if not sys.platform.startswith("linux"):
        parser.error("this benchmark reads /proc: Linux only")

    n = args.submissions
    kernel_cmd = check_kernelspec()
    cases, check = min_cases()
    tmp = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        subs = make_submissions(tmp / "submissions", n)
        print(machine())
        print(f"submissions: {n} in {tmp / 'submissions'} ({len(SOURCES)} sources, round-robin)")
        print(f"bare kernel: {kernel_cmd}")
        print(f"grader kernel isolation: {grader_isolation()}")
        print(f"min_cases_per_check: {cases} ({check})")
        if args.repeat > 1:
            print(f"rounds: {args.repeat}, interleaved; the fastest of each method is shown")
        if cases < MIN_CASES:
            print(f"warning: check {check} has {cases} frozen cases, fewer than {MIN_CASES}")
        sys.stdout.flush()

        # Warm-up, not timed: page cache and bytecode for the kernel's and the grader's imports.
        run_bare(subs[:1], tmp / "bare")
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import grader._cli, grader.grading._batch, grader.assignment._plan",
            ],
            check=True,
        )

        # Rounds interleave the methods, so load that drifts hits each alike; best round kept.
        best: dict[str, Run] = {}
        watches: dict[str, list[TreeWatch]] = {}
        books = set()
        for _ in range(args.repeat):
            rounds = [run_bare(subs, tmp / "bare")]
            for workers in range(1, args.workers_max + 1):
                out = tmp / f"out_w{workers}"
                shutil.rmtree(out, ignore_errors=True)
                rounds.append(run_grader(tmp / "submissions", out, workers, n, tmp))
                books.add(_gradebook(out))
            for run in rounds:
                watches.setdefault(run.method, []).append(run.watch)
                if run.method not in best or run.seconds < best[run.method].seconds:
                    best[run.method] = run
        runs = list(best.values())
        print_tables(runs, watches)
        if len(books) != 1:
            print("warning: the gradebooks differ between worker counts")
        else:
            print("gradebooks identical across worker counts")
        if args.keep:
            print(f"kept: {tmp}")

        bare, one, two = runs[0], runs[1], runs[2]
        peak = max(_peak(watches[run.method], "grader", "worker", "zygote") for run in runs[1:])
        print(f"overhead_ratio: {one.per_notebook / bare.per_notebook:.3f}")
        print(f"speedup_vs_bare_2_workers: {bare.per_notebook / two.per_notebook:.3f}")
        print(f"peak_rss_mb: {peak:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
