"""A labelled class for ``grader similarity``: many students who implement the Variational
Inference sheet's short formulas on their own, as students really write them, and disguised
copies of several kinds, each pair labelled.

Each independent student draws a style once (NumPy masks, ``np.where``, loops over ``range`` or
``zip``, comprehensions or SciPy; ``math`` or ``np``; how they guard ``q == 0``; whether they
convert inputs; the textbook order of the Gaussian KL or another; whether they reuse their own
functions) and writes every function in it, with a few checks of their own and two written
answers built from the phrases everyone uses. Two honest students who drew the same style write
the same normalised code: that is the point of the set.

Copies take one student's notebook and disguise it: ``renamed`` (every local name),
``reformatted`` (spacing, line breaks, comments, blank lines), ``reordered`` (functions in
another order, two independent statements swapped), ``merged`` (all functions in one cell),
``split`` (imports and checks spread over more cells), ``one_function`` (a single long
function, a loop over every index of the joint, in an otherwise independent notebook) and a
``chain`` of three (a copy of a copy). ``prose`` copies a written answer, reworded lightly.

    make_class(students=40, seed=1) -> (notebooks, copies)

``notebooks`` maps a name to its cells; ``copies`` is the set of pairs (sorted names) that are
copies. Every other pair is independent.
"""

# ruff: noqa: E501  (the students' code is data: each snippet kept on one line, as written)
from __future__ import annotations

import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDENT = ROOT / "assignments" / "variational_inference" / "student.ipynb"
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
Cells = list[dict[str, str]]
KINDS = ("renamed", "reformatted", "reordered", "merged", "split", "one_function", "chain", "prose")

NAMES = {
    "mask": ["nz", "mask", "pos", "idx", "nonzero", "support", "m"],
    "total": ["total", "s", "result", "acc", "res", "kl", "h", "out"],
    "i": ["i", "k", "n", "idx", "j2"],
}


def template() -> Cells:
    nb = json.loads(STUDENT.read_text(encoding="utf-8"))
    return [
        {"type": c["cell_type"], "source": "".join(c["source"])}
        for c in nb["cells"]
        if c["cell_type"] in ("code", "markdown")
    ]


def draw_style(rng: random.Random) -> dict[str, object]:
    return {
        "approach": rng.choice(["mask", "mask", "where", "range", "zip", "comp", "scipy"]),
        "log": rng.choice(["np", "np", "math"]),
        "inf": rng.choice(["math.inf", "np.inf", "float('inf')"]),
        "convert": rng.choice(["", "", "np.asarray(V)", "np.array(V, dtype=float)"]),
        "kl_reuse": rng.random() < 0.3,
        "gauss": rng.choice(["textbook", "textbook", "split_log", "variances", "half"]),
        "reuse_gauss": rng.random() < 0.4,
        "factor": rng.choice(["axes", "axes", "loop", "moveaxis", "einsum", "apply"]),
        "outer": rng.choice(["reshape", "reshape", "ix", "reduce", "einsum"]),
        "kl_from": rng.choice(["direct", "direct", "reuse"]),
        "checks": rng.randint(0, 3),
        "unpack": rng.choice(["tuple", "lines", "enumerate"]),
        "skip": rng.choice(["continue", "block"]),
        "add": rng.choice(["+=", "plus"]),
        "names": {key: rng.choice(values) for key, values in NAMES.items()},
    }


def _convert(style: dict, names: str) -> str:
    pattern = str(style["convert"])
    if not pattern:
        return ""
    return "".join(f"    {v} = {pattern.replace('V', v)}\n" for v in names.split(", "))


