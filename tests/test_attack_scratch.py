"""Attacks on the one host folder a kernel can write (its sockets, ``r/``) and on the removal of
what a submission wrote (issue 23, items 1 and 2). The notebooks are made by
tests/files/make_sandbox_files.py.

Before: 3,000 nested folders in ``r/`` made ``shutil.rmtree`` raise RecursionError, the
submission got "grader failed", its scratch folder outlived the batch and every later run died
in the sweep of leftovers; and ``r/`` took 384 MiB and 20,000 files of the host's disk.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from grader import grade_notebook
from grader.kernel import _bounded, _bwrap, _sandbox, _warm
from grader.kernel._cgroup import PREFIX
from grader.kernel._tree import remove_tree
from grader.report._render_text import result_notes
from tests.conftest import EXAMPLES, FILES, sweep_killed_run

needs_bwrap = pytest.mark.skipif(not _bwrap.probe().ok, reason="bubblewrap cannot run here")
needs_mount = pytest.mark.skipif(
    not _bounded.available(), reason="the grader is not root here: r/ cannot be a bounded tmpfs"
)


def _deep_tree(folder: Path, depth: int) -> None:
    """What the notebook does: nested folders by relative opens (paths outgrow PATH_MAX)."""
    here = os.open(folder, os.O_RDONLY)
    for level in range(depth):
        os.mkdir("d", dir_fd=here)
        if level % 1000 == 0:
            os.symlink("/etc", "etc", dir_fd=here)  # removed, never followed
        below = os.open("d", os.O_RDONLY, dir_fd=here)
        os.close(here)
        here = below
    os.close(here)


def _printed(executed: Path) -> str:
    nb = nbformat.read(executed, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def _scratch_folders() -> set[str]:
    """This process's scratch folders, cold (in the temporary folder) and warm (its inbox)."""
    inbox = _warm.inbox() if _sandbox.warm_wanted() else None  # made once, for the process
    tag = f"{PREFIX}{os.getpid()}-"
    found = {p.name for p in Path(tempfile.gettempdir()).glob(f"{tag}*")}
    if inbox is not None:
        found |= {p.name for p in inbox.glob("s-*")}
    return found


def test_a_deep_tree_in_the_sockets_folder_is_removed(tmp_path):
    notebook = EXAMPLES / "alice_numpy.ipynb"
    scratch = _sandbox.Scratch.create(notebook, base=tmp_path)
    _deep_tree(scratch.run, 3000)
    scratch.remove()  # raised RecursionError before
    assert not scratch.root.exists()
    assert Path("/etc/passwd").exists()


