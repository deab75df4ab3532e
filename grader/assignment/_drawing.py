"""Hypothesis run as the grader's own drawing machine, not as a test runner in the author's
folder.

Hypothesis keeps files under ``.hypothesis/`` in the current folder (its example database, and
since 6.131 a cache of the constants of local modules), which would litter an instructor's
course folder on every ``grader new``, ``freeze`` or ``validate``. The grader's draws are
reproducible by their seed and frozen into the assignment; nothing of Hypothesis's own storage
is wanted, so each draw gets a scratch home that is removed after it.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator

#: The module global of ``hypothesis.configuration`` holding the home set by
#: ``set_hypothesis_home_dir`` (None: ``$HYPOTHESIS_STORAGE_DIRECTORY`` or ``./.hypothesis``).
_HOME = "__hypothesis_home_directory"


@contextlib.contextmanager
def scratch_home() -> Iterator[None]:
    """Hypothesis's storage in a temporary folder while the block runs; the home before it
    (the caller's own, in a test suite that uses Hypothesis too) is put back after."""
    from hypothesis import configuration

    before = getattr(configuration, _HOME, None)
    with tempfile.TemporaryDirectory(prefix="grader-hypothesis-") as home:
        configuration.set_hypothesis_home_dir(home)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(before)
