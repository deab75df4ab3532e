"""Peak memory and CPU of the grader's own processes on a batch of hostile and malformed notebooks.

    python benchmarks/hostile_batch.py [--workers 2] [--max-rss-mb 300] [--keep]

The batch: every ``tests/files/broken_*`` notebook, the ``hostile_*`` ones that attack the grader
rather than the kernel (control sequences, a 60 MB reply, an int past any float, 200 MB of
output, 150 displays of 15 MB, text no UTF-8 file takes), and four made here: 300,000 empty
markdown cells (21 MB), a notebook over the byte cap (40 MB), one just under it (30 MB of
stale output) and 9 MB of empty dicts. Never the fork bomb or the notebook that
uninstalls numpy. It runs the real ``grader grade`` command, polling /proc every 0.1 s for the
peak RSS (VmHWM) and CPU time of the grader process and each worker; kernels are the student's
and are shown apart, not counted.

Prints one row per role and, last, the figures docs/explanation/performance.md quotes::

    peak_rss_mb: X          largest peak RSS of the grader process and its workers, MiB
    cpu_s_per_submission: Y CPU seconds of the grader and its workers, per submission

Exits 1 when ``peak_rss_mb`` exceeds ``--max-rss-mb``. Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_output

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests" / "files")]

from make_files import json_bomb, many_cells, solution  # noqa: E402
from throughput import CLOCK_TICKS, GRADER_CMD, TreeWatch, _read  # noqa: E402

FILES = ROOT / "tests" / "files"
HOSTILE = (
    "hostile_terminal_escapes",
    "hostile_huge_reply",
    "hostile_returns_huge_int",
    "hostile_print_200mb_past_the_cap",
    "hostile_display_flood",
    "hostile_unencodable_output",
)
OWN = ("grader", "worker")


class CpuWatch(TreeWatch):
    """TreeWatch, plus the CPU ticks each grader process and worker used, as last seen."""

    def _walk(self, children: dict[int, list[int]], starts: dict[int, str]) -> None:
        super()._walk(children, starts)
        ticks = getattr(self, "ticks", {})
        for key, proc in self.procs.items():
            stat = _read(f"/proc/{proc.pid}/stat") if proc.role in OWN else None
            if stat and starts.get(proc.pid) == key[1]:
                fields = stat[stat.rfind(")") + 2 :].split()
                ticks[key] = max(ticks.get(key, 0), int(fields[11]) + int(fields[12]))
        self.ticks = ticks

    def own_cpu_seconds(self) -> float:
        return sum(getattr(self, "ticks", {}).values()) / CLOCK_TICKS


def with_output(megabytes: int) -> nbformat.NotebookNode:
    """The solution with a stale stream output of that many MB (never used: it runs afresh)."""
    nb = solution()
    text = ("y" * 1023 + "\n") * (megabytes * 1024)
    nb.cells.append(
        new_code_cell("print('hi')", id="big", outputs=[new_output("stream", text=text)])
    )
    return nb


def make_batch(folder: Path) -> int:
    folder.mkdir(parents=True)
    names = sorted(p.stem for p in FILES.glob("broken_*.ipynb")) + list(HOSTILE)
    for name in names:
        shutil.copyfile(FILES / f"{name}.ipynb", folder / f"{name}.ipynb")
    nbformat.write(many_cells(300_000), folder / "made_300000_cells.ipynb")
    nbformat.write(with_output(40), folder / "made_40mb_over_the_cap.ipynb")
    nbformat.write(with_output(30), folder / "made_30mb_stale_output.ipynb")
    (folder / "made_json_bomb.ipynb").write_bytes(json_bomb())
    return len(names) + 4


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-rss-mb", type=float, default=300.0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-hostile-batch-"))
    try:
        n = make_batch(work / "subs")
        cmd = [*GRADER_CMD, "grade", "variational_inference", str(work / "subs")]
        cmd += ["--out", str(work / "out"), "--workers", str(args.workers), "--cell-timeout", "10"]
        start = time.perf_counter()
        with open(work / "grader.log", "wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            watch = CpuWatch(proc.pid)
            watch.start()
            code = proc.wait()
            watch.stop()
        seconds = time.perf_counter() - start
        if code != 0:
            print((work / "grader.log").read_text(errors="replace"))
            return code
        return report(watch, n, seconds, args.max_rss_mb)
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(watch: CpuWatch, n: int, seconds: float, cap: float) -> int:
    print(f"{n} submissions in {seconds:.1f} s")
    print(f"{'role':<10} {'processes':>9} {'peak RSS MiB':>13}")
    for role in ("grader", "worker", "kernel"):
        print(f"{role:<10} {watch.count(role):>9} {watch.peak_mib((role,)):>13.1f}")
    peak = watch.peak_mib(OWN)
    print(f"peak_rss_mb: {peak:.1f}")
    print(f"cpu_s_per_submission: {watch.own_cpu_seconds() / n:.3f}")
    return 0 if peak <= cap else 1


if __name__ == "__main__":
    sys.exit(main())
