"""Every rendering of results: the terminal's text, the Markdown and HTML letters, the class
report, the CSVs, the LMS and Gradescope exports, JUnit and the CI summary.

Owns the grader's words (``_wording``, ``_render_text``): each reason and event is worded in one
place per format, from the typed data of ``grader.results``. A writer is a function of the
output folder, the results and the batch's context, and writes only through the folder's
paths. May import ``grader.results`` (and what it may: ``assignment``, ``kernel``); never
``grading`` or ``integrations``. Everything here is private; the public API is ``grader``.
"""
