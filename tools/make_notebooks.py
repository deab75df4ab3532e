"""Generate the Variational Inference (Exercise 1) notebooks.

Writes, relative to the repository root:

* ``assignments/variational_inference/student.ipynb``  - the template handed out,
* ``assignments/variational_inference/solution.ipynb`` - the model solution,
* ``examples/submissions/*.ipynb``                     - example student hand-ins
  (three correct ones and several with seeded bugs), used to exercise the grader.

All notebooks share the same markdown cells, function signatures and docstrings;
only the import cell and the function bodies differ.  Cell ids are fixed so that
regenerating gives byte-identical files.

Usage::

    python tools/make_notebooks.py
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT_DIR = ROOT / "assignments" / "variational_inference"
SUBMISSION_DIR = ROOT / "examples" / "submissions"

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
LANGUAGE_INFO = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"}

TEMPLATE_BODY = "# YOUR CODE HERE\nraise NotImplementedError()"
DEFAULT_IMPORTS = "import math\nimport numpy as np"

# --------------------------------------------------------------------------------------
# Markdown cells
# --------------------------------------------------------------------------------------

TITLE_MD = """\
# Variational Inference — Exercise 1: the Kullback-Leibler divergence

Machine Learning for Computer Vision · programming version of Exercise 1 (a)-(c)"""

INTRO_MD = r"""## How to work on this notebook

* Fill in every function below: replace the two lines
  ```python
  # YOUR CODE HERE
  raise NotImplementedError()
  ```
  with your implementation. Do **not** rename the functions or change their arguments — the
  autograder runs the whole notebook from top to bottom and then calls your functions **by their
  exact names** with its own inputs.
* Keep each function in its own cell. A cell that fails to run (e.g. a syntax error) means the
  function it defines does not exist for the grader.
* Imports are allowed (`import numpy as np`, `import math`, `from scipy import special`, …).
  Available packages: the Python standard library, `numpy`, `scipy` and `matplotlib`.
  Put imports in the first code cell or inside your functions.
* **Natural logarithm** everywhere, i.e. all quantities are measured in *nats*.
* Results are compared with a reference solution with relative tolerance $10^{-6}$ (absolute
  $10^{-9}$). An infinite answer must be returned as `math.inf` / `np.inf` (positive infinity);
  `nan` is never accepted as a correct answer.
* Scalars may be returned as a Python `float` or a NumPy scalar; vectors as a Python list or a
  1-D NumPy array.
* Feel free to add cells of your own to test your functions (keep them quick)."""

Q1A_MD = r"""## Question 1a — Entropy, cross-entropy and KL divergence of discrete distributions

The Kullback-Leibler divergence $\mathrm{KL}(p\,\|\,q)$ quantifies how badly a distribution $q$
stands in for a "true" distribution $p$: it is the expected number of additional nats needed to
encode outcomes drawn from $p$ when the code was designed for $q$. It is never negative, it is $0$
exactly when $p$ and $q$ coincide, and in general
$\mathrm{KL}(p\,\|\,q) \neq \mathrm{KL}(q\,\|\,p)$, so it is not a distance in the metric sense.
It splits into a cross-entropy and an entropy term:

$$\mathrm{KL}(p\,\|\,q) \;=\; \underbrace{-\sum_i p_i \log q_i}_{H(p,\,q)}
\;-\; \underbrace{\Bigl(-\sum_i p_i \log p_i\Bigr)}_{H(p)} .$$

Implement these three quantities for two distributions on the same $n$ outcomes:

* `entropy(p)` returns $H(p) = -\sum_{i} p_i \log p_i$,
* `cross_entropy(p, q)` returns $H(p, q) = -\sum_{i} p_i \log q_i$,
* `kl_divergence(p, q)` returns $\mathrm{KL}(p\,\|\,q) = \sum_{i} p_i \log \dfrac{p_i}{q_i}$.

**Inputs.** `p` and `q` are 1-D NumPy `float64` arrays of equal length $n$ whose entries are
non-negative and sum to $1$. Entries may be **exactly zero**.

