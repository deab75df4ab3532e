"""``grader report OUT``: every output written again from ``OUT/results.sqlite``, no grading.

The store keeps what the writers need besides the results (the assignment's folder, the
versions that graded the batch, the submissions in their order), so the files come out
byte-identical to those ``grader grade`` wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.assignment._spec import load_assignment
from grader.errors import OutputError
from grader.results._model import SubmissionResult
from grader.results._outputs import OutputContext, context_for, write_outputs
from grader.results._store import Store

STORE_NAME = "results.sqlite"


def stored_batch(out: Path) -> tuple[list[SubmissionResult], OutputContext]:
    """The results stored in ``out`` and the context to write them with."""
    store = Store.existing(out / STORE_NAME)
    try:
        info = store.info()
        if "assignment_folder" not in info:
            raise OutputError(
                f"{store.path} was written by an earlier grader that did not keep what the "
                "report needs; grade into this folder again"
            )
        stored = list(store.results(json.loads(info["submissions"])))
    finally:
        store.close()
    assignment = load_assignment(Path(info["assignment_folder"]))
    hashes = {result.submission: sha for result, sha in stored}
    context = context_for(assignment, json.loads(info["versions"]), hashes)
    return [result for result, _ in stored], context


def rebuild(out: Path) -> list[SubmissionResult]:
    """Write every output of ``out`` again from its store; the results written."""
    results, context = stored_batch(out)
    write_outputs(out, results, context)
    return results
