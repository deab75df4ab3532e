"""Write the broken_*, hostile_* and probe_* files: submissions that are not what they should be.

Most are the solution notebook with one cell added or changed, so every question the change does
not touch must keep its full marks. ``broken_*`` are honest mistakes (not a notebook, a cell that
raises, a function that returns the wrong thing); ``hostile_*`` attack the grader's resources
(endless loops, sleeps, dying kernels, memory, output, processes, the environment); ``probe_*``
report from inside a kernel which caps are in force, so tests can skip what is not safe to run.
Never grade this folder as a whole: hostile_fork_bomb and hostile_pip_uninstall_numpy are safe
only under the caps tests/test_hostile.py probes for first.
Run: python tests/files/make_files.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parents[1] / "assignments" / "variational_inference" / "solution.ipynb"
#: Written into the escaping process's command line, so a test can find it in /proc.
ESCAPE_MARKER = "grader-hostile-escaped-process"
#: Written into the command line of the process a submission leaves running for the next one.
TRACE_MARKER = "grader-trace-left-behind"


def solution() -> nbformat.NotebookNode:
    return nbformat.read(SOLUTION, as_version=4)


def added(source: str, after: str = "entropy") -> nbformat.NotebookNode:
    """The solution with one code cell added after the cell whose id is ``after``."""
    nb = solution()
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == after)
    nb.cells.insert(index + 1, new_code_cell(source.strip() + "\n", id="added"))
    return nb


def replaced(cell_id: str, source: str) -> nbformat.NotebookNode:
    """The solution with the cell ``cell_id`` holding ``source`` instead."""
    nb = solution()
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    cell.source = source.strip() + "\n"
    return nb


def appended(cell_id: str, source: str) -> nbformat.NotebookNode:
    """The solution with ``source`` run at the end of the cell ``cell_id``."""
    nb = solution()
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    cell.source = cell.source.rstrip() + "\n\n\n" + source.strip() + "\n"
    return nb


# -- not a notebook -------------------------------------------------------------------------------
def truncated_json() -> bytes:
    text = SOLUTION.read_text(encoding="utf-8")
    return text[: len(text) // 2].encode()


def python_file() -> bytes:
    cells = [c.source for c in solution().cells if c.cell_type == "code"]
    return ("\n\n\n".join(cells) + "\n").encode()


def binary_file() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def json_list() -> bytes:
    return b"[1, 2, 3]\n"


def json_wrong_types() -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 3}).encode()


def no_code_cells() -> nbformat.NotebookNode:
    nb = solution()
    nb.cells = [c for c in nb.cells if c.cell_type == "markdown"]
    nb.cells.append(new_markdown_cell("```python\ndef entropy(p):\n    return 0.0\n```", id="code"))
    return nb


# -- a notebook, but not the usual one ------------------------------------------------------------
def nbformat3() -> nbformat.NotebookNode:
    return nbformat.convert(solution(), 3)


def unknown_kernelspec() -> nbformat.NotebookNode:
    nb = solution()
    nb.metadata["kernelspec"] = {
        "name": "julia-1.9",
        "display_name": "Julia 1.9.3",
        "language": "julia",
    }
    nb.metadata["language_info"] = {"name": "julia", "version": "1.9.3"}
    return nb


def no_kernelspec() -> nbformat.NotebookNode:
    nb = solution()
    nb.metadata = {}
    return nb


def stale_outputs() -> nbformat.NotebookNode:
    """Outputs from an earlier session, all wrong: none of them may count or be kept."""
    nb = solution()
    for count, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = 99 - count
        cell.outputs = [
            new_output("stream", name="stdout", text="STALE: entropy([0.5, 0.5]) = 42\n"),
            new_output(
                "execute_result", data={"text/plain": "'STALE result'"}, execution_count=99 - count
            ),
            new_output(
                "error",
                ename="NameError",
                evalue="STALE error",
                traceback=["NameError: STALE error"],
            ),
        ]
    return nb


MAGICS = """
%matplotlib inline
%config InlineBackend.figure_format = 'png'
import math
import numpy as np
import matplotlib.pyplot as plt
!echo shell escapes run too
"""

TIMED = """
%%time
def kl_divergence(p, q):
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    nz = p > 0
    if np.any(q[nz] <= 0):
        return math.inf
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))
"""


def magics() -> nbformat.NotebookNode:
    nb = replaced("imports", MAGICS)
    cell = next(c for c in nb.cells if c.get("id") == "kl-divergence")
    cell.source = TIMED.strip() + "\n"
    timing = "%timeit -n 10 -r 2 entropy(np.array([0.5, 0.5]))\nplt.plot([1, 2, 3]);"
    nb.cells.append(new_code_cell(timing, id="timing"))
    return nb


# -- cells that fail ------------------------------------------------------------------------------
SYNTAX_ERROR_SAME_MEAN = """
def kl_gaussian_same_mean(sigma1, sigma2):
    return sigma1**2 / (2.0 * sigma2**2) - math.log(sigma1 / sigma2) - 0.5)