def _sum_body(style: dict, term: str, zero_guard: bool) -> str:
    """``sum_i p_i * term`` where ``p_i > 0``, in the student's style (term in p_i, q_i)."""
    log = "np.log" if style["log"] == "np" else "math.log"
    m, t, i = (style["names"][k] for k in ("mask", "total", "i"))  # type: ignore[index]
    term = term.replace("LOG", log)
    inf = style["inf"]
    approach = style["approach"]
    if approach in ("mask", "where", "scipy"):
        vec = term.replace("LOG", "np.log").replace("math.log", "np.log")
        vec = vec.replace("p_i", f"p[{m}]").replace("q_i", f"q[{m}]")
        guard = f"    if np.any(q[{m}] == 0):\n        return {inf}\n" if zero_guard else ""
        if approach == "where":
            return f"    {m} = p > 0\n{guard}    return np.sum(np.where({m}, {vec}, 0.0))\n"
        return f"    {m} = p > 0\n{guard}    return np.sum(p[{m}] * {vec})\n"
    guard = f"        if q_i == 0:\n            return {inf}\n" if zero_guard else ""
    if approach == "comp":
        body = (
            ""
            if not zero_guard
            else f"    if any(qq == 0 and pp > 0 for pp, qq in zip(p, q)):\n        return {inf}\n"
        )
        pairs = "p_i, q_i in zip(p, q)" if "q_i" in term else "p_i in p"
        return body + f"    return sum(p_i * {term} for {pairs} if p_i > 0)\n"
    two = "q_i" in term
    if approach == "zip":
        head = "    for p_i, q_i in zip(p, q):\n" if two else "    for p_i in p:\n"
    elif style["unpack"] == "enumerate":
        pick = f"        q_i = q[{i}]\n" if two else ""
        head = f"    for {i}, p_i in enumerate(p):\n{pick}"
    else:
        pick = f"p_i, q_i = p[{i}], q[{i}]" if two else f"p_i = p[{i}]"
        if style["unpack"] == "lines":
            pick = f"p_i = p[{i}]\n        q_i = q[{i}]" if two else f"p_i = p[{i}]"
        head = f"    for {i} in range(len(p)):\n        {pick}\n"
    add = f"{t} += p_i * {term}" if style["add"] == "+=" else f"{t} = {t} + p_i * {term}"
    if style["skip"] == "continue":
        body = f"        if p_i == 0:\n            continue\n{guard}        {add}\n"
    else:
        inner = guard.replace("\n        ", "\n            ").replace(
            "        if", "            if", 1
        )
        body = f"        if p_i > 0:\n{inner}            {add}\n"
    return f"    {t} = 0.0\n{head}{body}    return {t}\n"


def entropy(style: dict) -> str:
    if style["approach"] == "scipy":
        return "    return float(np.sum(entr(p)))\n"
    return _convert(style, "p") + _sum_body(style, "(-LOG(p_i))", False)


def cross_entropy(style: dict) -> str:
    return _convert(style, "p, q") + _sum_body(style, "(-LOG(q_i))", True)


def kl_divergence(style: dict) -> str:
    if style["kl_reuse"]:
        return "    return cross_entropy(p, q) - entropy(p)\n"
    if style["approach"] == "scipy":
        return f"    if np.any((q == 0) & (p > 0)):\n        return {style['inf']}\n    return float(np.sum(rel_entr(p, q)))\n"
    return _convert(style, "p, q") + _sum_body(style, "LOG(p_i / q_i)", True)


def kl_gaussian(style: dict) -> str:
    log = "np.log" if style["log"] == "np" else "math.log"
    return {
        "textbook": f"    return {log}(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5\n",
        "split_log": f"    return {log}(sigma2) - {log}(sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 1 / 2\n",
        "variances": f"    var1 = sigma1**2\n    var2 = sigma2**2\n    return 0.5 * {log}(var2 / var1) + (var1 + (mu1 - mu2) ** 2) / (2 * var2) - 0.5\n",
        "half": f"    return 0.5 * (sigma1**2 / sigma2**2 + (mu2 - mu1) ** 2 / sigma2**2 - 1 + 2 * {log}(sigma2 / sigma1))\n",
    }[str(style["gauss"])]


def kl_gaussian_same_mean(style: dict) -> str:
    if style["reuse_gauss"]:
        return "    return kl_gaussian(0.0, sigma1, 0.0, sigma2)\n"
    log = "np.log" if style["log"] == "np" else "math.log"
    return f"    return {log}(sigma2 / sigma1) + sigma1**2 / (2 * sigma2**2) - 0.5\n"


