"""Write the similar_* files: submissions copied from an example submission and disguised, for
tests/test_similarity.py.

- ``similar_disguised_copy_of_alice``: alice_numpy with every local variable renamed, every
  comment changed, new comments and blank lines, the function cells in reverse order, and a
  string holding ``</pre><script>`` (it must stay inert text in the HTML report);
- ``similar_one_function_of_bob``: the assignment's solution (written apart from the example
  submissions) with bob_loops' long ``kl_to_factorized`` in place of its own, variables
  renamed; every other function is the solution's.

Run: python tests/files/make_similar_files.py (byte-identical on every run).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples" / "submissions"
SOLUTION = HERE.parents[1] / "assignments" / "variational_inference" / "solution.ipynb"
_COMMENT = re.compile(r"#[^\n]*")
_SCRIPT = '    label = "</pre><script>alert(1)</script>"  # shown, never run\n'


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)


def _function_cells(nb: nbformat.NotebookNode) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "def " in c.source]


def disguise(source: str, prefix: str) -> str:
    """Every name a function assigns renamed, comments reworded, blank lines added (the
    docstring, which the template gave, stays as it was)."""
    doc, end, source = source.partition('    """\n')
    tree = ast.parse(doc + end + source)
    stored = sorted(
        {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    )
    for number, name in enumerate(stored):
        source = re.sub(rf"(?<![.\w]){re.escape(name)}(?!\w)", f"{prefix}{number}_val", source)
    source = _COMMENT.sub("# (my own working)", source)
    return doc + end + source.replace("\n    return", "\n\n    # result\n    return")


def disguised_copy_of_alice() -> nbformat.NotebookNode:
    nb = _read("alice_numpy")
    cells = _function_cells(nb)
    sources = [disguise(nb.cells[i].source, "tmp") for i in cells]
    for index, source in zip(cells, reversed(sources)):
        nb.cells[index].source = source
    first = nb.cells[cells[-1]]
    first.source = first.source.replace('    """\n', '    """\n' + _SCRIPT, 1)
    return nb


def one_function_of_bob() -> nbformat.NotebookNode:
    nb = nbformat.read(SOLUTION, as_version=4)
    bob = _read("bob_loops")
    theirs = next(c for c in bob.cells if c.source.startswith("def kl_to_factorized"))
    mine = next(c for c in nb.cells if c.source.startswith("def kl_to_factorized"))
    mine.source = disguise(theirs.source, "x")
    imports = next(c for c in nb.cells if c.cell_type == "code")
    imports.source = "import itertools\n" + imports.source
    return nb


FILES = {
    "similar_disguised_copy_of_alice": disguised_copy_of_alice,
    "similar_one_function_of_bob": one_function_of_bob,
}


def main() -> None:
    for name, make in FILES.items():
        nbformat.write(make(), HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