**Zero conventions** (the limits of $x \log x$ and $x \log(x / y)$ as $x \to 0$):

* an outcome with $p_i = 0$ contributes **nothing** to any of the three sums — even if $q_i = 0$
  as well (so $0 \log 0 = 0$ and $0 \log \frac{0}{0} = 0$);
* if some outcome has $q_i = 0$ but $p_i > 0$, then $H(p, q) = +\infty$ and
  $\mathrm{KL}(p\,\|\,q) = +\infty$: return positive infinity, not `nan`.

Each function returns a single number (a scalar)."""

Q1B_MD = r"""## Question 1b — KL divergence between two univariate Gaussians

Let $p_1(x) = \mathcal{N}(x \mid \mu_1, \sigma_1^2)$ and $p_2(x) = \mathcal{N}(x \mid \mu_2,
\sigma_2^2)$ be two normal densities on $\mathbb{R}$, where
$\mathcal{N}(x \mid \mu, \sigma^2) = \frac{1}{\sqrt{2\pi\sigma^2}}
\exp\!\bigl(-\frac{(x-\mu)^2}{2\sigma^2}\bigr)$. Work out a closed-form expression for

$$\mathrm{KL}(p_1\,\|\,p_2) = \int_{-\infty}^{\infty} p_1(x)\,\log\frac{p_1(x)}{p_2(x)}\,dx$$

(hint: write the log-ratio as a quadratic in $x$ and use the first two moments of $p_1$), and then
simplify it for the two special cases

* equal means, $\mu_1 = \mu_2$ (the divergence then depends on $\sigma_1$ and $\sigma_2$ only),
* equal spreads, $\sigma_1 = \sigma_2 = \sigma$ (it then depends on $\mu_1 - \mu_2$ and $\sigma$).

Implement

* `kl_gaussian(mu1, sigma1, mu2, sigma2)` $= \mathrm{KL}\bigl(\mathcal{N}(\mu_1, \sigma_1^2)\,\|\,
  \mathcal{N}(\mu_2, \sigma_2^2)\bigr)$,
* `kl_gaussian_same_mean(sigma1, sigma2)` $= \mathrm{KL}\bigl(\mathcal{N}(\mu, \sigma_1^2)\,\|\,
  \mathcal{N}(\mu, \sigma_2^2)\bigr)$ for any common mean $\mu$,
* `kl_gaussian_same_variance(mu1, mu2, sigma)`
  $= \mathrm{KL}\bigl(\mathcal{N}(\mu_1, \sigma^2)\,\|\,\mathcal{N}(\mu_2, \sigma^2)\bigr)$.

**Inputs.** All arguments are Python `float`s. Every `sigma` is a **standard deviation** (not a
variance), strictly positive, between $10^{-3}$ and $10^{3}$; every `mu` lies in $[-100, 100]$.

**Output.** A single number (natural logarithm). Sanity checks: the result is $\ge 0$ and equals
$0$ when both Gaussians are the same."""

Q1C_MD = r"""## Question 1c — The best factor of a factorized approximation

Let $Z = (Z_1, \dots, Z_M)$ be $M$ discrete random variables with joint distribution $p(Z)$, and
approximate $p$ by a fully factorized distribution

$$q(Z) = \prod_{i=1}^{M} q_i(Z_i), \qquad \sum_{z} q_i(z) = 1 \text{ for every } i .$$

Keep every factor except $q_j$ fixed and minimise $\mathrm{KL}(p\,\|\,q)$ over $q_j$ alone. With a
Lagrange multiplier for the normalisation constraint on $q_j$, verify that the minimiser is the
**marginal distribution of $Z_j$ under $p$**:

$$q_j^{\star}(Z_j) \;=\; \sum_{Z_i,\; i \neq j} p(Z) \;=\; p(Z_j)$$

(in the continuous case the sum becomes an integral over all $Z_i$ with $i \neq j$). Notice that
the result does not depend on the other factors.

Implement

* `optimal_factor(p_joint, j)`: the optimal factor $q_j^{\star}$, i.e. $p$ summed over every axis
  except axis `j`. Return a vector (list or 1-D array) of length `p_joint.shape[j]`.