def kl_gaussian_same_variance(style: dict) -> str:
    if style["reuse_gauss"]:
        return "    return kl_gaussian(mu1, sigma, mu2, sigma)\n"
    return "    return (mu1 - mu2) ** 2 / (2 * sigma**2)\n"


def optimal_factor(style: dict) -> str:
    return {
        "axes": "    axes = tuple(i for i in range(p_joint.ndim) if i != j)\n    return p_joint.sum(axis=axes)\n",
        "loop": "    q = p_joint\n    for axis in reversed(range(p_joint.ndim)):\n        if axis != j:\n            q = q.sum(axis=axis)\n    return q\n",
        "moveaxis": "    moved = np.moveaxis(p_joint, j, 0)\n    return moved.reshape(moved.shape[0], -1).sum(axis=1)\n",
        "einsum": "    letters = 'abcd'[: p_joint.ndim]\n    return np.einsum(letters + '->' + letters[j], p_joint)\n",
        "apply": "    others = [a for a in range(p_joint.ndim) if a != j]\n    return np.apply_over_axes(np.sum, p_joint, others).ravel()\n",
    }[str(style["factor"])]


def kl_to_factorized(style: dict) -> str:
    inf = style["inf"]
    q = {
        "reshape": "    q = np.ones(p_joint.shape)\n    for i, f in enumerate(factors):\n        shape = [1] * p_joint.ndim\n        shape[i] = -1\n        q = q * np.reshape(f, shape)\n",
        "ix": "    q = np.ones(p_joint.shape)\n    grids = np.ix_(*factors)\n    for g in grids:\n        q = q * g\n",
        "reduce": "    q = functools.reduce(np.multiply.outer, factors)\n",
        "einsum": "    letters = 'abcd'[: len(factors)]\n    q = np.einsum(','.join(letters) + '->' + letters, *factors)\n",
        "product": LONG_PRODUCT.format(inf=inf),
    }[str(style["outer"])]
    if style["outer"] == "product":
        return q
    if style["kl_from"] == "reuse":
        return q + "    return kl_divergence(p_joint.ravel(), q.ravel())\n"
    return q + (
        f"    mask = p_joint > 0\n    if np.any(q[mask] == 0):\n        return {inf}\n"
        "    return float(np.sum(p_joint[mask] * np.log(p_joint[mask] / q[mask])))\n"
    )


#: The long way (a loop over every index of the joint): rare, and long enough to copy alone.
LONG_PRODUCT = """    if len(factors) != p_joint.ndim:
        raise ValueError("one factor per axis of the joint")
    for axis, factor in enumerate(factors):
        if len(factor) != p_joint.shape[axis]:
            raise ValueError(f"factor {{axis}} has the wrong length")
        if abs(sum(factor) - 1.0) > 1e-9:
            raise ValueError(f"factor {{axis}} does not sum to one")
    total = 0.0
    for index in itertools.product(*[range(n) for n in p_joint.shape]):
        p_z = p_joint[index]
        if p_z == 0:
            continue
        q_z = 1.0
        for axis, value in enumerate(index):
            q_z *= factors[axis][value]
        if q_z == 0:
            return {inf}
        total += p_z * math.log(p_z / q_z)
    return total
"""
FUNCTIONS = {
    "entropy": entropy,
    "cross_entropy": cross_entropy,
    "kl_divergence": kl_divergence,
    "kl_gaussian": kl_gaussian,
    "kl_gaussian_same_mean": kl_gaussian_same_mean,
    "kl_gaussian_same_variance": kl_gaussian_same_variance,
    "optimal_factor": optimal_factor,
    "kl_to_factorized": kl_to_factorized,
}
IMPORTS = "import functools\nimport itertools\nimport math\nimport numpy as np\n"
CHECKS = [
    "p = np.array([0.2, 0.3, 0.5])\nq = np.array([0.1, 0.6, 0.3])\nprint(entropy(p), cross_entropy(p, q), kl_divergence(p, q))",
    "print(kl_gaussian(0.0, 1.0, 1.0, 2.0))\nprint(kl_gaussian_same_mean(1.0, 2.0), kl_gaussian_same_variance(0.0, 1.0, 1.0))",
    "joint = np.random.rand(2, 3)\njoint /= joint.sum()\nprint(optimal_factor(joint, 0))",
    "assert abs(kl_divergence(p, p)) < 1e-12",
]
ANSWER_1A = [
    "The KL divergence measures how different q is from p.",
    "KL(p||q) is the expected extra number of nats needed to encode samples from p with a code designed for q.",
    "It is always non-negative and it is zero exactly when p and q are the same distribution.",
    "It is not symmetric, so it is not a distance in the metric sense.",
    "It equals the cross-entropy minus the entropy of p.",
    "It does not satisfy the triangle inequality either.",
    "By Gibbs' inequality it can never be negative.",
    "If q puts zero mass where p has mass, the divergence is infinite.",
]
ANSWER_1C = [
    "Only the terms with q_j depend on q_j, the rest is a constant.",
    "We add a Lagrange multiplier for the constraint that q_j sums to one.",
    "Setting the derivative to zero gives lambda q_j = p(Z_j).",
    "Summing over Z_j shows that lambda = 1, so q_j is the marginal of p.",
    "The optimal factor does not depend on the other factors at all.",
    "The objective is convex in q_j so the stationary point is a minimum.",
]