"""


# -- functions that answer badly ------------------------------------------------------------------
WRONG_SIGNATURE = """
def entropy(p, base):
    p = np.asarray(p, dtype=np.float64)
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])) / np.log(base))
"""

RETURNS_NONE = """
def entropy(p):
    p = np.asarray(p, dtype=np.float64)
    nz = p > 0
    h = float(-np.sum(p[nz] * np.log(p[nz])))
"""

RETURNS_STRING = """
def kl_gaussian(mu1, sigma1, mu2, sigma2):
    kl = math.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2.0 * sigma2**2) - 0.5
    return f"{kl:.6f}"
"""

RETURNS_DICT = """
def kl_divergence(p, q):
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    nz = p > 0
    if np.any(q[nz] <= 0):
        return {"kl": math.inf}
    return {"kl": float(np.sum(p[nz] * np.log(p[nz] / q[nz])))}
"""

WRONG_SHAPE = """
def optimal_factor(p_joint, j):
    p_joint = np.asarray(p_joint, dtype=np.float64)
    other_axes = tuple(i for i in range(p_joint.ndim) if i != j)
    return p_joint.sum(axis=other_axes, keepdims=True)
"""

RETURNS_NAN = """
def kl_to_factorized(p_joint, factors):
    p_joint = np.asarray(p_joint, dtype=np.float64)
    q = np.ones(p_joint.shape)
    for i, f in enumerate(factors):
        shape = [1] * p_joint.ndim
        shape[i] = -1
        q = q * np.asarray(f, dtype=np.float64).reshape(shape)
    with np.errstate(all="ignore"):
        return float(np.sum(p_joint * np.log(p_joint / q)))
"""

LONG_ERROR = """
def entropy(p):
    raise ValueError("entropy is not finished: " + "very long explanation " * 20000)
"""

# -- endless cells and calls ----------------------------------------------------------------------
IGNORE_SIGINT = """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass
"""

LOOPS_ON_SOME_INPUTS = """
def entropy(p):
    p = np.asarray(p, dtype=np.float64)
    while len(p) == 1:  # an endless loop, but only on one-outcome distributions
        pass
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])))
"""

SLEEPS_IN_FUNCTION = """
import time


def kl_gaussian_same_variance(mu1, mu2, sigma):
    time.sleep(3600)
    return (mu1 - mu2) ** 2 / (2.0 * sigma**2)
"""

SWALLOWS_TIMEOUT = """
def kl_gaussian_same_mean(sigma1, sigma2):
    while True:  # no limit gets out of here: every exception, even BaseException, is caught
        try:
            while True:
                pass
        except BaseException:
            pass
"""

# -- kernels that die -----------------------------------------------------------------------------
EXITS_IN_FUNCTION = """
import os


def kl_gaussian_same_mean(sigma1, sigma2):
    if sigma1 > sigma2:
        os._exit(1)
    return sigma1**2 / (2.0 * sigma2**2) - math.log(sigma1 / sigma2) - 0.5
"""

EXIT_IN_FUNCTION = """
def kl_to_factorized(p_joint, factors):
    exit()
"""

#: kl_divergence is wrong, so the grader looks for a hint, calling entropy again; by then entropy
#: kills the kernel (it passed its own check, called before kl_divergence set the flag).
HINT_KILLS_KERNEL = """
import os

CALLED = set()


def entropy(p):
    if "kl_divergence" in CALLED:
        os._exit(1)
    p = np.asarray(p, dtype=np.float64)
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])))


def kl_divergence(p, q):
    CALLED.add("kl_divergence")
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    nz = p > 0
    if np.any(q[nz] <= 0):
        return math.inf
    return 2 * float(np.sum(p[nz] * np.log(p[nz] / q[nz])))
