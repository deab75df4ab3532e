"""The documentation site (mkdocs.yml, docs/): it builds with --strict, every page is in the
navigation, the generated references are complete, the tutorials work as written, and the
README stays a short page of links into it.

Tutorials mark the code blocks this file runs: a ```bash block right after a line
``<!-- runnable -->`` (or ``<!-- runnable: exit N -->`` for a command that must exit N), and
``<!-- test-setup ... -->`` comments hold commands run at that point that readers do not see
(a student writing their answers, played by copying in a finished notebook). A page's blocks
run in order, each in a fresh ``bash -euo pipefail`` in the folder the previous one ended in (as
in the reader's shell), starting in an empty folder holding a copy of ``examples/``; ``grader``
is this checkout's. Every line of a block but the last must succeed; the last one must end with
the status the marker says.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # PyYAML: a dependency of distributed's, and of mkdocs

from tests.conftest import ROOT

DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
README = ROOT / "README.md"
HAVE_MKDOCS = all(
    importlib.util.find_spec(m) is not None for m in ("mkdocs", "material", "mkdocs_click")
)
needs_mkdocs = pytest.mark.skipif(
    not HAVE_MKDOCS,
    reason='needs the docs packages: python -m pip install -e ".[docs]" (the test extra has them)',
)
#: authoring.md is a tutorial too; tests/test_docs.py runs every bash block of it.
TESTED_ELSEWHERE = {"authoring.md": "tests/test_docs.py"}


def _nav() -> list:
    # mkdocs.yml may hold !!python tags in general; this one does not, so safe_load reads it.
    return yaml.safe_load(MKDOCS_YML.read_text(encoding="utf-8"))["nav"]


def _pages(nav: list | dict | str) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _pages(value)]
    return [p for item in nav for p in _pages(item)]


def _section(title: str) -> list[str]:
    for item in _nav():
        if isinstance(item, dict) and title in item:
            return _pages(item[title])
    raise AssertionError(f"mkdocs.yml has no nav section {title!r}")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once with --strict (a warning is a failure)."""
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(MKDOCS_YML),
            "-d",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return out


@needs_mkdocs
def test_the_site_builds_with_strict(site):
    assert (site / "index.html").is_file()
    assert (site / "reference" / "spec-toml" / "index.html").is_file()


def test_every_page_is_in_the_navigation_and_every_entry_is_a_page():
    in_nav = _pages(_nav())
    assert len(in_nav) == len(set(in_nav)), "a page is twice in the navigation"
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "hooks" not in p.parts}
    assert pages - set(in_nav) == set(), "pages left out of mkdocs.yml's nav"
    assert set(in_nav) - pages == set(), "nav entries without a page"


