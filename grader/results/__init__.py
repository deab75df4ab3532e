"""Results as data (a submission, its questions, its checks), the store that keeps finished ones
across crashes, and every rendering of them (CSV tables today).

Renderings read the data model; the model holds no text formatting. May import
``grader.assignment`` and ``grader.kernel`` for what describes a result, never ``grading`` or
``integrations``. Everything here is private; the public API is ``grader``.
"""