"""


def many_fatal_cells() -> nbformat.NotebookNode:
    """More cells that kill the kernel than the grader restarts it (Limits.max_restarts = 3)."""
    nb = solution()
    fatal = ["import os\nos._exit(0)", "exit()", "import ctypes\nctypes.string_at(0)", "quit()"]
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == "imports")
    nb.cells[index + 1 : index + 1] = [
        new_code_cell(src, id=f"fatal-{i}") for i, src in enumerate(fatal)
    ]
    return nb


# -- resources ------------------------------------------------------------------------------------
MEMORY_IN_FUNCTION = """
def optimal_factor(p_joint, j):
    scratch = np.ones(3 * 1024**3 // 8)  # 3 GiB
    p_joint = np.asarray(p_joint, dtype=np.float64)
    other_axes = tuple(i for i in range(p_joint.ndim) if i != j)
    return p_joint.sum(axis=other_axes) * scratch[0]
"""

PRINT_200MB = """
import sys
line = "x" * (1024 * 1024 - 1) + "\\n"
for _ in range(200):
    sys.stdout.write(line)
"""

PRINT_200MB_PAST_THE_CAP = """
import sys
from IPython.display import display
del sys.stdout.write  # whatever the grader set up in the kernel to cut printing short
line = "x" * (1024 * 1024 - 1) + "\\n"
for _ in range(100):
    sys.stdout.write(line)
display({"text/plain": "y" * (100 * 1024 * 1024)}, raw=True)
"""

#: What IPython 9 does when each cell ends: put back the ``write`` it found when the cell began.
RESET_WRITE = """
import sys
sys.stdout.write = type(sys.stdout).write.__get__(sys.stdout)
"""


def print_after_resetting_write() -> nbformat.NotebookNode:
    """A cell resets ``sys.stdout.write``, the next one prints 200 MB: the cap must hold there."""
    nb = added(PRINT_200MB)
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == "added")
    nb.cells.insert(index, new_code_cell(RESET_WRITE.strip() + "\n", id="reset_write"))
    return nb


FORK_BOMB = """
import os
while True:
    os.fork()
"""

ESCAPE = f"""
import os
import sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(30)",
                                  "{ESCAPE_MARKER}"])
    os._exit(0)
"""

PROBE_LIMITS = """
import os
import resource
import sys
import sysconfig


def limits():
    \"\"\"[RLIMIT_AS soft in MiB (-1: none), 1 if site-packages is writable, else 0].\"\"\"
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    mib = -1 if soft == resource.RLIM_INFINITY else soft // (1024 * 1024)
    purelib = sysconfig.get_paths()["purelib"]
    return [mib, int(os.access(purelib, os.W_OK))]


def processes(attempts):
    \"\"\"How many children could be started at once, trying at most ``attempts``.\"\"\"
    import signal
    import time
    children = []
    try:
        for _ in range(int(attempts)):
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children.append(pid)
    except OSError:
        pass
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return len(children)
"""


# -- the grader's own process: its terminal, its memory, its parsing -----------------------------
#: An exception message that clears the instructor's terminal, prints a full score and hides the
#: rest (ESC[8m), with a carriage return, a right-to-left override and a lone surrogate besides.
TERMINAL_ESCAPES = r"""
FAKE_REPORT = (
    "\x1b[2J\x1b[3J\x1b[H"
    "my_notebook.ipynb: 10/10 points on all checks\n"
    "  1a  3/3  ok\n  1b  4/4  ok\n  1c  3/3  ok\n"
    "\r\u202e\ud800\x07"
    "\x1b[8m"
)


def entropy(p):
    raise ValueError(FAKE_REPORT)
"""

#: The driver's json.dumps swapped for one that answers a call of entropy with 60 MB.
HUGE_REPLY = """
import json

_real_dumps = json.dumps
_entropy_called = []


def _dumps(obj, *args, **kwargs):
    if _entropy_called:
        _entropy_called.clear()
        return "[" + "1.5, " * 12_000_000 + "1.5]"
    return _real_dumps(obj, *args, **kwargs)


json.dumps = _dumps


def entropy(p):
    _entropy_called.append(True)
    p = np.asarray(p, dtype=np.float64)
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])))
"""


#: The kernel's own message packing swapped for one that escapes a lone surrogate, which then
#: reaches the grader as text no UTF-8 file can hold.
UNENCODABLE_OUTPUT = """
import json

