"""Answer groups, measured: how many marking actions they save on a generated class of 200.

    python benchmarks/serve_groups.py [--students 200] [--seed 0]

The answers are made like students write the VI sheet's two questions marked by hand: for
1a-prose (what the KL divergence describes, its key properties) and 1c-derivation (the optimal
factor, with a Lagrange multiplier), a handful of typical answers (right, half right, a common
mistake), each written by many students with the variations that do not change it (spacing,
case, a final full stop, maths notation such as ``q_{j}^{*}`` for ``q_j^*`` or ``\\left(``),
some with a word of their own added, and one answer in six the student's alone.

Marking one student is one action (apply an item, or type points, then save and move on);
marking a group is one action plus one for each member split off. Here no member is split
(every generated answer in a group is alike by construction), so the figures are the best
case: it prints per question the groups, the answers alone, the actions without groups and
with them, and the saving; and whether any group mixes answers of different kinds (a group a
teaching assistant would have to split).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.serve._groups import answer_groups  # noqa: E402

TYPICAL = {
    "1a-prose": [
        "KL(p||q) measures how different q is from p. It is never negative, it is zero only "
        "when p = q, and it is not symmetric, so it is not a distance.",
        "The KL divergence is the extra information needed to encode samples of p with a code "
        "for q. It is >= 0 and 0 iff the distributions are the same.",
        "KL divergence is a distance between two distributions.",
        "It measures the difference between p and q; it is always positive.",
    ],
    "1c-derivation": [
        "Only $-\\sum_Z p(Z) \\ln q_j(Z_j)$ depends on $q_j$. With the multiplier "
        "$\\lambda (\\sum_z q_j(z) - 1)$ the derivative is zero when $\\lambda q_j(z) = "
        "p(Z_j = z)$, so $\\lambda = 1$ and $q_j^* = p(Z_j)$, the marginal.",
        "Setting the derivative of the KL with the Lagrange term to zero gives $q_j^* = "
        "p(Z_j)$: the optimal factor is the marginal of p.",
        "$q_j^* = p(Z_j)$ because the KL is minimised by matching the distribution.",
        "The optimal factor is proportional to $\\exp(E[\\ln p(Z)])$ over the other factors.",
    ],
}
OWN_WORDS = ["", "", "", " I think.", " (see lecture 4)", " This follows directly."]


def _variant(text: str, rng: random.Random) -> str:
    """``text`` as another student writes the same answer."""
    if rng.random() < 0.3:
        text = text.lower()
    if rng.random() < 0.3:
        text = text.replace(" = ", "=").replace(", ", ",  ")
    if rng.random() < 0.3:
        text = text.replace("q_j^*", "q_{j}^{*}").replace("(Z_j)", "\\left(Z_{j}\\right)")
    if rng.random() < 0.3:
        text = text.rstrip(".") if text.endswith(".") else text + "."
    return text + rng.choice(OWN_WORDS)


def _own(rng: random.Random, n: int) -> str:
    words = ["entropy", "mean", "field", "factor", "bound", "expectation", "posterior", "log"]
    return f"Student {n}: " + " ".join(rng.choice(words) for _ in range(12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for question, typical in TYPICAL.items():
        kinds, answers = {}, {}
        for n in range(args.students):
            name = f"s{n:03d}"
            if rng.random() < 1 / 6:
                kinds[name], answers[name] = f"own{n}", _own(rng, n)
            else:
                kind = rng.randrange(len(typical))
                kinds[name], answers[name] = f"typical{kind}", _variant(typical[kind], rng)
        groups = answer_groups(answers)
        many = [g for g in groups if len(g) > 1]
        alone = len(groups) - len(many)
        mixed = sum(len({kinds[m] for m in g}) > 1 for g in many)
        with_groups = len(groups)
        saved = args.students - with_groups
        print(
            f"{question}: {len(many)} group(s) holding {sum(map(len, many))} answers, "
            f"{alone} alone; actions {args.students} without groups, {with_groups} with them "
            f"({saved} saved, {saved / args.students:.0%}); groups mixing kinds: {mixed}"
        )


if __name__ == "__main__":
    main()
