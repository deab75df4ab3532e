"""Write the notebooks the feedback tests grade: what reads badly, or could act, in feedback.

Each is the solution notebook with one cell changed or added (see ``make_files``), so every
question the change does not touch keeps its full marks.
Run: python tests/files/make_feedback_files.py
"""

from __future__ import annotations

import nbformat

from tests.files.make_files import HERE, added, replaced

#: Student text that must stay inert in Markdown and HTML feedback.
PAYLOAD = (
    "<script>alert('owned')</script> ![pixel](http://evil.example/pixel.png) "
    "<img src='http://evil.example/img.png'>"
)

HTML_IN_ERROR = f"""
def entropy(p):
    raise ValueError({PAYLOAD!r})
"""

#: KL doubled: its first failing case is p = [1, 0], where the sheet's entropy gives -0.0.
KL_DOUBLED = """
def kl_divergence(p, q):
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    nz = p > 0
    if np.any(q[nz] <= 0):
        return math.inf
    return 2 * float(np.sum(p[nz] * np.log(p[nz] / q[nz])))
"""

ERROR_ENDS_WITH_STOP = """
def cross_entropy(p, q):
    raise ValueError("p and q must have the same length.")
"""

FILES = {
    "hostile_html_in_feedback.ipynb": lambda: _html_in_feedback(),
    "broken_negative_zero_in_hint.ipynb": lambda: replaced("kl-divergence", KL_DOUBLED),
    "broken_error_ends_with_stop.ipynb": lambda: replaced("cross-entropy", ERROR_ENDS_WITH_STOP),
    "broken_imported_function.ipynb": lambda: replaced(
        "entropy", "from scipy.stats import entropy"
    ),
    "broken_missing_function_beside_failing_cell.ipynb": lambda: _missing_beside_failing_cell(),
    "broken_error_names_install_path.ipynb": lambda: added(
        "import numpy\nraise RuntimeError('numpy is at ' + numpy.__file__)"
    ),
}


def _html_in_feedback() -> nbformat.NotebookNode:
    nb = replaced("entropy", HTML_IN_ERROR)
    nb.cells.append(nbformat.v4.new_code_cell(f"raise RuntimeError({PAYLOAD!r})\n", id="payload"))
    return nb


def _missing_beside_failing_cell() -> nbformat.NotebookNode:
    """kl_to_factorized misspelt, and an unrelated cell that raises: that cell is not to blame."""
    nb = replaced("kl-to-factorized", "def kl_to_factorised(p_joint, factors):\n    return 0.0")
    nb.cells.append(nbformat.v4.new_code_cell("results = {}\nresults['kl'] = 1 / 0\n", id="raises"))
    return nb


def main() -> None:
    for name, build in FILES.items():
        nbformat.write(build(), HERE / name)


if __name__ == "__main__":
    main()