kernel = get_ipython().kernel
kernel.session.pack = lambda obj: json.dumps(obj, default=str).encode()
print("half a character: \\ud800")
"""


#: 150 displays of 15 MB each: under the output channel's 16 MiB cap per message, so each one
#: reached the grader and was decoded before being dropped (a worker peaked at 685 MB).
DISPLAY_FLOOD = """
from IPython.display import display

for _ in range(150):
    display({"text/plain": "y" * 15_000_000}, raw=True)
"""


def terminal_escapes() -> nbformat.NotebookNode:
    nb = replaced("entropy", TERMINAL_ESCAPES)
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == "entropy")
    # ipykernel cannot send a lone surrogate in a cell's error: that one stays in the function.
    cell = new_code_cell('raise RuntimeError(FAKE_REPORT.replace("\\ud800", ""))\n', id="raises")
    nb.cells.insert(index + 1, cell)
    return nb


def many_cells(count: int = 2001) -> nbformat.NotebookNode:
    """The solution and ``count`` empty markdown cells: 300,000 of them make the issue's 21 MB."""
    nb = solution()
    nb.cells += [new_markdown_cell("", id=f"empty-{i}") for i in range(count)]
    return nb


def json_bomb(count: int = 3_000_000) -> bytes:
    """The solution with ``count`` empty dicts in its metadata: 9 MB that parse into 180 MB."""
    raw = raw_solution()
    raw["metadata"]["bomb"] = [{}] * count
    return json.dumps(raw, separators=(",", ":")).encode()


def raw_solution() -> dict:
    return json.loads(SOLUTION.read_text(encoding="utf-8"))


def kernelspec_without_name() -> nbformat.NotebookNode:
    nb = solution()
    del nb.metadata.kernelspec["name"]
    return nb


def markdown_with_outputs() -> bytes:
    raw = raw_solution()
    cell = next(c for c in raw["cells"] if c["cell_type"] == "markdown")
    cell["outputs"], cell["execution_count"] = [], None
    return json.dumps(raw, indent=1).encode()


def schema_slips() -> bytes:
    """Slips Jupyter shrugs at: code cells without outputs or counts, a v3 heading cell, a cell
    without metadata, tags that are not a list, a cell without source."""
    raw = raw_solution()
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            del cell["outputs"], cell["execution_count"]
    raw["cells"].insert(0, {"cell_type": "heading", "level": 1, "metadata": {}, "source": "KL"})
    raw["cells"][1].pop("metadata")
    raw["cells"][2]["metadata"] = {"tags": "not-a-list"}
    raw["cells"].append({"cell_type": "markdown", "id": "no-source", "metadata": {}})
    return json.dumps(raw, indent=1).encode()


def cell_ids(kind: str) -> bytes:
    raw = raw_solution()
    for index, cell in enumerate(raw["cells"]):
        if kind == "missing":
            del cell["id"]
        elif index in (2, 3):
            cell["id"] = "same-id"
    return json.dumps(raw, indent=1).encode()


def source_not_text() -> bytes:
    raw = raw_solution()
    cell = next(c for c in raw["cells"] if c.get("id") == "kl-divergence")
    cell["source"] = 42
    return json.dumps(raw, indent=1).encode()


def probe_limits() -> nbformat.NotebookNode:
    return new_notebook(cells=[new_code_cell(PROBE_LIMITS.strip() + "\n", id="probe")])


Builder = Callable[[], "nbformat.NotebookNode | bytes"]