* `kl_to_factorized(p_joint, factors)`: the number
  $\mathrm{KL}\bigl(p\,\|\,\prod_i q_i\bigr) = \sum_{z} p(z) \log \dfrac{p(z)}{\prod_{i} q_i(z_i)}$,
  where $\prod_i q_i$ is the outer product of the factors (an array with the same shape as
  `p_joint`).

**Inputs.** `p_joint` is an $M$-dimensional NumPy `float64` array ($1 \le M \le 4$) with
non-negative entries summing to $1$; `p_joint[z_1, ..., z_M]` $= p(Z_1 = z_1, \dots, Z_M = z_M)$.
`j` is a Python `int`, the 0-based index of an axis ($0 \le j < M$). `factors` is a list of $M$
1-D NumPy `float64` arrays; `factors[i]` is a probability vector of length `p_joint.shape[i]`.

**Zero conventions** as in 1a: entries with $p(z) = 0$ contribute nothing (even if the product of
the factors is $0$ there too), and if the product of the factors is $0$ at some $z$ with
$p(z) > 0$, the divergence is $+\infty$.

Tip: you can check numerically that replacing any factor by `optimal_factor(p_joint, j)` never
increases `kl_to_factorized`."""

# --------------------------------------------------------------------------------------
# Function headers (signature + docstring), in notebook order, grouped by question
# --------------------------------------------------------------------------------------

HEADERS = {
    "entropy": '''\
def entropy(p):
    """Entropy H(p) of a discrete distribution, in nats.

    Args:
        p: 1-D numpy float64 array, non-negative, summing to 1; may contain zeros.

    Returns:
        float: -sum_i p_i * log(p_i), where entries with p_i == 0 contribute 0.
    """''',
    "cross_entropy": '''\
def cross_entropy(p, q):
    """Cross-entropy H(p, q) of two discrete distributions, in nats.

    Args:
        p: 1-D numpy float64 array, non-negative, summing to 1; may contain zeros.
        q: 1-D numpy float64 array of the same length, non-negative, summing to 1;
            may contain zeros.

    Returns:
        float: -sum_i p_i * log(q_i). Entries with p_i == 0 contribute 0 (even if
        q_i == 0); the result is +inf if q_i == 0 for some i with p_i > 0.
    """''',
    "kl_divergence": '''\
def kl_divergence(p, q):
    """Kullback-Leibler divergence KL(p || q) of two discrete distributions, in nats.

    Args:
        p: 1-D numpy float64 array, non-negative, summing to 1; may contain zeros.
        q: 1-D numpy float64 array of the same length, non-negative, summing to 1;
            may contain zeros.

    Returns:
        float: sum_i p_i * log(p_i / q_i). Entries with p_i == 0 contribute 0 (even
        if q_i == 0); the result is +inf if q_i == 0 for some i with p_i > 0.
    """''',
    "kl_gaussian": '''\
def kl_gaussian(mu1, sigma1, mu2, sigma2):
    """KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)) of two univariate Gaussians, in nats.

    Args:
        mu1: float, mean of the first Gaussian.
        sigma1: float > 0, standard deviation (not variance) of the first Gaussian.
        mu2: float, mean of the second Gaussian.
        sigma2: float > 0, standard deviation (not variance) of the second Gaussian.

    Returns:
        float: the KL divergence of the first Gaussian from the second.
    """''',
    "kl_gaussian_same_mean": '''\
def kl_gaussian_same_mean(sigma1, sigma2):
    """KL(N(mu, sigma1^2) || N(mu, sigma2^2)) of two Gaussians with a common mean, in nats.

    Args:
        sigma1: float > 0, standard deviation of the first Gaussian.
        sigma2: float > 0, standard deviation of the second Gaussian.

    Returns:
        float: the KL divergence (it does not depend on the common mean mu).
    """''',
    "kl_gaussian_same_variance": '''\
def kl_gaussian_same_variance(mu1, mu2, sigma):
    """KL(N(mu1, sigma^2) || N(mu2, sigma^2)) of two Gaussians with equal spread, in nats.

    Args:
        mu1: float, mean of the first Gaussian.
        mu2: float, mean of the second Gaussian.
        sigma: float > 0, the common standard deviation (not variance).

    Returns:
        float: the KL divergence.
    """''',
    "optimal_factor": '''\
def optimal_factor(p_joint, j):
    """Optimal factor q_j minimising KL(p || prod_i q_i) with all other factors fixed.

    Args:
        p_joint: M-dimensional numpy float64 array (1 <= M <= 4), the joint pmf
            p(Z_1, ..., Z_M); non-negative, sums to 1.
        j: int, 0-based index of the axis (variable Z_j) whose factor is optimised.

    Returns:
        1-D array or list of length p_joint.shape[j]: the optimal q_j.
    """''',
    "kl_to_factorized": '''\
def kl_to_factorized(p_joint, factors):
    """KL(p || q) between a joint pmf p and a factorized q = prod_i q_i, in nats.

    Args:
        p_joint: M-dimensional numpy float64 array (1 <= M <= 4), the joint pmf;
            non-negative, sums to 1.
        factors: list of M 1-D numpy float64 arrays; factors[i] is a pmf of length
            p_joint.shape[i].

    Returns:
        float: sum over all z of p(z) * log(p(z) / prod_i factors[i][z_i]). Entries
        with p(z) == 0 contribute 0; the result is +inf if the product is 0 at some
        z with p(z) > 0.
    """''',
}

QUESTIONS = [
    ("q1a", Q1A_MD, ["entropy", "cross_entropy", "kl_divergence"]),
    ("q1b", Q1B_MD, ["kl_gaussian", "kl_gaussian_same_mean", "kl_gaussian_same_variance"]),
    ("q1c", Q1C_MD, ["optimal_factor", "kl_to_factorized"]),
]


def _src(text: str) -> str:
    """Dedent a body snippet and drop surrounding blank lines."""
    return textwrap.dedent(text).strip("\n")


# --------------------------------------------------------------------------------------
# Function bodies
# --------------------------------------------------------------------------------------

# Model solution: vectorised numpy, explicit masks, no warnings, inf where required.
SOLUTION = {
    "entropy": _src("""
        p = np.asarray(p, dtype=np.float64)
        nz = p > 0  # 0 * log 0 = 0: drop zero-probability outcomes
        return float(-np.sum(p[nz] * np.log(p[nz])))
    """),
    "cross_entropy": _src("""
        p = np.asarray(p, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        nz = p > 0
        if np.any(q[nz] <= 0):
            return math.inf
        return float(-np.sum(p[nz] * np.log(q[nz])))
    """),
    "kl_divergence": _src("""
        p = np.asarray(p, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        nz = p > 0
        if np.any(q[nz] <= 0):
            return math.inf
        return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))
    """),
    "kl_gaussian": _src("""
        return (
            math.log(sigma2 / sigma1)
            + (sigma1**2 + (mu1 - mu2) ** 2) / (2.0 * sigma2**2)
            - 0.5
        )
    """),
    "kl_gaussian_same_mean": _src("""
        return sigma1**2 / (2.0 * sigma2**2) - math.log(sigma1 / sigma2) - 0.5
    """),
    "kl_gaussian_same_variance": _src("""
        return (mu1 - mu2) ** 2 / (2.0 * sigma**2)
    """),
    "optimal_factor": _src("""
        p_joint = np.asarray(p_joint, dtype=np.float64)
        other_axes = tuple(i for i in range(p_joint.ndim) if i != j)
        return p_joint.sum(axis=other_axes)
    """),
    "kl_to_factorized": _src("""
        p_joint = np.asarray(p_joint, dtype=np.float64)
        m = p_joint.ndim
        q = np.ones(p_joint.shape)
        for i, f in enumerate(factors):
            shape = [1] * m
            shape[i] = -1  # broadcast factor i along axis i
            q = q * np.asarray(f, dtype=np.float64).reshape(shape)
        nz = p_joint > 0
        if np.any(q[nz] <= 0):
            return math.inf
        return float(np.sum(p_joint[nz] * np.log(p_joint[nz] / q[nz])))
    """),
}

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
DAVE = dict(SOLUTION)
DAVE.update(
    {
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
)

# Erin: seeded bug in 1b only -- treats sigma as the variance.
ERIN = dict(SOLUTION)
ERIN.update(
    {
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
)

# Frank: seeded bug in 1c only -- optimal_factor sums over axis j itself.
FRANK = dict(SOLUTION)
FRANK.update(
    {
        "optimal_factor": _src("""
        # marginalise over Z_j
        return np.sum(p_joint, axis=j)
    """),
    }
)

# Grace: bug in 1a only -- naive 0 * log(0) gives nan for zero-probability outcomes.
GRACE = dict(SOLUTION)
GRACE.update(
    {
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
)

# Heidi: SyntaxError (missing parenthesis) in the kl_gaussian cell only.
HEIDI = dict(SOLUTION)
HEIDI.update(
    {
        "kl_gaussian": _src("""
        return (
            math.log(sigma2 / sigma1
            + (sigma1**2 + (mu1 - mu2) ** 2) / (2.0 * sigma2**2)
            - 0.5
        )
    """),
    }
)

# Ivan: 1a done, 1b and 1c untouched.
IVAN = {name: TEMPLATE_BODY for name in HEADERS}
IVAN.update({name: SOLUTION[name] for name in ("entropy", "cross_entropy", "kl_divergence")})


# --------------------------------------------------------------------------------------
# Notebook assembly
# --------------------------------------------------------------------------------------


def function_cell_source(name: str, body: str) -> str:
    """Signature + docstring of ``name`` followed by ``body`` indented into the function."""
    return HEADERS[name] + "\n" + textwrap.indent(body, "    ") + "\n"


def build_notebook(bodies: dict[str, str], imports: str = DEFAULT_IMPORTS) -> nbformat.NotebookNode:
    """Assemble the exercise notebook with the given function bodies."""
    cells = [
        new_markdown_cell(TITLE_MD, id="title"),
        new_markdown_cell(INTRO_MD, id="intro"),
        new_code_cell(imports, id="imports"),
    ]
    for qid, markdown, names in QUESTIONS:
        cells.append(new_markdown_cell(markdown, id=qid))
        for name in names:
            source = function_cell_source(name, bodies[name]).rstrip("\n")
            cells.append(new_code_cell(source, id=name.replace("_", "-")))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    nbformat.validate(nb)
    return nb


NOTEBOOKS = {
    ASSIGNMENT_DIR / "student.ipynb": ({n: TEMPLATE_BODY for n in HEADERS}, DEFAULT_IMPORTS),
    ASSIGNMENT_DIR / "solution.ipynb": (SOLUTION, DEFAULT_IMPORTS),
    SUBMISSION_DIR / "alice_numpy.ipynb": (ALICE, ALICE_IMPORTS),
    SUBMISSION_DIR / "bob_loops.ipynb": (BOB, BOB_IMPORTS),
    SUBMISSION_DIR / "carol_scipy.ipynb": (CAROL, CAROL_IMPORTS),
    SUBMISSION_DIR / "dave_log2.ipynb": (DAVE, DEFAULT_IMPORTS),
    SUBMISSION_DIR / "erin_variance_bug.ipynb": (ERIN, DEFAULT_IMPORTS),
    SUBMISSION_DIR / "frank_wrong_axis.ipynb": (FRANK, DEFAULT_IMPORTS),
    SUBMISSION_DIR / "grace_zero_terms.ipynb": (GRACE, DEFAULT_IMPORTS),
    SUBMISSION_DIR / "heidi_syntax_error.ipynb": (HEIDI, DEFAULT_IMPORTS),
    SUBMISSION_DIR / "ivan_unfinished.ipynb": (IVAN, DEFAULT_IMPORTS),
}


def main() -> None:
    for path, (bodies, imports) in NOTEBOOKS.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = build_notebook(bodies, imports)
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            nbformat.write(nb, fh, version=4)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
