"""Turning notebooks into results: comparisons with the oracle, one notebook, a batch and its
worker processes, and the students' self-check.

Uses ``kernel``, ``assignment`` and ``results``; only the CLI and ``integrations`` import it.
Everything here is private; the public API is ``grader``.
"""
