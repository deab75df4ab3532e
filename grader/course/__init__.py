"""The course around the grading: what an LMS download holds, who each notebook is from, and
the class roster it is matched against.

An instructor downloads a zip (or a folder) from Moodle, Canvas, Gradescope or GitHub Classroom
in which every student handed in ``sheet1.ipynb``; the grader needs one notebook per student,
keyed by the student. This package owns that step and nothing after it:

- ``_archive``: reading a download (a folder, or a zip read in place with caps) without
  following a link or leaving it;
- ``_layouts``: which LMS made it, and each notebook's student, ids and submission time as the
  layout gives them (``_gradescope`` reads Gradescope's metadata);
- ``_roster`` and ``_names``: rosters (a plain CSV or an LMS's own export) and name matching;
- ``_intake``: the keyed submissions, roster students without one, and notebooks set aside.

It may import ``results``, ``assignment`` and ``kernel`` (and the base modules), never
``grading`` or ``report``: the CLI resolves a download here and hands the batch a list of files
named by student key, so the batch grades them as it grades any folder.
"""
