"""``grader similarity`` on generated classes of 250, 500 and 1,000 submissions: time and peak
memory of the command itself, and that the planted copies (and only they) are flagged.

    python benchmarks/similarity.py [--sizes 250 500 1000] [--keep]

Each class is written straight into an ``OUT/results.sqlite`` (grading 1,000 notebooks in
kernels is another benchmark's business): the assignment's student notebook as the template,
and per student the template with every stub filled in. The three Gaussian one-liners are
written in one of two natural ways (shared by hundreds: the frequency cut-off's work); the five
other functions are each student's own (random statements, loops and NumPy calls). One student
in 50 copied another, renaming every variable and reversing the order of the functions. Then
``grader similarity OUT`` runs in a child process, which reports its wall-clock seconds, the CPU
seconds of itself and its document workers, its own peak RSS and its largest worker's
(``ru_maxrss``). Prints one row per size, with the pairs flagged and the planted copies found.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.grading._sources import template_cells  # noqa: E402
from grader.results._store import Store  # noqa: E402

STUDENT = ROOT / "assignments" / "variational_inference" / "student.ipynb"
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
NATURAL = {
    "kl_gaussian": [
        "return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5",
        "return math.log(sigma2 / sigma1) + (sigma1 * sigma1 + (mu1 - mu2) ** 2) / "
        "(2 * sigma2 * sigma2) - 0.5",
    ],
    "kl_gaussian_same_mean": [
        "return np.log(sigma2 / sigma1) + sigma1**2 / (2 * sigma2**2) - 0.5",
        "r = sigma1 / sigma2\n    return 0.5 * r**2 - math.log(r) - 0.5",
    ],
    "kl_gaussian_same_variance": [
        "return (mu1 - mu2) ** 2 / (2 * sigma**2)",
        "return 0.5 * ((mu1 - mu2) / sigma) ** 2",
    ],
}
CALLS = ["np.log", "np.exp", "np.sqrt", "np.abs", "np.sum", "np.maximum", "math.log1p", "float"]
#: Code timed in the child process: the command itself, and its own peak RSS.
CHILD = """
import resource, sys, time
from click.testing import CliRunner
from grader._cli import main
start = time.perf_counter()
result = CliRunner().invoke(main, ["similarity", sys.argv[1]])
assert result.exit_code == 0, result.output
seconds = time.perf_counter() - start
me, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
cpu = me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime
print(f"{seconds:.2f} {cpu:.2f} {me.ru_maxrss / 1024:.1f} {workers.ru_maxrss / 1024:.1f}")
"""


def expression(rng: random.Random, depth: int, names: str) -> str:
    if depth == 0:
        return rng.choice([*names, str(rng.randint(1, 9))])
    if rng.random() < 0.35:
        return f"{rng.choice(CALLS)}({expression(rng, depth - 1, names)})"
    op = rng.choice(["+", "-", "*", "/"])
    return f"({expression(rng, depth - 1, names)} {op} {expression(rng, depth - 1, names)})"


def own_body(rng: random.Random) -> str:
    """Four to eight statements only this student writes."""
    lines = ["acc = 0.0"]
    for _ in range(rng.randint(4, 8)):
        kind = rng.random()
        if kind < 0.3:
            lines.append(f"for item in {rng.choice(['p', 'range(3)', 'list(p)'])}:")
            lines.append(f"    acc += {expression(rng, 2, ['item', 'acc'])}")
        elif kind < 0.5:
            lines.append(f"if {expression(rng, 1, ['acc'])} > {rng.randint(0, 3)}:")
            lines.append(f"    acc = {expression(rng, 2, ['acc'])}")
        else:
            lines.append(f"acc = {expression(rng, 3, ['acc', 'p'])}")
    return "\n    ".join([*lines, "return acc"])


def student(number: int, template: list[dict[str, str]]) -> list[dict[str, str]]:
    rng = random.Random(number)
    cells = []
    for cell in template:
        source = cell["source"]
        if cell["type"] == "code" and STUB in source:
            name = re.match(r"def (\w+)", source).group(1)
            body = rng.choice(NATURAL[name]) if name in NATURAL else own_body(rng)
            source = source.replace(STUB, "    " + body)
        cells.append({"type": cell["type"], "source": source})
    return cells


def disguised(cells: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every variable renamed, a comment added, the function cells in reverse order."""
    renamed = [
        {**c, "source": re.sub(r"\b(acc|item)\b", r"my_\1", c["source"]) + "\n# mine"}
        for c in cells
    ]
    slots = [i for i, c in enumerate(renamed) if c["source"].startswith("def ")]
    functions = [renamed[i] for i in slots]
    for slot, cell in zip(slots, reversed(functions)):
        renamed[slot] = cell
    return renamed


def write_class(out: Path, size: int) -> set[tuple[str, str]]:
    """The class in out/results.sqlite; returns the planted pairs."""
    template = template_cells(STUDENT)
    store = Store(out / "results.sqlite", {"benchmark": "similarity"}, resume=False)
    planted = set()
    for number in range(size):
        name = f"s{number:04d}"
        if number % 50 == 49:
            source = f"s{number - 17:04d}"
            cells = disguised(student(number - 17, template[1]))
            planted.add((source, name))
        else:
            cells = student(number, template[1])
        store.put_sources(name, template, cells)
    store.close()
    return planted


def run(size: int, keep: bool) -> None:
    out = Path(tempfile.mkdtemp(prefix=f"similarity-{size}-"))
    try:
        planted = write_class(out, size)
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(out)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        seconds, cpu, rss, workers = child.stdout.split()[-4:]
        rows = (out / "similarity.csv").read_text().splitlines()[1:]
        flagged = {tuple(row.split(",")[:2]) for row in rows}
        print(
            f"{size:>6} {seconds:>8} {cpu:>6} {rss:>12} {workers:>11} {len(flagged):>8} "
            f"{len(planted & flagged)}/{len(planted)}"
        )
    finally:
        if not keep:
            shutil.rmtree(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--keep", action="store_true", help="keep the generated OUT folders")
    args = parser.parse_args()
    head = f"{'N':>6} {'seconds':>8} {'cpu_s':>6} {'peak_rss_mb':>12} {'worker_mb':>11}"
    print(f"{head} {'flagged':>8} planted found")
    for size in args.sizes:
        run(size, args.keep)


if __name__ == "__main__":
    main()
