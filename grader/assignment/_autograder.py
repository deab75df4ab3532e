"""A Gradescope autograder package: ``DIR/<assignment>-autograder.zip``.

Unlike the student bundle (``_release``), this one holds the answers: Gradescope grades inside
its own container, so the package carries the whole assignment as the grader needs it (spec,
notebooks, frozen inputs, checks, comparators, data files) and the oracles the spec names, at the
same relative paths (an ``oracles = "../../reference/x.py"`` still resolves, and the spec, whose
hash the frozen inputs carry, is copied unchanged). Beside them: the grader's own wheel (built
from this checkout, or ``--wheel``; ``grader`` on PyPI is another project) and the two scripts
Gradescope runs (``_autograder_scripts``). The package is checked before it is zipped: the
copied assignment must load as the original does, so a file left behind is found here, not in
Gradescope's build log.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from grader.assignment import _autograder_scripts as scripts
from grader.assignment._bundle_ci import add_wheel
from grader.assignment._spec import Assignment, load_assignment, read_spec
from grader.errors import OutputError, ReleaseError

#: Where the course files sit inside the package (``/autograder/source/course/...``).
COURSE = "course"
#: Never copied from the assignment's folder: caches and version control.
_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".git", ".ipynb_checkpoints")


def autograder_package(assignment: Assignment, out: Path, wheel: Path | None = None) -> Path:
    """Write ``out/<name>-autograder.zip`` (see the module); its path. The zip is written
    beside its final name and renamed into place: a failure leaves an earlier one as it was."""
    target = out / f"{assignment.name}-autograder.zip"
    if target.exists() and not target.is_file():
        raise OutputError(f"{target} is not a file; pass another --out")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-autograder-") as scratch:
        tree = Path(scratch) / "package"
        tree.mkdir()
        relative = _copy_course(assignment, tree / COURSE)
        _check_copy(assignment, tree / COURSE / relative)
        built = add_wheel(tree, wheel)
        _write_scripts(assignment, tree, f"{COURSE}/{relative.as_posix()}", built.name)
        partial = out / f".{target.name}.partial"
        try:
            _zip(tree, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def course_files(assignment: Assignment) -> list[Path]:
    """Every file the grader reads of the assignment: its folder's, and those the spec names
    outside it (the oracles, often in a ``reference/`` folder of their own)."""
    folder = assignment.folder.resolve()
    named = [assignment.student_notebook, *assignment.data_files]
    if assignment.solution_notebook is not None:
        named.append(assignment.solution_notebook)
    for module in (assignment.oracles, assignment.hooks, assignment.comparators):
        if module is not None and module.__file__:
            named.append(Path(module.__file__))
    return [folder, *(p.resolve() for p in named)]


def _copy_course(assignment: Assignment, course: Path) -> Path:
    """Copy the folder and the files it names at their paths relative to the deepest folder
    holding them all; the assignment folder's path below it."""
    paths = course_files(assignment)
    base = Path(os.path.commonpath([paths[0], *(p.parent for p in paths[1:])]))
    folder = paths[0]
    shutil.copytree(folder, course / folder.relative_to(base), ignore=_SKIPPED, symlinks=False)
    for file in paths[1:]:
        target = course / file.relative_to(base)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
    return folder.relative_to(base)


def _check_copy(assignment: Assignment, copied: Path) -> None:
    """The copy loads as the original (same spec hash, so the same frozen inputs)."""
    try:
        again = load_assignment(copied)
    except Exception as exc:  # a SpecError, or an oracle that imports what was left behind
        raise ReleaseError(f"the packaged assignment does not load: {exc}") from None
    if again.spec_hash != assignment.spec_hash or not again.frozen_path.is_file():
        raise ReleaseError(
            f"the packaged assignment differs from {assignment.folder} (spec hash or frozen "
            "inputs); run `grader freeze` on it first"
        )


def _write_scripts(assignment: Assignment, tree: Path, folder: str, wheel: str) -> None:
    """``setup.sh`` and ``run_autograder``, executable, at the package's root."""
    packages = read_spec(assignment.folder).get("kernel_packages", [])
    values = {
        "assignment": scripts.shell_words([folder]),
        "notebook": scripts.shell_words([assignment.student_notebook.name]),
        "wheel": scripts.shell_words([wheel]),
        "packages": scripts.shell_words([str(p) for p in packages]),
        "kernel_user": scripts.KERNEL_USER,
        "venv": scripts.VENV,
    }
    for name, template in (
        ("setup.sh", scripts.SETUP_SH),
        ("run_autograder", scripts.RUN_AUTOGRADER),
    ):
        path = tree / name
        path.write_text(scripts.fill(template, **values), encoding="utf-8", newline="\n")
        path.chmod(0o755)


def _zip(tree: Path, target: Path) -> None:
    """Every file under ``tree`` at its relative path, with its mode (``run_autograder`` must
    stay executable), in a stable order."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(tree.rglob("*")):
            if not path.is_file():
                continue
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | stat.S_IMODE(path.stat().st_mode)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