@needs_mkdocs
def test_omitting_a_page_or_breaking_a_link_fails_the_strict_build(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    (docs / "orphan.md").write_text("# Not in the nav\n\n[gone](nowhere.md)\n")
    config = MKDOCS_YML.read_text(encoding="utf-8").replace("docs/hooks/", f"{docs}/hooks/")
    (tmp_path / "mkdocs.yml").write_text(config)
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert run.returncode != 0
    assert "orphan.md" in run.stderr and "nowhere.md" in run.stderr


def _sections(page: Path) -> dict[str, str]:
    """The page's HTML cut at its h2 headings: {heading text: what follows until the next}."""
    text = page.read_text(encoding="utf-8")
    parts = re.split(r"<h2[^>]*>(.*?)</h2>", text, flags=re.S)
    titles = [
        html.unescape(re.sub(r"<[^>]+>", "", t)).replace("¶", "").strip() for t in parts[1::2]
    ]
    return dict(zip(titles, parts[2::2]))


def _accepted_keys(tmp_path: Path) -> dict[str, set[str]]:
    """What the spec reader accepts in each table, as its own error message lists them."""
    from grader import load_assignment
    from grader.assignment._scaffold import scaffold
    from grader.errors import SpecError

    scaffold("demo", tmp_path)
    spec = tmp_path / "assignments" / "demo" / "spec.toml"
    original = spec.read_text(encoding="utf-8")
    edits = {
        "top level": original.replace("seed = 1\n", "seed = 1\nzz_unknown = 1\n", 1),
        "[[questions]]": original.replace("points = 2\n", "points = 2\nzz_unknown = 1\n", 1),
        "[[questions.checks]]": original.replace(
            'inputs = "sample"\n', 'inputs = "sample"\n  zz_unknown = 1\n', 1
        ),
    }
    accepted = {}
    for table, text in edits.items():
        assert text != original
        spec.write_text(text, encoding="utf-8")
        with pytest.raises(SpecError, match="zz_unknown") as caught:
            load_assignment(spec.parent)
        allowed = re.search(r"allowed: \[(.*?)\]", str(caught.value)).group(1)
        accepted[table] = set(re.findall(r"'([^']+)'", allowed))
    return accepted


@needs_mkdocs
def test_the_spec_reference_lists_every_key_the_reader_accepts(site, tmp_path):
    sections = _sections(site / "reference" / "spec-toml" / "index.html")
    for table, keys in _accepted_keys(tmp_path).items():
        heading = next(t for t in sections if t.lower() == table)
        documented = set(re.findall(r"<tr>\s*<td><code>([^<]+)</code></td>", sections[heading]))
        assert documented == keys, table


@needs_mkdocs
def test_the_cli_reference_has_every_command_and_option(site):
    import click

    from grader._cli import main

    page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert main.commands, "no click commands found"
    for name, command in main.commands.items():
        assert name in ids, f"grader {name} has no section in the CLI reference"
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(opt in page for opt in param.opts), f"grader {name} {param.opts}"


def test_the_architecture_page_has_a_paragraph_per_package():
    text = (DOCS / "explanation" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.parent.name for p in (ROOT / "grader").glob("*/__init__.py"))
    assert "report" in packages and "results" in packages
    for package in packages:
        assert f"**`{package}/`**" in text, f"no paragraph for grader/{package}/"


_BLOCK = re.compile(
    r"^<!-- runnable(?:: exit (?P<exit>\d+))? -->\n```bash\n(?P<code>.*?)^```"
    r"|^<!-- test-setup\n(?P<setup>.*?)^-->",
    flags=re.S | re.M,
)


def _runnable_blocks(text: str) -> list[tuple[str, int]]:
    """The page's commands to run, in order, each with the exit status it must end with."""
    blocks = []
    for match in _BLOCK.finditer(text):
        if match["setup"] is not None:
            blocks.append((match["setup"], 0))
        else:
            blocks.append((match["code"], int(match["exit"] or 0)))
    markers = text.count("<!-- runnable") + text.count("<!-- test-setup")
    assert len(blocks) == markers, "a runnable or test-setup marker is not followed by its block"
    return blocks


def test_every_tutorial_has_commands_that_are_run():
    for page in _section("Tutorials"):
        if page in TESTED_ELSEWHERE:
            assert (ROOT / TESTED_ELSEWHERE[page]).is_file()
            continue
        assert _runnable_blocks((DOCS / page).read_text(encoding="utf-8")), page


@pytest.mark.parametrize("page", [p for p in _section("Tutorials") if p not in TESTED_ELSEWHERE])
def test_a_tutorial_works_as_written(page, tmp_path):
    blocks = _runnable_blocks((DOCS / page).read_text(encoding="utf-8"))
    work = tmp_path / "work"
    shutil.copytree(ROOT / "examples", work / "examples")
    where = tmp_path / "cwd"
    prelude = 'grader() { python -m grader "$@"; }\n'
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADER_ROOT": str(ROOT)}
    cwd = work
    for number, (code, status) in enumerate(blocks, 1):
        # Every line but the last must succeed (a failure there exits 99); the last one must
        # end with the status the page promises.
        *first, last = code.rstrip("\n").splitlines()
        body = "\n".join(first)
        script = (
            f'{prelude}trap \'exit 99\' ERR\ncd "{cwd}"\n{body}\npwd > "{where}"\n'
            f'trap - ERR\nset +e\n{last}\nstatus=$?\npwd > "{where}"\nexit $status\n'
        )
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        assert run.returncode == status, (
            f"{page}, block {number} exited {run.returncode}, not {status}:\n{code}\n"
            + run.stdout[-3000:]
            + run.stderr[-3000:]
        )
        cwd = Path(where.read_text().strip())


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.S | re.M)


def test_the_readme_is_short_and_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    blocks = _code_blocks(text)
    assert blocks[0].strip() == (
        'python -m pip install -q -e ".[test]" && '
        "python -m grader grade variational_inference examples/submissions --out out"
    )
    assert blocks[1].strip() == 'python -m pip install -q -e ".[test]" && python -m pytest'
    assert "docs/report.png" in text


def test_every_link_of_the_readme_reaches_a_file():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert any(link.startswith("docs/") for link in links)
    for link in links:
        if re.match(r"[a-z]+://", link):
            continue
        path = link.partition("#")[0]
        assert (ROOT / path).exists(), link


def test_the_statuses_page_names_every_status():
    from grader.results._model import STATUSES

    text = (DOCS / "reference" / "statuses.md").read_text(encoding="utf-8")
    for status in STATUSES:
        assert f"`{status}`" in text, status
