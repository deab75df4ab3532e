"""Per-student variants, without kernels: the course secret, each student's values (a fixed
secret gives fixed values, worked out here independently of the grader), placeholders, the
signed record in a notebook and what a tampered one is judged to be."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import math
import os
import shutil
import stat
from dataclasses import replace

import nbformat
import pytest

from grader.assignment._plan import GradingPlan, student_part
from grader.assignment._secret import SECRET_ENV, CourseSecret, load_secret, new_secret
from grader.assignment._spec import load_assignment
from grader.assignment._variant_notebook import notebook_claim, prose, render_notebook
from grader.assignment._variants import derive, read_variants, value_seed
from grader.errors import SpecError, VariantError
from tests.conftest import ROOT

GAUSSIAN_KL = ROOT / "assignments" / "gaussian_kl"
#: A fixed secret: 32 bytes 0, 1, ..., 31.
FIXED = CourseSecret(bytes(range(32)), ROOT / "fixed-test-secret")


@pytest.fixture(scope="module")
def sheet():
    return load_assignment(GAUSSIAN_KL)


def _independent_seed(key: bytes, assignment: str, student: str, name: str) -> int:
    message = f"grader-variant/1\0{assignment}\0{student}\0{name}".encode()
    return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:8], "big")


def test_a_fixed_secret_gives_fixed_values_worked_out_independently(sheet):
    variant = derive(sheet.variants, FIXED, "gaussian_kl", "s01", (sheet.oracles, sheet.hooks))
    raw = {p.name: p.what for p in sheet.variants.parameters}
    for name in ("mu1", "mu2", "sigma1"):
        seed = _independent_seed(FIXED.key, "gaussian_kl", "s01", name)
        assert seed == value_seed(FIXED, "gaussian_kl", "s01", name)
        assert variant.values[name] == raw[name][seed % len(raw[name])]
    seed = _independent_seed(FIXED.key, "gaussian_kl", "s01", "sigma2")
    assert variant.values["sigma2"] == round(0.6 + 0.1 * (seed % 20), 1)
    # And as literals: an upgrade that moved them would change every student's numbers.
    assert variant.values == {"mu1": 1.5, "mu2": 0.75, "sigma1": 1.5, "sigma2": 1.6}
    assert (
        variant.digest
        == hashlib.sha256(
            json.dumps(variant.values, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()[:16]
    )
    body = {"assignment": "gaussian_kl", "student": "s01", "values": variant.values}
    signed = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert variant.signature == hmac.new(FIXED.key, signed, hashlib.sha256).hexdigest()


def test_values_differ_by_student_and_by_secret(sheet):
    modules = (sheet.oracles, sheet.hooks)
    keys = [f"s{i:02}" for i in range(30)]
    digests = {derive(sheet.variants, FIXED, "gaussian_kl", k, modules).digest for k in keys}
    assert len(digests) >= 25  # 5040 combinations: a few may coincide, never most
    other = CourseSecret(bytes(range(1, 33)), ROOT / "other")
    mine = derive(sheet.variants, FIXED, "gaussian_kl", "s01", modules)
    assert derive(sheet.variants, other, "gaussian_kl", "s01", modules).signature != mine.signature


def test_placeholders_become_literals_in_code_and_numbers_in_text(sheet):
    nb = nbformat.read(sheet.student_notebook, as_version=4)
    variant = derive(sheet.variants, FIXED, "gaussian_kl", "s01", (sheet.oracles, sheet.hooks))
    out = render_notebook(nb, variant)
    text = json.dumps([c.source for c in out.cells])
    assert "{{" not in text
    assert "mu1, sigma1 = 1.5, 1.5" in out.cells[1].source
    assert "$\\mu_1 = 1.5$" in out.cells[0].source and "$\\sigma_2 = 1.6$" in out.cells[0].source
    assert [c.get("id") for c in out.cells] == [c.get("id") for c in nb.cells]
    assert out.metadata["grader"]["variant"] == variant.metadata()
    assert "{{ mu1 }}" in nb.cells[1].source  # the template is left as it was
    assert prose([1.0, 2.5, 3]) == "1, 2.5 and 3" and prose(1e-7) == "1e-07"


def test_an_unknown_placeholder_is_refused(sheet):
    nb = nbformat.read(sheet.student_notebook, as_version=4)
    nb.cells[1].source += "\nx = {{ mu3 }}"
    variant = derive(sheet.variants, FIXED, "gaussian_kl", "s01", (sheet.oracles, sheet.hooks))
    with pytest.raises(VariantError, match=r"mu3"):
        render_notebook(nb, variant)


def test_the_notebook_record_is_judged_own_other_forged_or_missing(sheet):
    modules = (sheet.oracles, sheet.hooks)
    nb = nbformat.read(sheet.student_notebook, as_version=4)
    amy = render_notebook(nb, derive(sheet.variants, FIXED, "gaussian_kl", "amy", modules))
    assert notebook_claim(amy, FIXED, "gaussian_kl", "amy").verdict == "own"
    other = notebook_claim(amy, FIXED, "gaussian_kl", "bob")
    assert (other.verdict, other.student) == ("other", "amy")
    edited = copy.deepcopy(amy)
    edited.metadata["grader"]["variant"]["values"]["mu1"] = 99.0
    assert notebook_claim(edited, FIXED, "gaussian_kl", "amy").verdict == "forged"
    renamed = copy.deepcopy(amy)
    renamed.metadata["grader"]["variant"]["student"] = "bob"  # the friend's, claimed as own
    assert notebook_claim(renamed, FIXED, "gaussian_kl", "bob").verdict == "forged"
    resigned = copy.deepcopy(amy)
    resigned.metadata["grader"]["variant"]["signature"] = "0" * 64
    assert notebook_claim(resigned, FIXED, "gaussian_kl", "amy").verdict == "forged"
    wrong_key = CourseSecret(b"x" * 32, ROOT / "guess")
    assert notebook_claim(amy, wrong_key, "gaussian_kl", "amy").verdict == "forged"
    assert notebook_claim(nb, FIXED, "gaussian_kl", "amy").verdict == "missing"
    garbage = copy.deepcopy(amy)
    garbage.metadata["grader"]["variant"] = ["not", "a", "record"]
    assert notebook_claim(garbage, FIXED, "gaussian_kl", "amy").verdict == "forged"


def test_a_new_secret_is_private_and_never_overwritten(tmp_path, monkeypatch):
    path = new_secret(tmp_path / "course.key")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(path.read_bytes()) >= 32
    with pytest.raises(VariantError, match="already exists"):
        new_secret(path)
    monkeypatch.setenv(SECRET_ENV, str(path))
    assert load_secret(None).key == path.read_bytes()
    assert "course.key" in repr(load_secret(None)) and path.read_bytes().hex() not in repr(
        load_secret(None)
    )
    short = tmp_path / "short.key"
    short.write_bytes(b"x" * 31)
    with pytest.raises(VariantError, match="at least 32"):
        load_secret(short)
    monkeypatch.delenv(SECRET_ENV)
    with pytest.raises(VariantError, match="--secret-file"):
        load_secret(None)


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"a": [1, 2]}, "exactly one of"),
        ({"a": {"choices": []}}, "non-empty"),
        ({"a": {"choices": [1], "generator": "f"}}, "exactly one of"),
        ({"a": {"choices": [float("nan")]}}, "not a number"),
        ({"1a": {"choices": [1]}}, "identifier"),
        ({"a": {"strategy": ""}}, "must name"),
    ],
)
def test_a_bad_variants_table_is_refused(tmp_path, table, problem):
    with pytest.raises(SpecError, match=problem):
        read_variants(tmp_path / "spec.toml", table)


def test_the_plan_asks_for_each_students_answers_and_refuses_none(sheet):
    plan = GradingPlan.build(sheet)
    assert plan.dependent == frozenset({"2/kl_mine", "1/kl_gaussian#mine"})
    assert plan.expected["2/kl_mine"] == () and plan.cases["1/kl_gaussian#mine"] == ()
    assert len(plan.cases["1/kl_gaussian"]) > 10  # frozen, the same for everyone
    values = {"mu1": 0.5, "mu2": -1.25, "sigma1": 2.0, "sigma2": 1.0}
    part = student_part(sheet, plan.dependent, values)
    right = math.log(1.0 / 2.0) + (4.0 + 1.75**2) / 2.0 - 0.5
    assert part.cases["1/kl_gaussian#mine"] == (values,)
    assert part.expected["1/kl_gaussian#mine"] == (right,) == part.expected["2/kl_mine"]
    own = replace(plan, students={"amy": part}).for_submission("amy")
    assert own.cases["1/kl_gaussian#mine"] == (values,) and own.expected["2/kl_mine"] == (right,)
    with pytest.raises(VariantError, match="no variant"):
        plan.for_submission("amy")


def test_a_sheet_without_variants_plans_as_before(assignment, plan):
    assert assignment.variants is None and plan.dependent == frozenset()
    assert plan.for_submission("anyone") is plan


def test_similarity_names_a_copy_by_its_record_or_its_numbers_never_an_honest_one():
    from grader.results._model import Event, SubmissionResult
    from grader.similarity._variants import variant_matches

    def result(name, values, *events):
        extra = {"course.variant_values": json.dumps(values)}
        return SubmissionResult(name, (), extra=extra, events=tuple(events))

    amy = {"mu": -1.5, "sigma": 2.0}
    bo = {"mu": 0.25, "sigma": 0.5}
    cy = {"mu": 3.0, "sigma": 4.0}
    results = [
        result("amy", amy),
        result("bo", bo, Event("variant_other", {"student": "amy"})),
        result("cy", cy),
        result("di", {"mu": 7.0, "sigma": 9.0}),
    ]
    code = {
        "amy": "mu, sigma = -1.5, 2.0\nkl = math.log(sigma) - 0.5",
        "bo": "mu, sigma = -1.5, 2.0",
        "cy": "mu, sigma = -1.5, 2.0\nx = mu - 0.5",  # amy's numbers, record stripped
        "di": "mu, sigma = 7.0, 9.0\ny = 2 * mu - 1.5 * sigma",  # its own: never named
    }
    found = variant_matches(results, code, {"amy": "Amy Lee"})
    assert [(m.submission, m.student, m.how) for m in found] == [
        ("bo", "amy", "record"),
        ("cy", "amy", "numbers"),
    ]
    assert found[1].sentence() == "cy has in its code every number released to amy (Amy Lee)"


def test_a_check_on_variant_inputs_takes_values_of_the_variants_only(tmp_path):
    folder = tmp_path / "assignments" / "gaussian_kl"
    shutil.copytree(GAUSSIAN_KL, folder)
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    spec = folder / "spec.toml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("sigma2 = { generator", "tau = { generator"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"inputs = \"variant\".*sigma2"):
        load_assignment(folder)


def test_a_plan_with_each_students_answers_travels_to_a_worker_as_data(sheet):
    import pickle

    plan = GradingPlan.build(sheet)
    values = {"mu1": 0.5, "mu2": -1.25, "sigma1": 2.0, "sigma2": 1.0}
    with_parts = replace(plan, students={"amy": student_part(sheet, plan.dependent, values)})
    worker = pickle.loads(pickle.dumps(with_parts))  # as a spawned worker or Dask gets it
    assert worker.assignment.oracles is None  # the oracles stay in the coordinator
    own = worker.for_submission("amy")
    assert own.expected == with_parts.for_submission("amy").expected
    with pytest.raises(VariantError):
        worker.for_submission("bo")


def test_a_strategy_of_checks_py_draws_each_students_value_reproducibly(tmp_path):
    folder = tmp_path / "assignments" / "gaussian_kl"
    shutil.copytree(GAUSSIAN_KL, folder)
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    with (folder / "checks.py").open("a", encoding="utf-8") as checks:
        checks.write(
            "\nshift = st.floats(min_value=-3.0, max_value=3.0).map(lambda x: round(x, 2))\n"
        )
    spec = folder / "spec.toml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("mu1 = { choices", 'mu1 = { strategy = "shift" }\n# { choices'))
    sheet = load_assignment(folder)
    modules = (sheet.oracles, sheet.hooks)
    drawn = [derive(sheet.variants, FIXED, "gaussian_kl", f"s{i}", modules) for i in range(12)]
    again = [derive(sheet.variants, FIXED, "gaussian_kl", f"s{i}", modules) for i in range(12)]
    assert [v.values for v in drawn] == [v.values for v in again]
    mus = [v.values["mu1"] for v in drawn]
    assert all(-3.0 <= m <= 3.0 and round(m, 2) == m for m in mus) and len(set(mus)) >= 6
    spec.write_text(text.replace("mu1 = { choices", 'mu1 = { strategy = "nope" }\n# { choices'))
    with pytest.raises(SpecError, match="no strategy 'nope'"):
        load_assignment(folder)


def test_another_students_record_says_whether_that_student_handed_in():
    """A record of a student with no submission under their key is most often a hand-in not
    named by its key (s01_final.ipynb): the note says how to fix the names; a friend who did
    hand in is a copy, and the note says only whose numbers they are."""
    from grader.assignment._variant_notebook import Claim
    from grader.grading._variants import _annotation
    from grader.report._event_text import event_text

    claim = Claim("other", "s01", "d" * 16, {"mu1": 0.5})
    (copy_of_friend,) = _annotation({"mu1": 1.5}, claim, submitted=True).events
    (misnamed,) = _annotation({"mu1": 1.5}, claim, submitted=False).events
    assert copy_of_friend.params["student"] == misnamed.params["student"] == "s01"
    assert "released to s01" in event_text(copy_of_friend)
    assert "manifest.csv" not in event_text(copy_of_friend)
    assert "handed nothing in under their key" in event_text(misnamed)
    assert "rename them as in manifest.csv or grade the download with --roster" in event_text(
        misnamed
    )
