"""Write the example submissions of both sheets (examples/submissions/, examples/mean_field_vi/).

Each is a copy of its sheet with some function bodies (and perhaps the import cell) replaced:
three correct ones in different styles and several with seeded bugs, used to exercise the
grader. The markdown, signatures and docstrings come from the assignment's source notebook, so
they never drift from what students get; a body not given here is the copy's (the solution's for
the first sheet; the mean-field examples start from the student copy and give every body, in
tools/mean_field_examples.py). Cell ids are the source's, so regenerating gives byte-identical
files.

Usage::

    python tools/make_examples.py
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import mean_field_examples
import nbformat

from grader.assignment._source import ANSWER_PLACEHOLDER, STUB, split_source

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT_DIR = ROOT / "assignments" / "variational_inference"
SUBMISSION_DIR = ROOT / "examples" / "submissions"
MEAN_FIELD_DIR = ROOT / "assignments" / "mean_field_vi"
MEAN_FIELD_EXAMPLES = ROOT / "examples" / "mean_field_vi"
DEFAULT_IMPORTS = "import math\nimport numpy as np"
STUB_BODY = "\n".join(STUB)
_REGION = re.compile(r"\n(?P<indent>[ \t]*)# BEGIN SOLUTION\n.*?# END SOLUTION(?=\n|$)", re.S)


def _src(text: str) -> str:
    """Dedent a body snippet and drop surrounding blank lines."""
    return textwrap.dedent(text).strip("\n")


# Alice: correct, vectorised numpy with np.where / masks.
ALICE_IMPORTS = "import math\nimport numpy as np\nfrom functools import reduce"
ALICE = {
    "entropy": _src("""
        # replace zeros by 1 inside the log so that 0 * log(1) = 0
        log_p = np.log(np.where(p > 0, p, 1.0))
        return -np.sum(p * log_p)
    """),
    "cross_entropy": _src("""
        if np.any((p > 0) & (q == 0)):
            return np.inf
        log_q = np.log(np.where(p > 0, q, 1.0))
        return -np.sum(p * log_q)
    """),
    "kl_divergence": _src("""
        mask = p > 0
        if np.any(mask & (q == 0)):
            return np.inf
        ratio = np.divide(p, q, out=np.ones_like(p), where=mask)
        return np.sum(p * np.log(ratio))
    """),
    "kl_gaussian": _src("""
        var1, var2 = sigma1**2, sigma2**2
        return np.log(sigma2 / sigma1) + (var1 + (mu1 - mu2) ** 2) / (2 * var2) - 0.5
    """),
    "kl_gaussian_same_mean": _src("""
        ratio = sigma1 / sigma2
        return 0.5 * ratio**2 - np.log(ratio) - 0.5
    """),
    "kl_gaussian_same_variance": _src("""
        return 0.5 * ((mu1 - mu2) / sigma) ** 2
    """),
    "optimal_factor": _src("""
        # bring axis j to the front, flatten the rest, sum it out
        n_j = p_joint.shape[j]
        return np.moveaxis(p_joint, j, 0).reshape(n_j, -1).sum(axis=1)
    """),
    "kl_to_factorized": _src("""
        q = reduce(np.multiply.outer, factors)
        mask = p_joint > 0
        if np.any(mask & (q == 0)):
            return np.inf
        ratio = np.divide(p_joint, q, out=np.ones_like(p_joint), where=mask)
        return np.sum(p_joint * np.log(ratio))
    """),
}

# Bob: correct, plain Python loops and the math module, lists for vectors.
BOB_IMPORTS = "import itertools\nimport math\nimport numpy as np"
BOB = {
    "entropy": _src("""
        h = 0.0
        for p_i in p:
            if p_i > 0:
                h -= p_i * math.log(p_i)
        return float(h)
    """),
    "cross_entropy": _src("""
        h = 0.0
        for p_i, q_i in zip(p, q):
            if p_i == 0:
                continue
            if q_i == 0:
                return math.inf
            h -= p_i * math.log(q_i)
        return float(h)
    """),
    "kl_divergence": _src("""
        kl = 0.0
        for p_i, q_i in zip(p, q):
            if p_i == 0:
                continue
            if q_i == 0:
                return math.inf
            kl += p_i * math.log(p_i / q_i)
        return float(kl)
    """),
    "kl_gaussian": _src("""
        log_term = math.log(sigma2) - math.log(sigma1)
        quad_term = (sigma1 * sigma1 + (mu1 - mu2) * (mu1 - mu2)) / (2 * sigma2 * sigma2)
        return log_term + quad_term - 0.5
    """),
    "kl_gaussian_same_mean": _src("""
        return (sigma1 * sigma1) / (2 * sigma2 * sigma2) - math.log(sigma1 / sigma2) - 0.5
    """),
    "kl_gaussian_same_variance": _src("""
        d = mu1 - mu2
        return d * d / (2 * sigma * sigma)
    """),
    "optimal_factor": _src("""
        marginal = [0.0] * p_joint.shape[j]
        for idx in np.ndindex(p_joint.shape):
            marginal[idx[j]] += float(p_joint[idx])
        return marginal
    """),
    "kl_to_factorized": _src("""
        ranges = [range(n) for n in p_joint.shape]
        kl = 0.0
        for idx in itertools.product(*ranges):
            p_z = float(p_joint[idx])
            if p_z == 0:
                continue
            q_z = 1.0
            for i, z_i in enumerate(idx):
                q_z *= float(factors[i][z_i])
            if q_z == 0:
                return math.inf
            kl += p_z * math.log(p_z / q_z)
        return kl
    """),
}

# Carol: correct, scipy helpers and einsum.
CAROL_IMPORTS = "import numpy as np\nfrom scipy import special, stats"
CAROL = {
    "entropy": _src("""
        return stats.entropy(p)
    """),
    "cross_entropy": _src("""
        # xlogy(0, y) = 0, xlogy(x, 0) = -inf for x > 0
        return -np.sum(special.xlogy(p, q))
    """),
    "kl_divergence": _src("""
        return np.sum(special.rel_entr(p, q))
    """),
    "kl_gaussian": _src("""
        return (
            np.log(sigma2 / sigma1)
            + (np.square(sigma1) + np.square(mu1 - mu2)) / (2 * np.square(sigma2))
            - 0.5
        )
    """),
    "kl_gaussian_same_mean": _src("""
        return kl_gaussian(0.0, sigma1, 0.0, sigma2)
    """),
    "kl_gaussian_same_variance": _src("""
        return np.square(mu1 - mu2) / (2 * np.square(sigma))
    """),
    "optimal_factor": _src("""
        # einsum with sublists: keep only axis j, sum over all others
        return np.einsum(p_joint, list(range(p_joint.ndim)), [j])
    """),
    "kl_to_factorized": _src("""
        operands = []
        for axis, f in enumerate(factors):
            operands += [f, [axis]]
        q = np.einsum(*operands, list(range(len(factors))))
        return np.sum(special.rel_entr(p_joint, q))
    """),
}

# Dave: seeded bug in 1a only -- log base 2 everywhere in 1a.
DAVE = {
    "entropy": _src("""
        p = np.asarray(p, dtype=np.float64)
        nz = p > 0
        return float(-np.sum(p[nz] * np.log2(p[nz])))
    """),
    "cross_entropy": _src("""
        p = np.asarray(p, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        nz = p > 0
        if np.any(q[nz] == 0):
            return math.inf
        return float(-np.sum(p[nz] * np.log2(q[nz])))
    """),
    "kl_divergence": _src("""
        p = np.asarray(p, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        nz = p > 0
        if np.any(q[nz] == 0):
            return math.inf
        return float(np.sum(p[nz] * np.log2(p[nz] / q[nz])))
    """),
}

# Erin: seeded bug in 1b only -- treats sigma as the variance.
ERIN = {
    "kl_gaussian": _src("""
        # KL = 1/2 log(var2/var1) + (var1 + (mu1-mu2)^2) / (2 var2) - 1/2
        return 0.5 * math.log(sigma2 / sigma1) + (sigma1 + (mu1 - mu2) ** 2) / (2 * sigma2) - 0.5
    """),
    "kl_gaussian_same_mean": _src("""
        return sigma1 / (2 * sigma2) - 0.5 * math.log(sigma1 / sigma2) - 0.5
    """),
    "kl_gaussian_same_variance": _src("""
        return (mu1 - mu2) ** 2 / (2 * sigma)
    """),
}

# Frank: seeded bug in 1c only -- optimal_factor sums over axis j itself.
FRANK = {
    "optimal_factor": _src("""
        # marginalise over Z_j
        return np.sum(p_joint, axis=j)
    """),
}

# Grace: bug in 1a only -- naive 0 * log(0) gives nan for zero-probability outcomes.
GRACE = {
    "entropy": _src("""
        return -np.sum(p * np.log(p))
    """),
    "cross_entropy": _src("""
        return -np.sum(p * np.log(q))
    """),
    "kl_divergence": _src("""
        return np.sum(p * np.log(p / q))
    """),
}

# Heidi: SyntaxError (missing parenthesis) in the kl_gaussian cell only.
HEIDI = {
    "kl_gaussian": _src("""
        return (
            math.log(sigma2 / sigma1
            + (sigma1**2 + (mu1 - mu2) ** 2) / (2.0 * sigma2**2)
            - 0.5
        )
    """),
}

# Ivan: 1a done, 1b and 1c untouched.
IVAN = {
    name: STUB_BODY
    for name in (
        "kl_gaussian",
        "kl_gaussian_same_mean",
        "kl_gaussian_same_variance",
        "optimal_factor",
        "kl_to_factorized",
    )
}


# Written answers (graded by hand), by question id; a notebook not listed keeps the placeholder.
WRITTEN = {
    "alice_numpy.ipynb": {
        "1a-prose": _src("""
            KL(p||q) measures how different q is from p: the extra nats needed on average to
            encode samples of p with a code made for q. It is always >= 0, it is 0 only when
            p = q, and it is not symmetric, so it is not a distance.
            KL(p||q) = H(p, q) - H(p).
        """),
        "1c-derivation": _src("""
            Only the term $-\\sum_Z p(Z) \\ln q_j(Z_j)$ depends on $q_j$. Adding
            $\\lambda (\\sum_z q_j(z) - 1)$ and setting the derivative to zero gives
            $\\lambda q_j(z) = p(Z_j = z)$; summing over $z$ gives $\\lambda = 1$, so
            $q_j^* = p(Z_j)$, the marginal.
        """),
    },
    "bob_loops.ipynb": {
        "1a-prose": "It is the distance between two distributions; it is symmetric and >= 0.",
    },
}


def build_notebook(
    bodies: dict[str, str],
    imports: str,
    written: dict[str, str] | None = None,
    assignment_dir: Path = ASSIGNMENT_DIR,
    student: bool = False,
) -> nbformat.NotebookNode:
    """The solution (or the student copy), with ``bodies`` (by function name) in place of the
    solution regions and ``written`` (by question id) in the answer cells graded by hand."""
    source = nbformat.read(assignment_dir / "source.ipynb", as_version=4)
    regions = {c.id: c.source for c in source.cells if _REGION.search(c.source)}
    split = split_source(assignment_dir)
    answer_of = {cell_id: qid for qid, cell_id in split.answer_cells}
    nb = split.student if student else split.solution
    for cell in nb.cells:
        name = cell.id.replace("-", "_")
        if cell.id in answer_of:
            cell.source = (written or {}).get(answer_of[cell.id], ANSWER_PLACEHOLDER)
        elif cell.id == "imports":
            cell.source = imports
        elif name in bodies:
            body = textwrap.indent(_src(bodies[name]), "    ")
            cell.source = _REGION.sub(lambda m, b=body: "\n" + b, regions[cell.id])
    nbformat.validate(nb)
    return nb


NOTEBOOKS = {
    "alice_numpy.ipynb": (ALICE, ALICE_IMPORTS),
    "bob_loops.ipynb": (BOB, BOB_IMPORTS),
    "carol_scipy.ipynb": (CAROL, CAROL_IMPORTS),
    "dave_log2.ipynb": (DAVE, DEFAULT_IMPORTS),
    "erin_variance_bug.ipynb": (ERIN, DEFAULT_IMPORTS),
    "frank_wrong_axis.ipynb": (FRANK, DEFAULT_IMPORTS),
    "grace_zero_terms.ipynb": (GRACE, DEFAULT_IMPORTS),
    "heidi_syntax_error.ipynb": (HEIDI, DEFAULT_IMPORTS),
    "ivan_unfinished.ipynb": (IVAN, DEFAULT_IMPORTS),
}


def _write(path: Path, nb: nbformat.NotebookNode) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        nbformat.write(nb, fh, version=4)
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    for name, (bodies, imports) in NOTEBOOKS.items():
        _write(SUBMISSION_DIR / name, build_notebook(bodies, imports, WRITTEN.get(name)))
    for name, (bodies, imports) in mean_field_examples.NOTEBOOKS.items():
        nb = build_notebook(bodies, imports, None, MEAN_FIELD_DIR, student=True)
        _write(MEAN_FIELD_EXAMPLES / name, nb)


if __name__ == "__main__":
    main()
