"""What makes a student bundle a repository that checks itself: the grader's wheel and a
GitHub Actions workflow that installs it and runs ``grader check`` on every push to main and
every pull request.

The wheel travels in the bundle because the name ``grader`` on PyPI belongs to an unrelated
project: a workflow that ran ``pip install grader`` would install someone else's code. The
wheel is built from this checkout's sources, copied to a scratch folder first so the build
leaves nothing (``build/``, ``*.egg-info``) in the checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import grader
from grader.errors import ReleaseError

WORKFLOW_PATH = Path(".github") / "workflows" / "grade.yml"
JUNIT_FILE = "grade-report.xml"
#: What the wheel is built from: the package and what its pyproject.toml names.
_SOURCES = ("pyproject.toml", "README.md")


def source_checkout() -> Path | None:
    """The project folder this grader runs from, if it is a source checkout (not a wheel)."""
    root = Path(grader.__file__).resolve().parents[1]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "grader"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def build_wheel(dest: Path) -> Path:
    """Build the grader's wheel into ``dest`` (pip, isolated build); its path."""
    root = source_checkout()
    if root is None:
        raise ReleaseError(
            "cannot build the grader's wheel: this grader is not running from its source "
            "checkout; pass --wheel with a wheel of it"
        )
    with tempfile.TemporaryDirectory(prefix="grader-wheel-") as scratch:
        tree = Path(scratch) / "src"
        shutil.copytree(
            root / "grader", tree / "grader", ignore=shutil.ignore_patterns("__pycache__")
        )
        for name in _SOURCES:
            shutil.copyfile(root / name, tree / name)
        out = Path(scratch) / "wheel"
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
        run = subprocess.run([*command, str(tree)], capture_output=True, text=True, timeout=600)
        wheels = sorted(out.glob("grader-*.whl"))
        if run.returncode != 0 or len(wheels) != 1:
            last = (run.stderr.strip().splitlines() or ["no output"])[-1]
            raise ReleaseError(f"building the grader's wheel failed: {last}")
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(wheels[0], dest / wheels[0].name))


def add_wheel(folder: Path, wheel: Path | None) -> Path:
    """The grader's wheel in the bundle: the one given, or one built from this checkout."""
    for old in folder.glob("grader-*.whl"):
        old.unlink()
    if wheel is None:
        return build_wheel(folder)
    if not (wheel.is_file() and wheel.name.startswith("grader-") and wheel.suffix == ".whl"):
        raise ReleaseError(f"--wheel {wheel}: not a wheel of the grader (grader-*.whl)")
    return Path(shutil.copy2(wheel, folder / wheel.name))


#: What the self-check needs beyond the wheel: ``pytest --grade`` runs through pytest (the
#: wheel's plugin does nothing without it). The bundle's one install line installs them all.
SELF_CHECK_REQUIREMENTS = ("pytest>=8",)


def install_command(wheel: str) -> str:
    """The bundle's one install line: the wheel beside it and what the self-check needs."""
    extras = " ".join(f'"{r}"' for r in SELF_CHECK_REQUIREMENTS)
    return f'python -m pip install "./{wheel}" {extras}'


def workflow_yaml(notebook: str, wheel: str) -> str:
    """The bundle's workflow: install the wheel beside it, check the notebook, keep the JUnit.

    One run per change: pushes to main and pull requests (a pull request's commits would
    otherwise run twice, once per trigger). pip's downloads are cached, keyed on the wheel, so
    a rerun installs NumPy, SciPy and the rest from the cache."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"""\
# Written by `grader release`: the public checks of {notebook} on every push to main and
# on every pull request. The grader comes from the wheel in this repository; never
# `pip install grader` (that name on PyPI is an unrelated package).
#
# Kernels run in a bubblewrap sandbox where the runner allows unprivileged user namespaces.
# GitHub's Ubuntu 24.04 runners restrict them (AppArmor): there the grader runs the notebook
# as a plain process and says so in a Note (harmless here: it is your own notebook, and this
# repository holds no answers). As root (a `container:` job) it refuses to run it unsandboxed
# and exits 2. To sandbox it, add before the install step:
#       - run: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0
# or, in a container job, set `env: GRADER_SANDBOX: none` on the check step (it is your own
# code), or run the container with `options: --privileged`.
name: grade
on:
  push:
    branches: [main]
  pull_request:
  workflow_dispatch:
permissions:
  contents: read
concurrency:
  group: grade-${{{{ github.ref }}}}
  cancel-in-progress: true
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
          cache: pip
          cache-dependency-path: "{wheel}"
      - name: Install the grader from the wheel in this repository
        run: {install_command(wheel)}
      - name: Public checks of {notebook}
        run: python -m grader check "{notebook}" --junit {JUNIT_FILE}
      - name: Keep the JUnit report
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: grade-report
          path: {JUNIT_FILE}
"""


def add_workflow(folder: Path, notebook: str, wheel: str) -> Path:
    path = folder / WORKFLOW_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow_yaml(notebook, wheel), encoding="utf-8")
    return path
