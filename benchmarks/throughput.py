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

Beside them, in seconds per notebook: bare, the grader with 1 and 2 workers, and the CPU seconds
of the whole command's process tree (grader, workers, zygotes and kernels: a cgroup ``cpuacct``
group the command runs in, ``TreeCpu``) per notebook at 2 workers: that of the fastest round,
and the median over every round (``cpu_s_per_notebook_2_workers_median``, each round's figure
beside it), which moves less with the load of one minute; with ``--baseline``,
``cpu_ratio_2_workers_median`` is this checkout's median over the baseline's.

**Where the time goes**: the grader is run with ``GRADER_PHASES`` naming a file, where each
grading process appends, per submission, the wall and CPU seconds of each phase
(``grader/kernel/_phases.py``: start, cells, calls, comparisons, hints, teardown, store; CPU
counts the grading process and the submission's cgroup, so the kernel's too). The table prints
them per notebook for each worker count; ``fixed`` is the rest of the command (imports, the plan
and the oracles, the zygote, the report): its wall seconds are the command's less the phases'
divided by the workers, its CPU seconds the tree's less the phases'.

**The bare baseline is frozen**: ``run_bare`` (nbclient, a fresh ``python3`` kernel per notebook,
one after another, output to /dev/null, timeout 60, errors allowed) is the method every ratio in
docs/explanation/performance.md was measured against since the first table; it must not change,
or the ratios of different days stop being comparable.

``--baseline DIR`` also times another checkout's grader (``git worktree add --detach DIR REV``)
in the same rounds, interleaved, on the same notebooks: the fair before/after on a shared
machine. Its gradebooks must equal this checkout's (the script says whether they do).
The load average is printed before and after.

Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import resource
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
sys.path.insert(0, str(ROOT))  # this checkout's grader, whatever is installed
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
PHASES = ("start", "cells", "calls", "comparisons", "hints", "teardown", "store")
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
    if "/.grader/zygote.py" in cmdline:  # grader/kernel/_zygote.py, and the bwrap that runs it
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