def student(number: int, base: Cells, style: dict | None = None) -> Cells:
    """An independent notebook: the template with each stub filled in the student's style."""
    rng = random.Random(number)
    style = style or draw_style(rng)
    answers = iter([_answer(rng, ANSWER_1A), _answer(rng, ANSWER_1C)])
    cells: Cells = []
    for cell in base:
        source = cell["source"]
        if cell["type"] == "code" and STUB in source:
            name = re.match(r"def (\w+)", source).group(1)  # type: ignore[union-attr]
            body = vary(FUNCTIONS[name](style), rng, "q" in source.split("\n")[0])
            source = source.replace(STUB, body.rstrip("\n"))
        elif cell["type"] == "code" and "import" in source:
            source = IMPORTS + (
                "from scipy.special import entr, rel_entr\n" if style["approach"] == "scipy" else ""
            )
        elif cell["type"] == "markdown" and "Type your answer here" in source:
            source = next(answers)
        cells.append({"type": cell["type"], "source": source})
    for check in rng.sample(CHECKS, int(style["checks"])):  # type: ignore[call-overload]
        cells.append({"type": "code", "source": check})
    if rng.random() < 0.5:
        cells.append({"type": "code", "source": own_check(rng)})
    return cells


def own_check(rng: random.Random) -> str:
    """A check only this student writes (as many do): a few statements of their own."""
    lines = ["p = np.random.dirichlet(np.ones(4))", "q = np.random.dirichlet(np.ones(4))"]
    lines.append("acc = []")
    for _ in range(rng.randint(3, 6)):
        kind = rng.random()
        if kind < 0.3:
            lines.append(f"for t in {rng.choice(['range(5)', 'p', 'np.linspace(0.1, 1, 7)'])}:")
            lines.append(f"    acc.append({_expression(rng, 2, ['t', 'p[0]'])})")
        elif kind < 0.5:
            lines.append(
                f"if {_expression(rng, 1, ['kl_divergence(p, q)'])} > {rng.randint(0, 3)}:"
            )
            lines.append(f"    print({_expression(rng, 2, ['entropy(p)', 'q.max()'])})")
        else:
            lines.append(
                f"print({_expression(rng, 3, ['kl_divergence(p, q)', 'entropy(q)', 'p.sum()'])})"
            )
    return "\n".join(lines)