#: file name -> how to make it
#: What one kernel can find of an earlier submission's traces: each function 0.0 where none.
FIND_TRACES = f"""
import builtins, ctypes, os, sys

TRACE = "trace_left_behind"
_libc = ctypes.CDLL(None, use_errno=True)


def trace_files():
    places = ["/tmp", "/dev/shm", os.environ.get("HOME", "/nonexistent"), "."]
    return float(sum(os.path.exists(os.path.join(place, TRACE)) for place in places))


def trace_module():
    return float(TRACE in sys.modules) + float(hasattr(builtins, TRACE))


def trace_environment():
    return float(os.environ.get("TRACE_LEFT_BEHIND") == "1")


def trace_shared_memory():
    # System V shared memory: a segment of the earlier kernel, by its key (ipc namespace).
    return float(_libc.shmget(0x6772616465, 0, 0) != -1)


def trace_process():
    found = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            found += b"{TRACE_MARKER}" in open(f"/proc/{{pid}}/cmdline", "rb").read()
        except OSError:
            pass
    return float(found)


def random_draws():
    import random
    import numpy as np
    return [float(np.random.random()), float(random.random())]


def neighbours():
    # The scratch folder's parent: the submission's own folder is all it may hold.
    return float(len(os.listdir(os.path.dirname(os.path.dirname(os.getcwd())))) - 1)


def capabilities():
    status = open("/proc/self/status").read()
    return float(int(status.split("CapEff:")[1].split()[0], 16))
"""
#: Traces of every kind a submission could leave for the next one in the same worker.
LEAVE_TRACES = f"""
import builtins, random, subprocess, sys, types
import numpy as np

for place in ["/tmp", "/dev/shm", os.environ["HOME"], "."]:
    with open(os.path.join(place, TRACE), "w") as handle:
        handle.write("left for the next submission")
sys.modules[TRACE] = types.ModuleType(TRACE)
setattr(builtins, TRACE, True)
os.environ["TRACE_LEFT_BEHIND"] = "1"
np.random.seed(1234)
random.seed(1234)
SEGMENT = _libc.shmget(0x6772616465, 4096, 0o1666)
STAYS = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(600)", "{TRACE_MARKER}"],
    start_new_session=True,
)
"""


def traces(leave: bool) -> nbformat.NotebookNode:
    """The solution, with functions that look for traces (and, with ``leave``, leave them)."""
    return added(FIND_TRACES + (LEAVE_TRACES if leave else ""), after="kl-to-factorized")


