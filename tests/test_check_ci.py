"""``grader check`` for CI: exit status, JUnit (parsed), JSON and the GitHub step summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from grader.assignment._release import release_bundle
from tests.conftest import ASSIGNMENT, EXAMPLES, FILES, ROOT

LAST_LINE_PASS = "all public checks pass; hidden checks also count"


@pytest.fixture(scope="module")
def bundle(assignment, tmp_path_factory):
    return release_bundle(assignment, tmp_path_factory.mktemp("bundle"))


def check(notebook, *args, cwd, env=None):
    """``grader check`` as a student runs it: from the bundle, the worktree's grader."""
    environ = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    environ.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "grader", "check", str(notebook), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=300,
    )


def _copy(source, bundle, name):
    target = bundle / name
    target.write_bytes(source.read_bytes())
    return target


def test_all_public_checks_pass_exit_0_and_the_last_line_claims_no_grade(bundle, tmp_path):
    notebook = _copy(ASSIGNMENT / "solution.ipynb", bundle, "mine.ipynb")
    run = check(notebook, "--junit", tmp_path / "j.xml", cwd=bundle)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == LAST_LINE_PASS
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 8 and suite.get("failures") == "0"
    assert not [c for c in cases if c.find("failure") is not None]


def test_failing_checks_exit_1_with_junit_json_and_step_summary(bundle, tmp_path):
    notebook = _copy(EXAMPLES / "erin_variance_bug.ipynb", bundle, "erin.ipynb")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    run = check(
        notebook,
        "--junit",
        tmp_path / "j.xml",
        "--json",
        tmp_path / "j.json",
        cwd=bundle,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        run.stdout.strip().splitlines()[-1] == "3 of 8 public checks fail; hidden checks also count"
    )
    cases = ET.parse(tmp_path / "j.xml").getroot().iter("testcase")
    failures = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert sorted(failures) == ["kl_gaussian", "kl_gaussian_same_mean", "kl_gaussian_same_variance"]
    failure = failures["kl_gaussian"]
    assert failure.get("type") == "wrong"
    assert "kl_gaussian(mu1=0.0, sigma1=2.0" in failure.text and "Expected" in failure.text
    assert failure.text in run.stdout  # the same words as the terminal

    document = json.loads((tmp_path / "j.json").read_text())
    assert document["passed"] is False and document["scope"] == "public"
    by_name = {c["function"]: c for q in document["questions"] for c in q["checks"]}
    assert len(by_name) == 8
    assert by_name["kl_gaussian"]["status"] == "wrong"
    assert by_name["kl_gaussian"]["feedback"] == failure.text
    assert by_name["entropy"]["status"] == "ok" and by_name["entropy"]["feedback"] == ""

    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, not overwritten
    assert "| 1b | kl_gaussian | wrong | kl_gaussian(mu1=0.0" in text
    assert "| 1a | entropy | pass |  |" in text


def test_feedback_that_quotes_control_characters_is_valid_xml(bundle, tmp_path):
    notebook = _copy(FILES / "hostile_terminal_escapes.ipynb", bundle, "escapes.ipynb")
    run = check(notebook, "--junit", tmp_path / "j.xml", cwd=bundle)
    assert run.returncode == 1
    xml = (tmp_path / "j.xml").read_text()
    cases = {c.get("name"): c for c in ET.fromstring(xml.encode()).iter("testcase")}
    text = cases["entropy"].find("failure").text
    assert "\\x1b[2J" in text and "\x1b" not in xml


@pytest.mark.parametrize(
    "notebook, args",
    [
        ("broken_truncated_json.ipynb", ()),
        ("broken_python_file.ipynb", ()),
        ("no_such.ipynb", ()),
        ("solution.ipynb", ("--frobnicate",)),
    ],
    ids=["truncated-json", "python-file", "missing-file", "unknown-option"],
)
def test_what_cannot_be_graded_exits_2_with_one_error_line(bundle, tmp_path, notebook, args):
    source = ASSIGNMENT / notebook if notebook == "solution.ipynb" else FILES / notebook
    target = _copy(source, bundle, notebook) if source.exists() else bundle / notebook
    run = check(target, *args, "--junit", tmp_path / "j.xml", cwd=bundle)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("Error: ")
    if notebook.startswith("broken"):
        assert "cannot be graded" in run.stderr
        failure = next(ET.parse(tmp_path / "j.xml").getroot().iter("failure"))
        assert failure.get("type") == "invalid_notebook"
        assert len(failure.text) > 20 and failure.text in run.stderr  # the reason, as printed