def _expression(rng: random.Random, depth: int, names: list[str]) -> str:
    if depth == 0:
        return rng.choice([*names, str(rng.randint(1, 9))])
    if rng.random() < 0.35:
        call = rng.choice(["np.log", "np.exp", "np.sqrt", "abs", "np.mean", "float"])
        return f"{call}({_expression(rng, depth - 1, names)})"
    op = rng.choice(["+", "-", "*", "/"])
    return f"({_expression(rng, depth - 1, names)} {op} {_expression(rng, depth - 1, names)})"


#: Small choices each student makes function by function (applied with probability 0.4 each).
VARIATIONS = [
    (r"return (?!float)(.+)\n$", r"return float(\1)\n"),
    (r"\(mu1 - mu2\)", "(mu2 - mu1)"),
    (r"sigma1\*\*2", "sigma1 * sigma1"),
    (r"sigma2\*\*2", "sigma2 * sigma2"),
    (r" - 0\.5\n", " - 1 / 2\n"),
    (r"== 0\)", "<= 0)"),
    (r" > 0\b", " != 0"),
    (r"(np|math)\.log\(([^()]+?) / ([^()]+?)\)", r"(\1.log(\2) - \1.log(\3))"),
    (r"    return (.+)\n$", r"    value = \1\n    return value\n"),
    (r"^", "    p = np.asarray(p, dtype=float)\n"),
]


def vary(body: str, rng: random.Random, has_q: bool) -> str:
    """The student's small choices in one function (and a length check where there is q)."""
    for pattern, replacement in VARIATIONS:
        converted = "np.asarray" in body or "np.array(" in body
        if rng.random() < 0.4 and (pattern != "^" or not converted):
            body = re.sub(pattern, replacement, body, count=1)
    if has_q and rng.random() < 0.3:
        body = "    assert len(p) == len(q)\n" + body
    return body


def _answer(rng: random.Random, bank: list[str]) -> str:
    """Three to five of the phrases everyone uses, and one sentence of the student's own."""
    own = [" ".join(rng.choice(OWN_WORDS) for _ in range(rng.randint(12, 20))) for _ in "ab"]
    return " ".join(rng.sample(bank, rng.randint(3, 5))) + f" Also {own[0]}. And {own[1]}."


#: The student's own sentences draw on these words (a sentence of one's own rarely matches).
OWN_WORDS = [
    "i",
    "think",
    "we",
    "see",
    "that",
    "this",
    "value",
    "the",
    "divergence",
    "grows",
    "when",
    "q",
    "misses",
    "mass",
    "and",
    "so",
    "in",
    "my",
    "test",
    "it",
    "came",
    "out",
    "larger",
    "than",
    "expected",
    "which",
    "means",
    "the",
    "approximation",
    "under",
    "weights",
    "tails",
    "penalises",
    "zero",
    "support",
    "region",
    "mode",
    "averaging",
    "seeking",
    "behaviour",
]


# -- disguises -------------------------------------------------------------------------------
def renamed(cells: Cells, rng: random.Random) -> Cells:
    """Every name a function assigns (and its loop variables) renamed."""
    words = ["val", "tmp", "x", "res", "part", "term", "aux", "w"]
    out = []
    for cell in cells:
        source = cell["source"]
        if cell["type"] == "code":
            names = set(re.findall(r"^\s+(\w+) (?:[-+*/]?=)", source, flags=re.M))
            for pair in re.findall(r"for (\w+)(?:, (\w+))? in", source):
                names |= set(pair)
            for name in sorted(n for n in names if n):
                new = f"{rng.choice(words)}_{rng.randint(1, 99)}"
                source = re.sub(rf"(?<![.\w]){name}(?!\w)", new, source)
        out.append({**cell, "source": source})
    return out


def reformatted(cells: Cells, rng: random.Random) -> Cells:
    """Spacing, comments, blank lines and a line broken inside parentheses."""
    out = []
    for cell in cells:
        source = cell["source"]
        if cell["type"] == "code":
            source = re.sub(r" ([-+*/]) ", r"\1", source)
            source = source.replace("(", "( ", 2)
            source = source.replace("\n    return", "\n\n    # finally\n    return")
            source = (
                re.sub(r", ", ",\n        ", source, count=1) if "np.sum(" in source else source
            )
            source = "# my solution\n" + source
        out.append({**cell, "source": source})
    return out


