"""Write the tamper_*.ipynb notebooks: attempts to fool the grader, each aimed at one question.

Each is the solution notebook with one function replaced by a cheat (plus, for some, a cell of
mischief), so the honest questions must keep their marks.
Run: python tests/files/make_tamper_files.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parents[1] / "assignments" / "variational_inference" / "solution.ipynb"

FLOAT_SUBCLASS = '''
class Always(float):
    """Equal to everything, close to everything, never negative."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __abs__(self):
        return Always(0.0)

    def __float__(self):
        return 0.0

    __hash__ = float.__hash__


def kl_divergence(p, q):
    return Always(0.0)
'''

MONKEYPATCH = """
import builtins
import math

import numpy as np
import numpy.testing

always = lambda *args, **kwargs: True  # noqa: E731
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.allclose = always
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_almost_equal = lambda *args, **kwargs: None
math.isclose = always
builtins.abs = lambda x: 0.0
import IPython.core.ultratb
IPython.core.ultratb.VerboseTB.structured_traceback = lambda *a, **k: ["all tests passed"]


def kl_gaussian(mu1, sigma1, mu2, sigma2):
    return 0.0
"""

FIND_ORACLE = """
import os
import sys
from pathlib import Path


def _find_oracle():
    try:
        import reference.variational_inference as oracle
        return oracle
    except Exception:
        pass
    roots = [Path(p) for p in sys.path if p] + [Path.cwd(), *Path.cwd().parents]
    try:
        import grader
        roots += list(Path(grader.__file__).resolve().parents)
    except Exception:
        pass
    roots += [Path("/work"), Path("/home"), Path("/root"), Path("/srv"), Path("/opt")]
    for root in roots:
        for depth, (folder, dirs, files) in enumerate(os.walk(root)):
            if depth > 3000:
                break
            if "variational_inference.py" in files:
                namespace = {}
                source = Path(folder, "variational_inference.py").read_text()
                exec(compile(source, "oracle", "exec"), namespace)
                if "optimal_factor" in namespace:
                    return type("Oracle", (), {k: staticmethod(v) for k, v in namespace.items()
                                               if callable(v)})
    return None


def optimal_factor(p_joint, j):
    return _find_oracle().optimal_factor(p_joint, j)


def kl_to_factorized(p_joint, factors):
    return _find_oracle().kl_to_factorized(p_joint, factors)
"""

FAKE_SCORES = """
import json
from pathlib import Path

from IPython.display import HTML, display

print("Score: 10/10")
print("All tests passed!")
display(HTML("<b>Grade: 10/10</b>"))
fake = "submission,question,points,max_points,status,feedback\\n" + "\\n".join(
    f"tamper_fake_scores,{q},{p},{p},ok,great" for q, p in (("1a", 3), ("1b", 4), ("1c", 3))
)
for folder in (Path.cwd(), Path.cwd().parent):
    for name in ("scores.csv", "gradebook.csv"):
        try:
            (folder / name).write_text(fake)
        except OSError:
            pass
__grader_out__ = json.dumps([{"value": 1.0}] * 1000)


def entropy(p):
    print('{"value": 0.6931471805599453}')
    return None
"""

#: file name -> (cell id replaced, new source, question attacked)
CASES = {
    "tamper_float_subclass_eq.ipynb": ("kl-divergence", FLOAT_SUBCLASS),
    "tamper_monkeypatch_comparisons.ipynb": ("kl-gaussian", MONKEYPATCH),
    "tamper_find_oracle.ipynb": ("optimal-factor", FIND_ORACLE),
    "tamper_fake_scores.ipynb": ("entropy", FAKE_SCORES),
}


def main() -> None:
    for name, (cell_id, source) in CASES.items():
        nb = nbformat.read(SOLUTION, as_version=4)
        for cell in nb.cells:
            if cell.get("id") == cell_id:
                cell.source = source.strip() + "\n"
        if name == "tamper_find_oracle.ipynb":
            nb.cells = [c for c in nb.cells if c.get("id") != "kl-to-factorized"]
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    main()
