"""Per-student release: one notebook per roster student with their own values, and a manifest.

``grader release ASSIGNMENT --roster roster.csv --out DIR`` writes the bundle as always, then
``DIR/ASSIGNMENT/students/KEY.ipynb`` per student (``KEY`` the student key of the course intake:
the roster's ``student_id``, made a file name) and ``DIR/ASSIGNMENT/manifest.csv`` (student key,
file, variant digest). Each notebook keeps its variant, signed, in ``metadata.grader.variant``;
the course secret itself is never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from grader._files import write_atomic
from grader.assignment._secret import CourseSecret
from grader.assignment._source import render
from grader.assignment._spec import Assignment
from grader.assignment._variant_notebook import render_notebook
from grader.assignment._variants import Variant, derive
from grader.course._intake import key_text
from grader.course._roster import ClassRoster
from grader.errors import VariantError
from grader.results._csv import csv_text

STUDENTS_FOLDER = "students"
MANIFEST_FILE = "manifest.csv"


@dataclass(frozen=True)
class Released:
    """What a per-student release wrote: the folder, the manifest, each student's variant."""

    folder: Path
    manifest: Path
    variants: tuple[Variant, ...]


def student_variant(assignment: Assignment, secret: CourseSecret, key: str) -> Variant:
    """The variant of the student whose key is ``key``, as the secret decides it."""
    if assignment.variants is None:
        raise VariantError(f"{assignment.name} has no [variants] table")
    modules = (assignment.oracles, assignment.hooks)
    return derive(assignment.variants, secret, assignment.name, key, modules)


def roster_keys(roster: ClassRoster) -> list[str]:
    """Each roster student's key, as the course intake keys their submissions."""
    return [key_text(student.student_id) for student in roster.students]


def release_students(
    assignment: Assignment, roster: ClassRoster, secret: CourseSecret, folder: Path
) -> Released:
    """Write ``folder/students/KEY.ipynb`` per roster student and ``folder/manifest.csv``."""
    nb = nbformat.read(assignment.student_notebook, as_version=4)
    variants = []
    rows = []
    for key in roster_keys(roster):
        variant = student_variant(assignment, secret, key)
        path = folder / STUDENTS_FOLDER / f"{key}.ipynb"
        write_atomic(path, render(render_notebook(nb, variant)))
        variants.append(variant)
        rows.append((key, f"{STUDENTS_FOLDER}/{path.name}", variant.digest))
    frame = pd.DataFrame(rows, columns=["student", "file", "variant_digest"])
    manifest = folder / MANIFEST_FILE
    write_atomic(manifest, csv_text(frame, exact={"student", "file", "variant_digest"}))
    return Released(folder, manifest, tuple(variants))