FILES: dict[str, Builder] = {
    "broken_truncated_json.ipynb": truncated_json,
    "broken_python_file.ipynb": python_file,
    "broken_empty_file.ipynb": lambda: b"",
    "broken_binary_file.ipynb": binary_file,
    "broken_json_list.ipynb": json_list,
    "broken_json_wrong_types.ipynb": json_wrong_types,
    "broken_no_code_cells.ipynb": no_code_cells,
    "broken_nbformat3.ipynb": nbformat3,
    "broken_unknown_kernelspec.ipynb": unknown_kernelspec,
    "broken_no_kernelspec.ipynb": no_kernelspec,
    "broken_stale_outputs.ipynb": stale_outputs,
    "broken_magics.ipynb": magics,
    "broken_cell_raises.ipynb": lambda: added("results = {}\nresults['entropy'] = 1 / 0"),
    "broken_syntax_error_cell.ipynb": lambda: added("def helper(p:\n    return p"),
    "broken_syntax_error_function.ipynb": lambda: replaced(
        "kl-gaussian-same-mean", SYNTAX_ERROR_SAME_MEAN
    ),
    "broken_input_call.ipynb": lambda: added('name = input("What is your name? ")'),
    "broken_sys_exit_cell.ipynb": lambda: added("import sys\nsys.exit()"),
    "broken_missing_function.ipynb": lambda: replaced(
        "kl-to-factorized", "def kl_to_factorised(p_joint, factors):\n    return 0.0"
    ),
    "broken_wrong_signature.ipynb": lambda: replaced("entropy", WRONG_SIGNATURE),
    "broken_returns_none.ipynb": lambda: replaced("entropy", RETURNS_NONE),
    "broken_returns_string.ipynb": lambda: replaced("kl-gaussian", RETURNS_STRING),
    "broken_returns_dict.ipynb": lambda: replaced("kl-divergence", RETURNS_DICT),
    "broken_wrong_shape.ipynb": lambda: replaced("optimal-factor", WRONG_SHAPE),
    "broken_returns_nan.ipynb": lambda: replaced("kl-to-factorized", RETURNS_NAN),
    "broken_long_error.ipynb": lambda: added(
        'raise RuntimeError("a cell error " * 100000)', after="kl-to-factorized"
    ),
    "broken_long_error_function.ipynb": lambda: replaced("entropy", LONG_ERROR),
    "hostile_infinite_loop_cell.ipynb": lambda: added("while True:\n    pass"),
    "hostile_loop_after_definition.ipynb": lambda: appended("entropy", "while True:\n    pass"),
    "hostile_sleep_cell.ipynb": lambda: added("import time\ntime.sleep(3600)"),
    "hostile_ignore_sigint.ipynb": lambda: added(IGNORE_SIGINT),
    "hostile_loops_on_some_inputs.ipynb": lambda: replaced("entropy", LOOPS_ON_SOME_INPUTS),
    "hostile_sleep_in_function.ipynb": lambda: replaced(
        "kl-gaussian-same-variance", SLEEPS_IN_FUNCTION
    ),
    "hostile_swallows_timeout.ipynb": lambda: replaced("kl-gaussian-same-mean", SWALLOWS_TIMEOUT),
    "hostile_os_exit_cell.ipynb": lambda: added("import os\nos._exit(0)"),
    "hostile_exit_builtin_cell.ipynb": lambda: added("exit()"),
    "hostile_segfault_cell.ipynb": lambda: added("import ctypes\nctypes.string_at(0)"),
    "hostile_sigkill_cell.ipynb": lambda: added(
        "import os\nimport signal\nos.kill(os.getpid(), signal.SIGKILL)"
    ),
    # Kills the process that started its kernel (the grader's worker), where it can see it: with
    # GRADER_SANDBOX=none. Under bubblewrap its parent is the sandbox's init, which ignores it.
    "hostile_kills_its_worker.ipynb": lambda: added(
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
    ),
    "hostile_exits_in_function.ipynb": lambda: replaced("kl-gaussian-same-mean", EXITS_IN_FUNCTION),
    "hostile_exit_in_function.ipynb": lambda: replaced("kl-to-factorized", EXIT_IN_FUNCTION),
    "hostile_hint_kills_kernel.ipynb": lambda: added(HINT_KILLS_KERNEL, after="kl-divergence"),
    "hostile_many_fatal_cells.ipynb": many_fatal_cells,
    "hostile_memory_bomb_cell.ipynb": lambda: added("hog = bytearray(48 * 1024**3)"),
    "hostile_memory_in_function.ipynb": lambda: replaced("optimal-factor", MEMORY_IN_FUNCTION),
    "hostile_print_200mb.ipynb": lambda: added(PRINT_200MB),
    "hostile_print_200mb_past_the_cap.ipynb": lambda: added(PRINT_200MB_PAST_THE_CAP),
    "hostile_print_200mb_after_resetting_write.ipynb": print_after_resetting_write,
    "hostile_pip_install.ipynb": lambda: added(
        "%pip install --no-index --find-links /nonexistent grader-no-such-package"
    ),
    "hostile_pip_uninstall_numpy.ipynb": lambda: added(
        "!pip uninstall -y numpy\n%pip uninstall -y numpy"
    ),
    "hostile_fork_bomb.ipynb": lambda: added(FORK_BOMB),
    "hostile_escape_process_group.ipynb": lambda: added(ESCAPE),
    "probe_limits.ipynb": probe_limits,
    "hostile_terminal_escapes.ipynb": terminal_escapes,
    "hostile_unencodable_output.ipynb": lambda: added(UNENCODABLE_OUTPUT),
    "hostile_display_flood.ipynb": lambda: added(DISPLAY_FLOOD),
    "hostile_huge_reply.ipynb": lambda: replaced("entropy", HUGE_REPLY),
    "hostile_returns_huge_int.ipynb": lambda: replaced(
        "entropy", "def entropy(p):\n    return 10**400"
    ),
    "broken_too_many_cells.ipynb": many_cells,
    "broken_kernelspec_without_name.ipynb": kernelspec_without_name,
    "broken_markdown_with_outputs.ipynb": markdown_with_outputs,
    "broken_schema_slips.ipynb": schema_slips,
    "broken_missing_cell_ids.ipynb": lambda: cell_ids("missing"),
    "broken_duplicate_cell_ids.ipynb": lambda: cell_ids("duplicate"),
    "broken_cell_source_not_text.ipynb": source_not_text,
    "hostile_leaves_traces.ipynb": lambda: traces(leave=True),
    "probe_traces_of_earlier.ipynb": lambda: traces(leave=False),
}


def main() -> None:
    for name, build in FILES.items():
        made = build()
        if isinstance(made, bytes):
            (HERE / name).write_bytes(made)
        elif made.nbformat == 3:
            (HERE / name).write_text(nbformat.writes(made, version=3), encoding="utf-8")
        else:
            nbformat.write(made, HERE / name)


if __name__ == "__main__":
    main()