def reordered(cells: Cells, rng: random.Random) -> Cells:
    """Function cells in reverse order; in one, two independent first statements swapped."""
    out = [dict(c) for c in cells]
    slots = [i for i, c in enumerate(out) if c["source"].startswith("def ")]
    functions = [out[i] for i in slots]
    for slot, cell in zip(slots, reversed(functions)):
        out[slot] = cell
    for cell in out:
        lines = cell["source"].split("\n")
        converts = [n for n, line in enumerate(lines) if re.match(r"    \w+ = np\.as", line)]
        if len(converts) == 2:
            a, b = converts
            lines[a], lines[b] = lines[b], lines[a]
            cell["source"] = "\n".join(lines)
    return out


def merged(cells: Cells, rng: random.Random) -> Cells:
    """Every function in one code cell (the markdown between them kept after it)."""
    functions = [c["source"] for c in cells if c["source"].startswith("def ")]
    out, done = [], False
    for cell in cells:
        if cell["source"].startswith("def "):
            if not done:
                out.append({"type": "code", "source": "\n\n".join(functions)})
                done = True
            continue
        out.append(cell)
    return out


def split(cells: Cells, rng: random.Random) -> Cells:
    """Imports one per cell and every check line in a cell of its own."""
    out: Cells = []
    for cell in cells:
        if cell["type"] == "code" and not cell["source"].startswith("def "):
            out.extend({"type": "code", "source": line} for line in cell["source"].splitlines())
        else:
            out.append(cell)
    return out


DISGUISES = {
    "renamed": renamed,
    "reformatted": reformatted,
    "reordered": reordered,
    "merged": merged,
    "split": split,
}


def make_class(students: int = 40, seed: int = 1) -> tuple[dict[str, Cells], set[tuple[str, str]]]:
    """``students`` independent notebooks, then the copies of each kind (see the module)."""
    rng = random.Random(seed)
    base = template()
    named = {f"s{n:03d}": student(seed * 1000 + n, base) for n in range(students)}
    copies: set[tuple[str, str]] = set()

    def copy(source: str, kind: str, cells: Cells) -> str:
        name = f"copy_{kind}_{len(copies):02d}"
        named[name] = cells
        copies.add(tuple(sorted((source, name))))  # type: ignore[arg-type]
        return name

    own = sorted(n for n, cells in named.items() if "acc = []" in cells[-1]["source"])
    sources = rng.sample(own, len(DISGUISES) + 2)
    for (kind, disguise), source in zip(DISGUISES.items(), sources):
        both = renamed(named[source], rng) if kind != "renamed" else named[source]
        copy(source, kind, disguise(both, rng))
    # one function: the long loop over the joint's indices, in an independent notebook
    style = draw_style(random.Random(seed * 7))
    style["outer"] = "product"
    owner = student(seed * 1000 + 900, base, style)
    named["long_loop_owner"] = owner
    taker = student(seed * 1000 + 901, base)
    mine = next(c for c in owner if c["source"].startswith("def kl_to_factorized"))
    taker = [mine if c["source"].startswith("def kl_to_factorized") else c for c in taker]
    copy("long_loop_owner", "one_function", renamed(taker, rng))
    # a chain of three: a copy of a copy
    first = sources[-2]
    second = copy(first, "chain", renamed(named[first], rng))
    third = copy(second, "chain", reformatted(named[second], rng))
    copies.add(tuple(sorted((first, third))))  # type: ignore[arg-type]
    # prose: both written answers copied, words changed here and there, the code the copier's own
    source = sources[-1]
    writer = student(seed * 1000 + 902, base)
    theirs = iter(
        [c["source"] for c in named[source] if c["type"] == "markdown" and "Also" in c["source"]]
    )
    writer = [
        {**c, "source": next(theirs).replace(" the ", " the ").replace("It is", "it is")}
        if c["type"] == "markdown" and "Also" in c["source"]
        else c
        for c in writer
    ]
    copy(source, "prose", writer)
    return named, copies
