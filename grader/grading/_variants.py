"""Grading per variant: each submission against its own student's values, never the ones its
notebook claims.

The coordinator holds the course secret; for every submission it works out the student's own
values (from the secret and the submission's key: the student key of the course intake), asks
the oracles here for the answers that depend on them (``GradingPlan.students``), and judges the
variant the notebook carries (``metadata.grader.variant``): its own, signed, says nothing; any
other is an event of the result (another student's record for the instructor only). Workers
get only the answers, never the secret.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from grader.assignment._plan import GradingPlan, student_part
from grader.assignment._secret import CourseSecret, load_secret
from grader.assignment._variant_notebook import Claim, notebook_claim
from grader.assignment._variants import derive, digest_of
from grader.course._annotation import Annotation
from grader.grading._reading import read_submission
from grader.results._model import Event

if TYPE_CHECKING:
    from grader.grading._batch import Course
    from grader.grading._intake import Entry

#: The extra fields a result keeps of its variant (``course.`` before each, as an annotation).
DIGEST_FIELD = "variant_digest"
#: The student's own values, as JSON: what the letter shows (``report._variant_text``).
VALUES_FIELD = "variant_values"
CLAIMED_FIELD = "variant_claimed"


def with_variants(
    plan: GradingPlan, course: Course, entries: dict[str, Entry]
) -> tuple[GradingPlan, Course]:
    """The plan with every submission's own answers, and the course with what each notebook's
    variant record says (as events); unchanged for an assignment without ``[variants]``."""
    assignment = plan.assignment
    if assignment.variants is None:
        return plan, course
    secret = course.secret or load_secret(None)
    modules = (assignment.oracles, assignment.hooks)
    parts = {}
    notes = dict(course.annotations)
    for name, entry in entries.items():
        own = derive(assignment.variants, secret, assignment.name, name, modules)
        claim = Claim("missing") if entry.problem else _claim(entry, secret, assignment.name, name)
        # A notebook signed for this student keeps the values it was released with, whatever
        # a later library would draw: grades never move with an upgrade.
        values = claim.values if claim.verdict == "own" and claim.values else own.values
        parts[name] = student_part(assignment, plan.dependent, values)
        if entry.problem:
            continue
        note = _annotation(values, claim, submitted=claim.student in entries)
        before = notes.get(name, Annotation())
        notes[name] = Annotation({**before.data, **note.data}, before.events + note.events)
    return replace(plan, students=parts), replace(course, annotations=notes)


def _claim(entry: Entry, secret: CourseSecret, assignment: str, name: str) -> Claim:
    submission = read_submission(entry.path)
    if submission.nb is None:
        return Claim("missing")
    return notebook_claim(submission.nb, secret, assignment, name)


def _annotation(values: dict[str, Any], claim: Claim, submitted: bool = True) -> Annotation:
    """The event a claim other than the student's own gets, and the digests kept. Another
    student's record, where that student handed nothing in under their key, is more often a
    hand-in not named by its key (``s001_final.ipynb``) than a copy: ``submitted`` says so."""
    digest = digest_of(values)
    data = {DIGEST_FIELD: digest, VALUES_FIELD: json.dumps(values)}
    if claim.verdict == "own":
        return Annotation(data)
    if claim.digest:
        data[CLAIMED_FIELD] = claim.digest
    params = {"digest": digest}
    if claim.verdict == "other":
        event = Event("variant_other", {**params, "student": claim.student, "submitted": submitted})
    elif claim.verdict == "forged":
        event = Event("variant_forged", params)
    else:
        event = Event("variant_missing", params)
    return Annotation(data, (event,))
