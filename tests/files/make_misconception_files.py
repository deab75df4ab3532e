"""Write the misconception_*.ipynb notebooks: the solution with functions that make one known
mistake of the Variational Inference catalogue (or, in misconception_none, other mistakes).

Each replaces whole function cells of the solution with code written the way students and
public implementations write it (eps-clipped KL, sigma passed as a variance), so the feedback
must name the mistake on the right function, and on no other.
Run: python tests/files/make_misconception_files.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parents[1] / "assignments" / "variational_inference" / "solution.ipynb"
IMPORTS = "import math\nimport numpy as np\nfrom scipy import special, stats"

LOG2 = {
    "entropy": """
def entropy(p):
    return -sum(p_i * math.log(p_i, 2) for p_i in p if p_i > 0)
""",
    "cross-entropy": """
def cross_entropy(p, q):
    mask = p > 0
    if np.any(q[mask] == 0):
        return np.inf
    return -np.sum(p[mask] * np.log(q[mask])) / np.log(2)
""",
    "kl-divergence": """
def kl_divergence(p, q):
    return stats.entropy(p, q, base=2)
""",
    "kl-to-factorized": """
def kl_to_factorized(p_joint, factors):
    q = factors[0]
    for f in factors[1:]:
        q = np.multiply.outer(q, f)
    return np.sum(special.rel_entr(p_joint, q)) / math.log(2)
""",
}

SIGMA_AS_VARIANCE = {
    "kl-gaussian": """
def kl_gaussian(mu1, sigma1, mu2, sigma2):
    # KL(N(m1, v1) || N(m2, v2)) = 1/2 (log(v2/v1) + (v1 + (m1 - m2)^2) / v2 - 1)
    var1, var2 = sigma1, sigma2
    return 0.5 * (np.log(var2 / var1) + (var1 + (mu1 - mu2) ** 2) / var2 - 1)
""",
    "kl-gaussian-same-mean": """
def kl_gaussian_same_mean(sigma1, sigma2):
    return kl_gaussian(0.0, sigma1, 0.0, sigma2)
""",
    "kl-gaussian-same-variance": """
def kl_gaussian_same_variance(mu1, mu2, sigma):
    return (mu1 - mu2) ** 2 / (2 * sigma)
""",
}

EPS_CLIPPED = {
    "cross-entropy": """
def cross_entropy(p, q):
    return -np.sum(p * np.log(np.maximum(q, 1e-12)))
""",
    "kl-divergence": """
def kl_divergence(p, q):
    eps = 1e-10
    return np.sum(p * np.log((p + eps) / (q + eps)))
""",
    "kl-to-factorized": """
def kl_to_factorized(p_joint, factors):
    q = np.ones(())
    for f in factors:
        q = np.multiply.outer(q, f)
    return np.sum(special.rel_entr(p_joint, np.clip(q, 1e-15, 1.0)))
""",
}

NAN_AT_ZERO = {
    "entropy": """
def entropy(p):
    return -np.sum(p * np.log(p))
""",
    "cross-entropy": """
def cross_entropy(p, q):
    return -np.dot(p, np.log(q))
""",
    "kl-divergence": """
def kl_divergence(p, q):
    return np.sum(p * (np.log(p) - np.log(q)))
""",
    "kl-to-factorized": """
def kl_to_factorized(p_joint, factors):
    q = factors[0]
    for f in factors[1:]:
        q = np.multiply.outer(q, f)
    return np.sum(p_joint * np.log(p_joint / q))
""",
}

LOG_OF_ZERO = {
    "entropy": """
def entropy(p):
    h = 0.0
    for p_i in p:
        h -= p_i * math.log(p_i)
    return h
""",
    "cross-entropy": """
def cross_entropy(p, q):
    return -sum(p[i] * math.log(q[i]) for i in range(len(p)))
""",
    "kl-divergence": """
def kl_divergence(p, q):
    total = 0.0
    for p_i, q_i in zip(p, q):
        total += p_i * math.log(p_i / q_i)
    return total
