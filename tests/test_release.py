"""The student bundle holds no oracle, and a correct notebook passes its public checks in it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from grader.assignment._bundle_ci import build_wheel
from grader.assignment._release import release_bundle
from tests.conftest import ASSIGNMENT, EXAMPLES, ROOT


@pytest.fixture(scope="module")
def bundle(assignment, tmp_path_factory):
    return release_bundle(assignment, tmp_path_factory.mktemp("bundle"))


def test_bundle_holds_the_notebook_spec_and_public_cases_only(bundle):
    files = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file())
    assert files == [
        ".github/workflows/grade.yml",
        "README.md",  # test_the_readme_names_every_file_and_the_install_line
        "grader-0.1.0-py3-none-any.whl",  # its contents: test_the_wheel_ships_no_oracle...
        "public.json",
        "spec.toml",
        "student.ipynb",
    ]
    oracle_source = (ROOT / "reference" / "variational_inference.py").read_text()
    bodies = [line.strip() for line in oracle_source.splitlines() if "return" in line]
    for name in files:
        if name.endswith(".whl"):
            continue
        text = (bundle / name).read_text()
        for line in bodies:
            if len(line) > 20:
                assert line not in text, (name, line)
    spec = (bundle / "spec.toml").read_text()
    for private in ("reference", "checks.py", "solution"):
        assert private not in spec


def _check(notebook, cwd):
    return subprocess.run(
        [sys.executable, "-c", "from grader._cli import main; main()", "check", str(notebook)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's grader, from any folder
        timeout=300,
    )


def test_correct_notebook_passes_the_public_checks_inside_the_bundle(bundle):
    notebook = bundle / "mine.ipynb"
    notebook.write_bytes((ASSIGNMENT / "solution.ipynb").read_bytes())
    run = _check(notebook, bundle)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "public checks" in run.stdout and "hidden checks" in run.stdout


def test_buggy_notebook_fails_the_public_checks_and_sees_expected_values(bundle):
    notebook = bundle / "erin.ipynb"
    notebook.write_bytes((EXAMPLES / "erin_variance_bug.ipynb").read_bytes())
    run = _check(notebook, bundle)
    assert run.returncode == 1
    assert "Expected" in run.stdout


def test_the_wheel_ships_no_oracle_and_no_assignment(tmp_path):
    wheel = build_wheel(tmp_path)  # built from a scratch copy: nothing left in the checkout
    names = zipfile.ZipFile(wheel).namelist()
    entry_points = zipfile.ZipFile(wheel).read("grader-0.1.0.dist-info/entry_points.txt").decode()
    assert "[pytest11]\ngrader = grader.integrations._pytest_plugin" in entry_points
    assert any(n.startswith("grader/grading/_notebook.py") for n in names)
    assert not [n for n in names if n.startswith(("reference/", "assignments/", "tests/"))]


def _workflow(bundle):
    import yaml

    from grader.assignment._bundle_ci import WORKFLOW_PATH

    workflow = yaml.safe_load((bundle / WORKFLOW_PATH).read_text())
    return workflow, workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true


def test_the_workflow_runs_once_per_change_with_a_pip_cache(bundle):
    workflow, triggers = _workflow(bundle)
    # A pull request's commits run once (its own trigger), not again as pushes: pushes only
    # to main.
    assert set(triggers) == {"push", "pull_request", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
    assert not triggers["pull_request"]
    (job,) = workflow["jobs"].values()
    (setup,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-py")]
    wheel = next(bundle.glob("grader-*.whl")).name
    assert setup["with"]["cache"] == "pip"
    # The cache is keyed on a file the repository holds: the wheel (pip's dependencies follow it).
    assert setup["with"]["cache-dependency-path"] == wheel
    assert (bundle / setup["with"]["cache-dependency-path"]).is_file()


def test_the_workflow_says_what_happens_as_root_and_how_to_allow_the_sandbox(bundle):
    from grader.assignment._bundle_ci import WORKFLOW_PATH

    text = (bundle / WORKFLOW_PATH).read_text()
    assert "AppArmor" in text and "root" in text
    assert "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in text
    assert "GRADER_SANDBOX: none" in text


def _with_data_file(tmp_path):
    """A copy of the sheet that gives students a data file too."""
    import shutil

    from grader import load_assignment

    copy = tmp_path / "variational_inference"
    shutil.copytree(ASSIGNMENT, copy)
    (copy / "samples.csv").write_text("x\n0.5\n")
    spec = copy / "spec.toml"
    text = spec.read_text().replace('"../../reference/', f'"{ROOT}/reference/')
    spec.write_text(
        text.replace('checks = "checks.py"', 'checks = "checks.py"\ndata_files = ["samples.csv"]')
    )
    return load_assignment(copy)


def test_the_readme_names_every_file_and_the_install_line(tmp_path):
    from grader.assignment._bundle_ci import install_command

    assignment = _with_data_file(tmp_path)
    bundle = release_bundle(assignment, tmp_path / "dist", wheel=_wheel(tmp_path))
    readme = (bundle / "README.md").read_text()
    files = [p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()]
    assert "samples.csv" in files and len(files) == 7
    for name in files:
        assert f"`{name}`" in readme, name
    assert "| `samples.csv` | data the notebook reads" in readme
    wheel = next(bundle.glob("grader-*.whl")).name
    assert install_command(wheel) in readme
    assert "pytest" in install_command(wheel)  # `pytest --grade` is one of the self-checks
    for command in ("grader check student.ipynb", "selfcheck()", "pytest --grade student.ipynb"):
        assert command in readme, command
    assert "not** a promise of full marks" in readme and "hidden checks" in readme
    assert "graded by hand (1a-prose, 1c-derivation)" in readme
    assert "Never run `pip install grader`" in readme
    assert assignment.title in readme


def _wheel(tmp_path):
    """A stand-in wheel file: these tests are about the bundle's folder, not the wheel."""
    path = tmp_path / "wheels" / "grader-0.1.0-py3-none-any.whl"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"PK stand-in")
    return path


