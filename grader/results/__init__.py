"""Results as data, and the one owner of the output folder.

Owns: the typed model (a submission, its questions and checks; statuses, events and reasons as
codes with fields), the batch's context (``_context``: what every output needs besides the
results), the store that keeps finished results across crashes, marks given by hand and the
roster as people entered them, and :class:`~grader.results._folder.OutputFolder`, the only
code that builds a path under ``--out``. Nothing here words or draws a result: that is
``grader.report``. May import ``grader.assignment`` and ``grader.kernel``; never ``report``,
``grading`` or ``integrations``. Everything here is private; the public API is ``grader``.
"""
