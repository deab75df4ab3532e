"""Per-student variants end to end, in real kernels: a class of 30 is released its own
notebooks, hands in the solution filled into them (one copied from a friend, one with a forged
record, one with the record stripped) and is graded, twice."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from grader.assignment._source import render
from grader.assignment._spec import load_assignment
from grader.assignment._variant_notebook import render_notebook
from grader.assignment._variants import Variant
from tests.conftest import ROOT, run_grader

GAUSSIAN_KL = ROOT / "assignments" / "gaussian_kl"
STUDENTS = [f"s{i:02}" for i in range(1, 31)]
#: Timings and usage: measurements, which differ between two gradings of one notebook.
MEASURED = ["seconds", "cpu_seconds", "memory_peak_mb"]


def _variant(nb: nbformat.NotebookNode) -> Variant:
    record = nb.metadata["grader"]["variant"]
    return Variant(**record)


def _filled(released: Path, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A student's released notebook with every cell answered as the solution answers it (the
    solution's cells, with the numbers this notebook was released with)."""
    nb = nbformat.read(released, as_version=4)
    return render_notebook(solution, _variant(nb))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The released class, its hand-ins and two gradings of them."""
    root = tmp_path_factory.mktemp("variants")
    made = run_grader("secret", "new", root / "new.key")
    assert made.returncode == 0 and "cannot be re-derived" in made.stdout, made.stderr
    secret = root / "course.key"  # a fixed one: the class's numbers are the same every run
    secret.write_bytes(bytes(range(100, 164)))
    roster = root / "roster.csv"
    rows = [f"{key},Student {key[1:]}" for key in STUDENTS]
    roster.write_text("student_id,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    wheel = root / "grader-0.1.0-py3-none-any.whl"  # copied as it is: no build for this test
    wheel.write_bytes(b"not really a wheel")
    dist = root / "dist"
    args = ["--roster", roster, "--out", dist, "--secret-file", secret, "--wheel", wheel]
    released = run_grader("release", GAUSSIAN_KL, *args)
    assert released.returncode == 0, released.stderr
    bundle = dist / "gaussian_kl"
    handins = _hand_ins(bundle, root / "handins")
    graded = [
        run_grader("grade", GAUSSIAN_KL, handins, "--out", out, "--secret-file", secret)
        for out in (root / "out", root / "again")
    ]
    for run in graded:
        assert run.returncode in (0, 1), run.stderr
    return {"root": root, "secret": secret, "bundle": bundle, "handins": handins}


def _hand_ins(bundle: Path, folder: Path) -> Path:
    """Every student's notebook filled with the solution; s29 hands in s01's, s30 hands in
    s02's with the record's student changed to s30, s28 strips the record from their own."""
    solution = nbformat.read(load_assignment(GAUSSIAN_KL).solution_notebook, as_version=4)
    folder.mkdir()
    filled = {key: _filled(bundle / "students" / f"{key}.ipynb", solution) for key in STUDENTS}
    filled["s29"] = filled["s01"]
    forged = copy.deepcopy(filled["s02"])
    forged.metadata["grader"]["variant"]["student"] = "s30"
    filled["s30"] = forged
    stripped = copy.deepcopy(filled["s28"])
    del stripped.metadata["grader"]
    filled["s28"] = stripped
    for key, nb in filled.items():
        (folder / f"{key}.ipynb").write_text(render(nb), encoding="utf-8")
    return folder


def _scores(out: Path) -> pd.DataFrame:
    return pd.read_csv(
        out / "scores.csv", keep_default_na=False, dtype={"question": str, "submission": str}
    )


def test_release_writes_each_students_own_notebook_and_the_manifest(course):
    bundle = course["bundle"]
    manifest = pd.read_csv(bundle / "manifest.csv")
    assert list(manifest["student"]) == STUDENTS
    digests = {}
    for row in manifest.itertuples():
        nb = nbformat.read(bundle / row.file, as_version=4)
        variant = _variant(nb)
        assert (variant.student, variant.digest) == (row.student, row.variant_digest)
        code = nb.cells[1].source
        assert f"mu1, sigma1 = {variant.values['mu1']!r}, {variant.values['sigma1']!r}" in code
        assert "{{" not in json.dumps([c.source for c in nb.cells])
        digests[row.student] = row.variant_digest
    assert len(set(digests.values())) >= 25  # numbers of their own (a few may coincide)
    assert digests["s01"] != digests["s29"] and digests["s02"] != digests["s30"]


def test_no_secret_is_in_the_bundle(course):
    key = course["secret"].read_bytes()
    for path in course["bundle"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert key not in data and key.hex().encode() not in data, path


def test_a_correct_solution_earns_full_marks_on_every_variant(course):
    scores = _scores(course["root"] / "out")
    totals = scores.groupby("submission")["points"].sum()
    honest = [key for key in STUDENTS if key not in ("s29", "s30")]
    assert all(totals[key] == 5 for key in honest), totals[honest]
    notes = scores.groupby("submission")["notes"].first()
    assert all(notes[key] == "" for key in honest if key != "s28")


def test_a_notebook_copied_from_a_friend_is_caught_and_marked_on_the_right_variant(course):
    scores = _scores(course["root"] / "out").set_index(["submission", "question"])
    copied = scores.loc[("s29", "2")]
    assert copied["points"] == 0 and copied["status"] == "wrong"
    assert "released to s01" in copied["notes"]
    assert scores.loc[("s29", "1"), "points"] == 3  # the function is right whoever wrote it
    assert scores.loc[("s01", "2"), "points"] == 2


def test_a_forged_variant_is_refused_and_a_missing_one_said(course):
    scores = _scores(course["root"] / "out").set_index(["submission", "question"])
    forged = scores.loc[("s30", "2")]
    assert forged["points"] == 0 and "edited or not the grader's" in forged["notes"]
    stripped = scores.loc[("s28", "2")]  # its own numbers still: full marks, and said
    assert stripped["points"] == 2 and "does not say whose numbers" in stripped["notes"]


def test_letters_show_each_student_their_own_numbers(course):
    bundle, out = course["bundle"], course["root"] / "out"
    for key in STUDENTS:
        values = _variant(nbformat.read(bundle / "students" / f"{key}.ipynb", as_version=4)).values
        letter = (out / "feedback" / f"{key}.md").read_text(encoding="utf-8")
        shown = ", ".join(f"{n} = {format(v, '.6g')}" for n, v in values.items())
        assert f"Your numbers (graded with these): {shown}." in letter, key
    assert "s01" not in (out / "feedback" / "s29.md").read_text(encoding="utf-8")


def test_a_regrade_is_byte_identical(course):
    first, again = course["root"] / "out", course["root"] / "again"
    assert _scores(first).drop(columns=MEASURED).equals(_scores(again).drop(columns=MEASURED))
    for table in ("gradebook.csv", "checks.csv"):
        assert (first / table).read_bytes() == (again / table).read_bytes(), table
    for key in STUDENTS:
        letter = (first / "feedback" / f"{key}.md").read_bytes()
        assert letter == (again / "feedback" / f"{key}.md").read_bytes(), key


def test_grading_without_the_secret_is_refused_before_any_notebook_runs(course, tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(course["handins"] / "s01.ipynb", one)
    run = run_grader("grade", GAUSSIAN_KL, one, "--out", tmp_path / "out")
    assert run.returncode == 2 and "--secret-file" in run.stderr
    assert not (tmp_path / "out" / "scores.csv").exists()


def _sheet_with(tmp_path: Path, variants: str) -> Path:
    """A copy of gaussian_kl whose [variants] table is ``variants``."""
    folder = tmp_path / "assignments" / "gaussian_kl"
    shutil.copytree(GAUSSIAN_KL, folder)
    (tmp_path / "reference").mkdir()
    shutil.copy(ROOT / "reference" / "gaussian_kl.py", tmp_path / "reference")
    spec = folder / "spec.toml"
    text = spec.read_text(encoding="utf-8")
    start, end = text.index("\n[variants]") + 1, text.index("[[questions]]")
    spec.write_text(text[:start] + "[variants]\n" + variants + "\n" + text[end:], encoding="utf-8")
    return folder


def test_validate_runs_the_solution_on_every_roster_variant(course):
    roster = course["root"] / "roster.csv"
    run = run_grader("validate", GAUSSIAN_KL, "--roster", roster, "--secret-file", course["secret"])
    assert run.returncode == 0, run.stdout + run.stderr
    assert "valid" in run.stdout


def test_validate_flags_a_variant_whose_oracle_fails_or_whose_answer_is_degenerate(tmp_path):
    from grader.assignment._secret import CourseSecret
    from grader.grading._validate import validate

    key = CourseSecret(bytes(range(32)), tmp_path / "key")
    same = "mu1 = { choices = [0.0] }\nmu2 = { choices = [0.0] }\n"
    degenerate = _sheet_with(
        tmp_path / "a", same + "sigma1 = { choices = [1.0] }\nsigma2 = { choices = [1.0] }\n"
    )
    problems = validate(load_assignment(degenerate), None, key, ["amy"])
    assert any("2/kl_mine on the variant of amy" in p and "degenerate" in p for p in problems)
    failing = _sheet_with(
        tmp_path / "b",
        same + 'sigma1 = { choices = [0.0] }\nsigma2 = { generator = "pick_sigma2" }\n',
    )
    problems = validate(load_assignment(failing), None, key, ["amy", "bo"])
    assert any(p.startswith("the variant of amy") and "ZeroDivisionError" in p for p in problems)
    assert any(p.startswith("the variant of bo") for p in problems)


def test_the_self_check_judges_a_variable_without_its_answer(course, tmp_path):
    bundle = course["bundle"]
    public = json.loads((bundle / "public.json").read_text(encoding="utf-8"))
    assert public["checks"]["2/kl_mine"] == {"cases": [], "expected": []}
    solution = nbformat.read(load_assignment(GAUSSIAN_KL).solution_notebook, as_version=4)
    mine = _filled(bundle / "students" / "s05.ipynb", solution)
    good = bundle / "students" / "s05-good.ipynb"
    good.write_text(render(mine), encoding="utf-8")
    checked = run_grader("check", good)
    assert checked.returncode == 0 and "5/5 points on public checks" in checked.stdout
    wrong = copy.deepcopy(mine)
    wrong.cells[5].source = "kl_mine = 0.25"
    bad = bundle / "students" / "s05-bad.ipynb"
    bad.write_text(render(wrong), encoding="utf-8")
    checked = run_grader("check", bad)
    assert checked.returncode == 1 and "2  0/2  wrong" in checked.stdout
    right = kl_gaussian_of(_variant(mine).values)
    assert "Expected" not in checked.stdout and f"{right:.4f}"[:5] not in checked.stdout
    text = copy.deepcopy(mine)
    text.cells[5].source = "kl_mine = 'about one'"
    (bundle / "students" / "s05-text.ipynb").write_text(render(text), encoding="utf-8")
    checked = run_grader("check", bundle / "students" / "s05-text.ipynb")
    assert checked.returncode == 1 and "2  0/2  wrong" in checked.stdout


def kl_gaussian_of(values: dict) -> float:
    import math

    mu1, sigma1, mu2, sigma2 = (values[k] for k in ("mu1", "sigma1", "mu2", "sigma2"))
    return math.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5


def test_similarity_names_the_student_whose_numbers_a_submission_holds(course):
    run = run_grader("similarity", course["root"] / "out")
    assert run.returncode == 0, run.stderr
    evidence = [line.strip() for line in run.stdout.splitlines() if "strong evidence" in line]
    assert evidence == [
        "strong evidence: s29 carries the signed variant released to s01",
        "strong evidence: s30 has in its code every number released to s02",
    ]
    page = (course["root"] / "out" / "similarity.html").read_text(encoding="utf-8")
    assert "Another student's numbers (strong evidence)" in page
    assert "<li>s29 carries the signed variant released to s01</li>" in page


def test_release_refuses_a_roster_without_variants_or_without_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADER_COURSE_SECRET_FILE", raising=False)
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\namy\n", encoding="utf-8")
    plain = run_grader("release", "variational_inference", "--roster", roster, "--out", tmp_path)
    assert plain.returncode == 2 and "has no [variants]" in plain.stderr
    secretless = run_grader("release", GAUSSIAN_KL, "--roster", roster, "--out", tmp_path)
    assert secretless.returncode == 2 and "--secret-file" in secretless.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]  # nothing written


def test_an_lms_download_is_graded_per_student_by_the_intakes_key(tmp_path):
    """A Moodle download matched to the roster by name: each notebook is keyed by its
    student's student_id, the key it was released to, and graded on that student's values."""
    people = [("Ana Lopez", "20230001", "5501"), ("Bruno Neil", "20230002", "5502")]
    people.append(("Wei Chen", "20230003", "5503"))
    roster = tmp_path / "roster.csv"
    lines = [f"{sid},{name}" for name, sid, _ in people]
    roster.write_text("student_id,name\n" + "\n".join(lines) + "\n", encoding="utf-8")
    secret = tmp_path / "course.key"
    secret.write_bytes(bytes(range(7, 71)))
    wheel = tmp_path / "grader-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    args = ["--roster", roster, "--out", tmp_path / "dist", "--secret-file", secret]
    assert run_grader("release", GAUSSIAN_KL, *args, "--wheel", wheel).returncode == 0
    students = tmp_path / "dist" / "gaussian_kl" / "students"
    solution = nbformat.read(load_assignment(GAUSSIAN_KL).solution_notebook, as_version=4)
    filled = {sid: _filled(students / f"{sid}.ipynb", solution) for _, sid, _ in people}
    filled["20230002"] = filled["20230001"]  # Bruno hands in Ana's
    download = tmp_path / "moodle"
    for name, sid, participant in people:
        folder = download / f"{name}_{participant}_assignsubmission_file"
        folder.mkdir(parents=True)
        (folder / "student.ipynb").write_text(render(filled[sid]), encoding="utf-8")
    out = tmp_path / "out"
    run = run_grader(
        "grade", GAUSSIAN_KL, download, "--roster", roster, "--out", out, "--secret-file", secret
    )
    assert run.returncode in (0, 1), run.stderr
    scores = _scores(out).set_index(["submission", "question"])
    assert scores.loc[("20230001", "2"), "points"] == 2
    assert scores.loc[("20230003", "2"), "points"] == 2
    copied = scores.loc[("20230002", "2")]
    assert copied["points"] == 0 and "released to 20230001" in copied["notes"]
    similar = run_grader("similarity", out)
    assert "20230002 carries the signed variant released to 20230001 (Ana Lopez)" in similar.stdout


def test_a_dask_cluster_grades_each_student_on_their_own_values(course, tmp_path):
    """The per-student answers travel to Dask's workers as data, as to the pool's."""
    some = tmp_path / "some"
    some.mkdir()
    for key in ("s01", "s29", "s30"):
        shutil.copy(course["handins"] / f"{key}.ipynb", some)
    out = tmp_path / "out"
    run = run_grader(
        "grade", GAUSSIAN_KL, some, "--out", out, "--secret-file", course["secret"],
        "--scheduler", "local:2",
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    pool = _scores(course["root"] / "out")
    pool = pool[pool["submission"].isin(["s01", "s29", "s30"])].reset_index(drop=True)
    columns = ["submission", "question", "points", "status", "feedback", "notes"]
    assert _scores(out)[columns].equals(pool[columns])