def test_removal_never_follows_a_link(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("x")
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    (tree / "a" / "link").symlink_to(victim)
    (tree / "file-link").symlink_to(victim / "keep")
    assert remove_tree(tree) is None
    assert not tree.exists()
    assert (victim / "keep").read_text() == "x"


def test_the_sweep_names_what_it_cannot_remove_and_goes_on(tmp_path):
    """A dead run's leftover with a deep tree is removed; one that cannot be removed (an
    immutable file) is named once on stderr, and the sweep, and so the run, goes on. In a
    temporary folder of the test's own, so no other run's sweep takes them first."""
    dead = f"{PREFIX}4194303-1-"  # a pid beyond pid_max: its run is gone
    deep = Path(tempfile.mkdtemp(prefix=dead, dir=tmp_path))
    _deep_tree(deep, 3000)
    stuck = Path(tempfile.mkdtemp(prefix=dead, dir=tmp_path))
    (stuck / "immutable").write_text("x")
    if subprocess.run(["chattr", "+i", str(stuck / "immutable")], capture_output=True).returncode:
        remove_tree(stuck)
        remove_tree(deep)
        pytest.skip("no immutable files on this file system")
    try:
        done = sweep_killed_run(tmp_path, seconds=0)
    finally:
        subprocess.run(["chattr", "-i", str(stuck / "immutable")], check=False)
        remove_tree(stuck)
    assert done.returncode == 0, done.stderr
    assert not deep.exists()
    assert done.stderr.count(stuck.name) == 1, done.stderr
    assert "could not remove" in done.stderr


@needs_bwrap
@needs_mount
@pytest.mark.parametrize("warm", ["1", "0"])
def test_the_sockets_folder_is_bounded(plan, tmp_path, monkeypatch, warm):
    """384 MiB and 20,000 files asked for: at most the bound is written, the submission is
    told with resource_limit, and a neighbour graded next is unaffected."""
    monkeypatch.setenv("GRADER_WARM", warm)
    before = _scratch_folders()
    result = grade_notebook(
        plan, FILES / "hostile_fills_sockets_folder.ipynb", None, tmp_path / "executed.ipynb"
    )
    got = re.search(r"bytes (\d+) entries (\d+)", _printed(tmp_path / "executed.ipynb"))
    assert got, _printed(tmp_path / "executed.ipynb")
    assert int(got.group(1)) <= _bounded.SOCKETS_BYTES
    assert int(got.group(2)) < _bounded.SOCKETS_ENTRIES
    assert "sockets_full" in [e.code for e in result.events]
    assert "resource_limit" in result_notes(result) and "64 entries and 1 MiB" in result_notes(
        result
    )
    assert result.total == 10.0  # its functions are right: the bound costs them nothing
    neighbour = grade_notebook(plan, EXAMPLES / "alice_numpy.ipynb")
    assert "sockets_full" not in [e.code for e in neighbour.events]
    assert not result_notes(neighbour)
    assert _scratch_folders() <= before
    own = [Path(tempfile.gettempdir()) / name for name in _scratch_folders()]
    if _sandbox.warm_wanted():
        own.append(_warm.inbox())
    mounts = [m for folder in own for m in _bounded.mounts_under(folder)]
    assert not [m for m in mounts if m.endswith("/r")], mounts  # every r/ of ours unmounted


@needs_bwrap
def test_without_mounting_the_bound_is_checked_after_the_kernel(plan, tmp_path, monkeypatch):
    """A grader that may not mount (not root): r/ is a plain folder, the deep tree is written
    whole, and still the submission is told, graded, and its folder removed."""
    monkeypatch.setattr(_bounded, "available", lambda: False)
    monkeypatch.setenv("GRADER_WARM", "0")
    before = _scratch_folders()
    result = grade_notebook(
        plan, FILES / "hostile_deep_folder_tree.ipynb", None, tmp_path / "executed.ipynb"
    )
    assert "depth 3000" in _printed(tmp_path / "executed.ipynb")
    assert "sockets_full" in [e.code for e in result.events], result_notes(result)
    assert result.total == 10.0, result  # "grader failed" (0) before
    assert _scratch_folders() <= before


def test_the_kernels_copy_never_follows_a_link(tmp_path):
    """A submission swapped for a link to the solution after it was checked: the copy for the
    kernel refuses it rather than hand the solution to the kernel."""
    from grader.errors import KernelStartError
    from tests.conftest import ASSIGNMENT

    link = tmp_path / "swapped.ipynb"
    link.symlink_to(ASSIGNMENT / "solution.ipynb")
    with pytest.raises(KernelStartError, match="cannot copy"):
        _sandbox.Scratch.create(link, base=tmp_path)
    assert not list(tmp_path.glob("s-*"))  # its scratch folder went with it


def test_files_for_the_kernel_are_new_files_never_written_through_a_link(tmp_path):
    """What the grader writes in ``conn`` for the kernel to read (the driver's sources, a call's
    inputs) is a new file: never written over one that is there, nor through a link, nor into
    a ``conn`` that was swapped for a link (a kernel that runs as the grader's user, at level
    ``none``, could do either)."""
    scratch = _sandbox.Scratch.create(EXAMPLES / "alice_numpy.ipynb", base=tmp_path)
    try:
        assert (scratch.conn / "driver.py").read_bytes().startswith(b'"""Code that runs')
        target = tmp_path / "host.txt"
        target.write_text("untouched")
        (scratch.conn / "call-1.json").symlink_to(target)
        with pytest.raises(FileExistsError):
            scratch.put("call-1.json", b"[]")
        scratch.put("call-2.json", b"[]")
        with pytest.raises(FileExistsError):
            scratch.put("call-2.json", b"[1]")
        assert (scratch.conn / "call-2.json").read_bytes() == b"[]"
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        os.rename(scratch.conn, tmp_path / "conn-moved")
        scratch.conn.symlink_to(elsewhere)
        with pytest.raises(OSError):
            scratch.put("call-3.json", b"[]")
        assert target.read_text() == "untouched" and not list(elsewhere.iterdir())
    finally:
        scratch.remove()
