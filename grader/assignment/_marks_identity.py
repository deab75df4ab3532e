"""What a graded run's stored marks depend on in the spec, for ``--resume`` to compare.

A resumed batch adds to the results already stored, so it must grade with what they were graded
with; but the spec also holds what only the outputs read, and changing that must not refuse a
resume: the ``[late]`` table (the penalty is judged again from the stored submission times at
every report), the assignment's ``title`` (a heading and an export's column) and
``kernel_packages`` (a note for readers: the grader neither installs nor checks it). Everything
else in the spec, and the checks module, is covered, as the whole spec was before; the frozen
inputs are compared apart (``frozen_sha256``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from grader.assignment._spec import Assignment, read_spec

#: Top-level spec keys no stored mark depends on.
REPORT_ONLY = ("late", "title", "kernel_packages")


def marks_hash(assignment: Assignment) -> str:
    """A digest of the spec without :data:`REPORT_ONLY` (as parsed TOML, so comments and
    layout do not count either), and of the checks module."""
    spec = {k: v for k, v in read_spec(assignment.folder).items() if k not in REPORT_ONLY}
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode())
    hooks = assignment.hooks
    if hooks is not None and getattr(hooks, "__file__", None):
        digest.update(Path(hooks.__file__).read_bytes())
    return digest.hexdigest()