def children_cpu() -> float:
    """CPU seconds of every descendant of this process reaped so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def own_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


class TreeCpu:
    """CPU seconds of a command's whole tree, kernels included, from a cgroup v1 ``cpuacct``
    group that this process joins for the command: its children start in it, and the grader
    makes each kernel's group under its own, so everything they use is counted, also what was
    never reaped by a parent (a killed sandbox's). This process's own CPU meanwhile (its /proc
    polling) is taken out. Without a writable ``cpuacct`` hierarchy: the reaped children's
    ``getrusage``, which misses most of the kernels'."""

    def __init__(self) -> None:
        own = next(
            (line.split(":", 2)[2] for line in _lines("/proc/self/cgroup") if ":cpuacct" in line),
            None,
        )
        self.home = Path("/sys/fs/cgroup/cpuacct", (own or "/").lstrip("/"))
        self.group = self.home / f"grader-bench-{os.getpid()}"
        self.exact = own is not None and os.access(self.home, os.W_OK)
        self.seconds = 0.0

    def __enter__(self) -> TreeCpu:
        if self.exact:
            self.group.mkdir(exist_ok=True)
            (self.group / "cgroup.procs").write_text(str(os.getpid()))
            self._start = (_usage(self.group), own_cpu())
        else:
            self._start = (children_cpu(), 0.0)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.exact:
            self.seconds = children_cpu() - self._start[0]
            return
        self.seconds = _usage(self.group) - self._start[0] - (own_cpu() - self._start[1])
        (self.home / "cgroup.procs").write_text(str(os.getpid()))
        with contextlib.suppress(OSError):  # a kernel's group may linger a moment
            self.group.rmdir()


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _usage(group: Path) -> float:
    return int((group / "cpuacct.usage").read_text()) / 1e9


def load_average() -> str:
    return " ".join((_read("/proc/loadavg") or "? ? ?").split()[:3])


# -- the measurements ------------------------------------------------------------------------
@dataclass
class Run:
    method: str
    seconds: float
    n: int
    watch: TreeWatch
    notes: str = ""
    #: CPU seconds of the command's whole tree (``TreeCpu``); 0 where not measured.
    cpu: float = 0.0
    #: Per phase: (wall, CPU) seconds summed over the notebooks (``GRADER_PHASES``).
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    workers: int = 1

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


def grade_command(
    subs: Path,
    out: Path,
    options: list[str],
    log: Path,
    tree: Path = ROOT,
    env: dict[str, str] | None = None,
) -> tuple[float, TreeWatch]:
    """Wall seconds of one ``grader grade`` command, and what its process tree used; ``tree``:
    the checkout whose grader runs (its folder is the command's working folder)."""
    cmd = [*GRADER_CMD, "grade", str(ASSIGNMENT), str(subs), "--out", str(out), *options]
    with open(log, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=tree, env=env or dict(os.environ)
        )
        watch = TreeWatch(proc.pid)
        watch.start()
        code = proc.wait()
        seconds = time.perf_counter() - start
        watch.stop()
    if code != 0:
        sys.exit(f"grader {' '.join(options)} exited with {code}:\n{log.read_text()[-3000:]}")
    return seconds, watch


def run_grader(
    subs: Path, out: Path, workers: int, n: int, logs: Path, baseline: Path | None = None
) -> Run:
    """One ``grader grade`` command; ``baseline``: another checkout's grader, else this one's
    with ``GRADER_PHASES`` set."""
    label = "base" if baseline else "grader"
    log = logs / f"{label}_w{workers}.log"
    phases_file = logs / f"phases_{label}_w{workers}.jsonl"
    phases_file.unlink(missing_ok=True)
    env = dict(os.environ)
    env.pop("GRADER_PHASES", None)
    if baseline is None:
        env["GRADER_PHASES"] = str(phases_file)
    with TreeCpu() as cpu:
        seconds, watch = grade_command(
            subs, out, ["--workers", str(workers)], log, baseline or ROOT, env
        )
    inside = _seconds_in_notebooks(out / "scores.csv")
    notes = f"per-notebook seconds (scores.csv) sum to {inside:.1f} s"
    if workers == 1:
        notes += f"; start-up, oracles and report {seconds - inside:.1f} s"
    method = f"{label} grade --workers {workers}"
    return Run(method, seconds, n, watch, notes, cpu.seconds, read_phases(phases_file), workers)


def read_phases(path: Path) -> dict[str, tuple[float, float]]:
    """Each phase's wall and CPU seconds, summed over every line of a ``GRADER_PHASES`` file."""
    found: dict[str, tuple[float, float]] = {}
    for line in (_read(str(path)) or "").splitlines():
        entry = json.loads(line)
        for name, wall in entry["wall"].items():
            before = found.get(name, (0.0, 0.0))
            found[name] = (before[0] + wall, before[1] + entry["cpu"].get(name, 0.0))
    return found


def print_phases(runs: list[Run]) -> None:
    """Per notebook, each phase's wall and CPU seconds for each grader row with phases."""
    shown = [run for run in runs if run.phases]
    if not shown:
        return
    print()
    head = "".join(f" {f'w{r.workers} wall':>9} {f'w{r.workers} CPU':>8}" for r in shown)
    print(f"{'phase, s per notebook':<24}{head}")
    for name in (*PHASES, "fixed", "total"):
        cells = []
        for run in shown:
            wall, cpu = _phase_figures(run, name)
            cells.append(f" {wall:>9.3f} {cpu:>8.3f}")
        print(f"{name:<24}{''.join(cells)}")
    print(
        "(wall: seconds one notebook spends in the phase; fixed: the command's wall seconds "
        "less the phases' / workers, and its tree's CPU less the phases'; total: the command)"
    )


def _phase_figures(run: Run, name: str) -> tuple[float, float]:
    n = run.n
    if name == "total":
        return run.seconds / n, run.cpu / n
    if name == "fixed":
        wall = sum(w for w, _ in run.phases.values())
        cpu = sum(c for _, c in run.phases.values())
        return (run.seconds - wall / run.workers) / n, (run.cpu - cpu) / n
    wall, cpu = run.phases.get(name, (0.0, 0.0))
    return wall / n, cpu / n


def _seconds_in_notebooks(scores: Path) -> float:
    """Sum of the per-submission ``seconds`` column (kernel, cells and calls of each)."""
    with open(scores, newline="", encoding="utf-8") as f:
        per_sub = {row["submission"]: float(row["seconds"]) for row in csv.DictReader(f)}
    return sum(per_sub.values())


def _gradebook(out: Path) -> str:
    return (out / "gradebook.csv").read_text(encoding="utf-8")


def warm_answer_cache() -> str:
    """The oracles' answers put in the answer cache (``grader/assignment/_answer_cache.py``)
    before the rounds, so every timed command of this checkout finds them, whichever runs first;
    where it says where it is. ``GRADER_CACHE=off`` times commands that compute them (about 0.3
    CPU s each for this sheet)."""
    code = (
        "import sys\n"
        "from grader import GradingPlan, load_assignment\n"
        "from grader.assignment._answer_cache import AnswerCache\n"
        "GradingPlan.build(load_assignment(sys.argv[1], defer_oracles=True))\n"
        "cache = AnswerCache.here()\n"
        "print(cache.folder if cache else 'off (the answers are computed by every command)')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ASSIGNMENT)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return done.stdout.strip()


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
        f"{'method':<28} {'total s':>8} {'s/notebook':>10} {'CPU s':>6} {'CPU s/nb':>8} "
        f"{'cores':>5} {'others CPU s':>12}  notes"
    )
    for run in runs:
        watch = run.watch
        cpu = run.cpu or watch.own_cpu
        print(
            f"{run.method:<28} {run.seconds:>8.2f} {run.per_notebook:>10.3f} "
            f"{cpu:>6.1f} {cpu / run.n:>8.3f} {cpu / run.seconds:>5.2f} "
            f"{watch.foreign_cpu:>12.1f}  {run.notes}"
        )
    print(
        "(CPU s: what the method used on all cores, kernels included: for the grader its "
        "process tree's cgroup, for bare the machine's busy time less others'; cores: CPU s / "
        "total s; others CPU s: used meanwhile by processes outside this benchmark: well "
        "above 0, the timings are noisy)"
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


def print_summary(
    runs: list[Run], watches: dict[str, list[TreeWatch]], cpus: dict[str, list[float]]
) -> None:
    """The figures the docs quote: ratios, with the seconds per notebook they come from.
    ``cpus``: each method's CPU seconds per notebook in every round. The CPU of the fastest
    round moves with the load of that round's minute; the median over rounds moves less, and
    with ``--baseline`` their ratio is the before/after of the issue's CPU target."""
    by = {run.method: run for run in runs}
    bare = runs[0]
    print(f"bare_s_per_notebook: {bare.per_notebook:.3f}")
    for label in ("grader", "base"):
        one, two = by.get(f"{label} grade --workers 1"), by.get(f"{label} grade --workers 2")
        if one is None or two is None:
            continue
        prefix = "" if label == "grader" else "baseline_"
        peak = max(_peak(watches[run.method], "grader", "worker", "zygote") for run in (one, two))
        print(f"{prefix}s_per_notebook_1_worker: {one.per_notebook:.3f}")
        print(f"{prefix}s_per_notebook_2_workers: {two.per_notebook:.3f}")
        print(f"{prefix}cpu_s_per_notebook_2_workers: {two.cpu / two.n:.3f}")
        print(f"{prefix}overhead_ratio: {one.per_notebook / bare.per_notebook:.3f}")
        print(f"{prefix}speedup_vs_bare_2_workers: {bare.per_notebook / two.per_notebook:.3f}")
        print(f"{prefix}peak_rss_mb: {peak:.2f}")
        rounds = cpus.get(two.method, [])
        shown = ", ".join(f"{cpu:.3f}" for cpu in rounds)
        print(f"{prefix}cpu_s_per_notebook_2_workers_median: {_median(rounds):.3f} ({shown})")
    grader, base = cpus.get("grader grade --workers 2"), cpus.get("base grade --workers 2")
    if grader and base:
        print(f"cpu_ratio_2_workers_median: {_median(grader) / _median(base):.3f}")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if not ordered:
        return float("nan")
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


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
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also time the grader of this checkout (a git worktree of an earlier commit) in "
        "the same rounds, for a before/after under the same load",
    )
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
        print(f"load average at start: {load_average()}")
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
        print(f"answer cache: {warm_answer_cache()}")

        # Rounds interleave the methods, so load that drifts hits each alike; best round kept.
        best: dict[str, Run] = {}
        watches: dict[str, list[TreeWatch]] = {}
        cpus: dict[str, list[float]] = {}
        books = set()
        for _ in range(args.repeat):
            rounds = [run_bare(subs, tmp / "bare")]
            for workers in range(1, args.workers_max + 1):
                for tree in (None, args.baseline) if args.baseline else (None,):
                    out = tmp / f"out_{'base' if tree else 'grader'}_w{workers}"
                    shutil.rmtree(out, ignore_errors=True)
                    rounds.append(run_grader(tmp / "submissions", out, workers, n, tmp, tree))
                    books.add(_gradebook(out))
            for run in rounds:
                watches.setdefault(run.method, []).append(run.watch)
                cpus.setdefault(run.method, []).append(run.cpu / run.n)
                if run.method not in best or run.seconds < best[run.method].seconds:
                    best[run.method] = run
        runs = list(best.values())
        print_tables(runs, watches)
        print_phases(runs)
        print(f"load average at end: {load_average()}")
        if len(books) != 1:
            print("warning: the gradebooks differ between worker counts (or from the baseline)")
        else:
            print("gradebooks identical across worker counts (and the baseline's)")
        if args.keep:
            print(f"kept: {tmp}")

        print_summary(runs, watches, cpus)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