""",
}

KL_REVERSED = {
    "kl-divergence": """
def kl_divergence(q, p):
    return np.sum(special.rel_entr(p, q))
""",
    "kl-gaussian": """
def kl_gaussian(mu1, sigma1, mu2, sigma2):
    return np.log(sigma1 / sigma2) + (sigma2**2 + (mu2 - mu1) ** 2) / (2 * sigma1**2) - 0.5
""",
    "kl-gaussian-same-mean": """
def kl_gaussian_same_mean(sigma1, sigma2):
    return sigma2**2 / (2 * sigma1**2) - np.log(sigma2 / sigma1) - 0.5
""",
    "kl-to-factorized": """
def kl_to_factorized(p_joint, factors):
    q = factors[0]
    for f in factors[1:]:
        q = np.multiply.outer(q, f)
    return np.sum(special.rel_entr(q, p_joint))
""",
}

WRONG_AXIS = {
    "optimal-factor": """
def optimal_factor(p_joint, j):
    # marginalise Z_j
    return p_joint.sum(axis=j)
""",
}

#: Mistakes the catalogue does not hold: none of them may be named.
NONE = {
    "entropy": """
def entropy(p):
    p = p[p > 0]
    return np.sum(p * np.log(p))
""",
    "cross-entropy": """
def cross_entropy(p, q):
    return -np.sum(special.xlogy(p, np.where(q > 0, q, 1.0)))
""",
    "kl-divergence": """
def kl_divergence(p, q):
    return np.sum(special.rel_entr(p, q)) / np.log(10)
""",
    "kl-gaussian": """
def kl_gaussian(mu1, sigma1, mu2, sigma2):
    return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2)
""",
    "kl-gaussian-same-mean": """
def kl_gaussian_same_mean(sigma1, sigma2):
    return sigma1**2 / (2 * sigma2**2) - 0.5
""",
    "kl-gaussian-same-variance": """
def kl_gaussian_same_variance(mu1, mu2, sigma):
    return (mu1 - mu2) ** 2 / sigma**2
""",
    "optimal-factor": """
def optimal_factor(p_joint, j):
    return np.moveaxis(p_joint, j, 0).reshape(p_joint.shape[j], -1).mean(axis=1)
""",
    "kl-to-factorized": """
def kl_to_factorized(p_joint, factors):
    q = np.ones(())
    for f in factors:
        q = np.multiply.outer(q, f)
    return -np.sum(special.xlogy(p_joint, q))
""",
}

#: Two mistakes in one function (base 2 and nan at p_i = 0): no one variant explains them.
TWO_AT_ONCE = {
    "entropy": """
def entropy(p):
    return -np.sum(p * np.log2(p))
""",
}

NOTEBOOKS = {
    "misconception_log2.ipynb": LOG2,
    "misconception_sigma_as_variance.ipynb": SIGMA_AS_VARIANCE,
    "misconception_eps_clipped.ipynb": EPS_CLIPPED,
    "misconception_nan_at_zero.ipynb": NAN_AT_ZERO,
    "misconception_log_of_zero.ipynb": LOG_OF_ZERO,
    "misconception_kl_reversed.ipynb": KL_REVERSED,
    "misconception_wrong_axis.ipynb": WRONG_AXIS,
    "misconception_none.ipynb": NONE,
    "misconception_two_at_once.ipynb": TWO_AT_ONCE,
}


def notebook(cells: dict[str, str]) -> nbformat.NotebookNode:
    """The solution with the imports cell and the named function cells replaced."""
    nb = nbformat.read(SOLUTION, as_version=4)
    sources = {"imports": IMPORTS, **cells}
    for cell in nb.cells:
        if cell.get("id") in sources:
            cell.source = sources[cell.id].strip() + "\n"
    nbformat.validate(nb)
    return nb


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        with (HERE / name).open("w", encoding="utf-8", newline="\n") as fh:
            nbformat.write(notebook(cells), fh, version=4)
        print(f"wrote tests/files/{name}")


if __name__ == "__main__":
    main()