def _fail_on_workflow(monkeypatch):
    """The workflow's writer raises, after the notebook, the spec and the wheel are written."""
    from grader.assignment import _release

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_release, "add_workflow", broken)


def test_a_release_that_fails_midway_leaves_no_bundle(assignment, tmp_path, monkeypatch):
    out = tmp_path / "dist"
    _fail_on_workflow(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        release_bundle(assignment, out, wheel=_wheel(tmp_path))
    assert not out.exists()  # not even the --out folder the release made


def test_a_release_that_fails_midway_keeps_the_earlier_bundle(assignment, tmp_path, monkeypatch):
    out = tmp_path / "dist"
    folder = release_bundle(assignment, out, wheel=_wheel(tmp_path))
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    _fail_on_workflow(monkeypatch)
    with pytest.raises(OSError):
        release_bundle(assignment, out, wheel=_wheel(tmp_path))
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert [p.name for p in out.iterdir()] == [assignment.name]  # no partial folder left


def test_a_release_replaces_the_earlier_bundle_keeping_its_git(assignment, tmp_path):
    out = tmp_path / "dist"
    folder = release_bundle(assignment, out, wheel=_wheel(tmp_path))
    (folder / "stale.csv").write_text("a data file the spec no longer names\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert release_bundle(assignment, out, wheel=_wheel(tmp_path)) == folder
    assert not (folder / "stale.csv").exists()
    assert (folder / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (folder / "README.md").is_file()
    assert [p.name for p in out.iterdir()] == [assignment.name]


def test_a_release_from_an_installed_grader_without_wheel_leaves_nothing(
    assignment, tmp_path, monkeypatch
):
    """From an installed wheel there is no checkout to build a wheel from: Error, no bundle."""
    from grader.assignment import _bundle_ci
    from grader.errors import ReleaseError

    monkeypatch.setattr(_bundle_ci, "source_checkout", lambda: None)
    out = tmp_path / "dist"
    out.mkdir()
    with pytest.raises(ReleaseError, match="pass --wheel"):
        release_bundle(assignment, out)
    assert list(out.iterdir()) == []


def test_the_ci_template_page_shows_the_workflow_as_written():
    """docs/ci-template.md quotes the workflow: it must be the one `release` writes (its
    comments aside, the Python version being the releasing interpreter's)."""
    import re

    from grader.assignment._bundle_ci import workflow_yaml

    page = (ROOT / "docs" / "ci-template.md").read_text()
    shown = re.search(r"```yaml\n(name: grade\n.*?)```", page, re.S).group(1)
    written = workflow_yaml("student.ipynb", "grader-0.1.0-py3-none-any.whl")
    written = re.sub(r'python-version: "[0-9.]+"', 'python-version: "3.11"', written)
    assert shown == "".join(line for line in written.splitlines(True) if line[0] != "#")
