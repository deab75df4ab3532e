"""``grader export gradescope-autograder``: the package, unpacked into a fake ``/autograder`` and
run as Gradescope runs it (``run_autograder`` as the current user, its folder as cwd), on a
correct and a wrong notebook. As root with ``useradd``, ``setup.sh user`` creates the kernels'
user, and where an interpreter that user can run is at hand (this one, or
``GRADER_TEST_KERNEL_PYTHON``: a venv with the grader's wheel, as ``setup.sh`` installs it in
``/opt``; else a venv readable by all made in ``/tmp`` of a system interpreter of this version
with this interpreter's packages), the kernels run as it (``GRADER_SANDBOX=user``, even where
bubblewrap works): a notebook then tries to read the oracles and leave a process behind."""

from __future__ import annotations

import json
import os
import shutil
import site
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from grader.assignment._autograder_scripts import KERNEL_USER
from tests.conftest import EXAMPLES, ROOT

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("useradd") is not None
WHY_NOT_ROOT = "setup.sh's user creation needs root and useradd; kernels run as this user here"
#: An interpreter with the grader's wheel and the kernel packages, readable by the kernels' user.
PYTHON_ENV = "GRADER_TEST_KERNEL_PYTHON"
EXPORT = [sys.executable, "-m", "grader", "export", "gradescope-autograder"]


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("package")
    run = subprocess.run(
        [*EXPORT, "variational_inference", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return out / "variational_inference-autograder.zip"


def test_the_package_holds_what_gradescope_and_the_grader_need(package):
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert {"setup.sh", "run_autograder"} <= names  # at the root, as Gradescope requires
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert [n for n in names if n.startswith("grader-") and n.endswith(".whl")]
    folder = "course/assignments/variational_inference/"
    assert {folder + "spec.toml", folder + "frozen.json", folder + "checks.py"} <= names
    # The spec's oracles = "../../reference/variational_inference.py" resolves as at home.
    assert "course/reference/variational_inference.py" in names


def test_a_missing_assignment_is_a_usage_error(tmp_path):
    run = subprocess.run(
        [*EXPORT, "no_such_sheet", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 2 and run.stderr.strip().splitlines()[-1].startswith("Error: ")


@pytest.fixture(scope="module")
def kernel_python(package, tmp_path_factory) -> Iterator[str | None]:
    """The interpreter the kernels' user runs (after ``setup.sh user``), or None: not root, or
    no interpreter that user can read. One under root's 0700 home cannot be read: then, as
    ``setup.sh`` does in ``/opt``, a venv readable by all is made (below)."""
    if not AS_ROOT:
        print(f"skipped setup.sh user: {WHY_NOT_ROOT}")
        yield None
        return
    folder = tmp_path_factory.mktemp("setup")
    with zipfile.ZipFile(package) as archive:
        archive.extract("setup.sh", folder)
    assert subprocess.run(["bash", str(folder / "setup.sh"), "user"], timeout=60).returncode == 0
    python = os.environ.get(PYTHON_ENV) or sys.executable
    made = None
    if not _kernel_user_runs(python) and not os.environ.get(PYTHON_ENV):
        made = _readable_venv()
        python = str(made / "venv" / "bin" / "python3") if made is not None else python
    yield python if _kernel_user_runs(python) else None
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)


def _kernel_user_runs(python: str) -> bool:
    drop = ["setpriv", f"--reuid={KERNEL_USER}", f"--regid={KERNEL_USER}", "--clear-groups"]
    probe = subprocess.run(
        [*drop, "--", python, "-s", "-c", "import ipykernel, numpy, scipy, grader"],
        capture_output=True,
        timeout=120,
        cwd="/",
    )
    return probe.returncode == 0


def _readable_venv() -> Path | None:
    """A venv readable by all, of a system interpreter of this one's version (outside root's
    home: a pyenv build's binary finds its libpython there by an absolute RUNPATH), with this
    interpreter's packages as hard links (the same files, no copy; same file system only),
    added by a ``.pth``; None where there is no such interpreter or no hard links. The grader
    is this checkout's, copied first on the path: an editable install points into a checkout
    the kernels' user may not enter (a fresh clone in a 0700 temporary folder), which made
    this test skip there while CI ran it."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = next((p for p in (Path("/usr/bin") / version, Path("/usr/local/bin") / version)
                 if p.is_file()), None)  # fmt: skip
    if base is None or Path(sys.base_prefix) == base.parents[1]:
        return None
    made = Path(tempfile.mkdtemp(prefix="grader-kernel-python-"))
    made.chmod(0o755)
    sites = [Path(p) for p in site.getsitepackages() if Path(p).is_dir()]
    for number, packages in enumerate(sites):
        link = subprocess.run(["cp", "-al", str(packages), str(made / f"site{number}")],
                              capture_output=True, timeout=600)  # fmt: skip
        if link.returncode != 0:
            shutil.rmtree(made, ignore_errors=True)
            return None
    venv = subprocess.run([str(base), "-m", "venv", "--without-pip", str(made / "venv")],
                          capture_output=True, timeout=120)  # fmt: skip
    inner = made / "venv" / "lib" / version / "site-packages"
    if venv.returncode != 0 or not inner.is_dir():
        shutil.rmtree(made, ignore_errors=True)
        return None
    shutil.copytree(
        ROOT / "grader", made / "src" / "grader", ignore=shutil.ignore_patterns("__pycache__")
    )
    folders = [made / "src", *(made / f"site{n}" for n in range(len(sites)))]
    added = "; ".join(f"site.addsitedir({str(folder)!r})" for folder in folders)
    (inner / "_grader_test_packages.pth").write_text(f"import site; {added}\n")
    return made


def _fake_autograder(package: Path, notebook: Path) -> Path:
    """A stand-in for /autograder: the zip unpacked into ``source`` with its modes, the
    notebook in ``submission``; in a folder others may pass through (as / is), so what keeps
    the kernel out of ``source`` is the package's own lock."""
    root = Path(tempfile.mkdtemp(prefix="fake-autograder-"))
    root.chmod(0o755)
    for name in ("source", "submission", "results"):
        (root / name).mkdir()
    with zipfile.ZipFile(package) as archive:
        for info in archive.infolist():
            archive.extract(info, root / "source")
            (root / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
    shutil.copyfile(notebook, root / "submission" / notebook.name)
    return root


def _run_autograder(root: Path, kernel_python: str | None) -> dict:
    """run_autograder with the kernels as their own user where ``kernel_python`` is given,
    else with this interpreter and the grader's own choice of isolation."""
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root)}
    if kernel_python is not None:
        env.update(GRADER_PYTHON=kernel_python, GRADER_SANDBOX="user")
    else:  # the grader of this checkout, as the wheel installs it
        env.update(GRADER_PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [str(root / "source" / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    results = root / "results" / "results.json"
    assert stat.S_IMODE(results.stat().st_mode) == 0o600  # root's (the grader's) only
    return json.loads(results.read_text(encoding="utf-8"))


@pytest.fixture
def fake_roots():
    made: list[Path] = []
    yield made
    for root in made:
        shutil.rmtree(root, ignore_errors=True)


def test_run_autograder_scores_a_correct_and_a_wrong_notebook(package, kernel_python, fake_roots):
    scores = {}
    for name in ("alice_numpy", "frank_wrong_axis"):
        fake_roots.append(_fake_autograder(package, EXAMPLES / f"{name}.ipynb"))
        scores[name] = _run_autograder(fake_roots[-1], kernel_python)
    right, wrong = scores["alice_numpy"], scores["frank_wrong_axis"]
    automatic = [t for t in right["tests"] if "score" in t]
    assert all(t["score"] == t["max_score"] for t in automatic)
    assert right["score"] == sum(t["score"] for t in automatic) == 10
    assert wrong["score"] < right["score"]
    assert any(t["status"] == "failed" for t in wrong["tests"] if "status" in t)


def test_no_notebook_is_a_result_that_says_what_to_hand_in(package, fake_roots, tmp_path):
    stray = tmp_path / "answers.txt"
    stray.write_text("no notebook\n", encoding="utf-8")
    fake_roots.append(_fake_autograder(package, stray))
    results = _run_autograder(fake_roots[-1], None)
    assert results["score"] == 0 and "student.ipynb" in results["output"]


SNOOP = """\
import os, pathlib, subprocess
probe = pathlib.Path({probe!r})
try:
    pathlib.Path({oracle!r}).read_text()
    seen = "read"
except OSError:
    seen = "denied"
probe.write_text(f"{{os.getuid()}} {{seen}}")
subprocess.Popen(["sleep", "300"], start_new_session=True)
"""


def test_the_kernel_runs_as_its_user_without_the_oracles(package, kernel_python, fake_roots):
    if kernel_python is None:
        pytest.skip(
            WHY_NOT_ROOT
            if not AS_ROOT
            else f"no interpreter the kernels' user can run: set "
            f"{PYTHON_ENV} to a venv readable by all with the grader's wheel installed"
        )
    probe_dir = Path(tempfile.mkdtemp(prefix="kernel-probe-"))
    probe_dir.chmod(0o1777)
    notebook = nbformat.read(EXAMPLES / "alice_numpy.ipynb", as_version=4)
    root = _fake_autograder(package, EXAMPLES / "alice_numpy.ipynb")
    fake_roots.extend([root, probe_dir])
    oracle = root / "source" / "course" / "reference" / "variational_inference.py"
    code = SNOOP.format(probe=str(probe_dir / "probe"), oracle=str(oracle))
    notebook.cells.insert(0, nbformat.v4.new_code_cell(code))
    nbformat.write(notebook, root / "submission" / "alice_numpy.ipynb")
    results = _run_autograder(root, kernel_python)
    uid, seen = (probe_dir / "probe").read_text().split()
    assert int(uid) != 0 and seen == "denied"
    assert results["score"] == 10  # the snooping cell changed nothing of the grading
    # results.json came after the kernel and all it started were gone.
    left = subprocess.run(["pgrep", "-u", KERNEL_USER], capture_output=True, text=True)
    assert left.stdout.strip() == ""
