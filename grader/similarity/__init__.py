"""Similar submissions across a class: fingerprints of the code and prose each student wrote
(the assignment's template subtracted), an inverted index over them, and the flagged pairs and
clusters as CSV and HTML for a human to look at. It never changes a grade.

Reads finished results through ``grader.results`` (the cells the store keeps) and nothing else
of the grader; it never imports ``grading``, so it works from ``OUT`` alone.
"""
