"""``OUT/similarity.csv`` and ``OUT/similarity-clusters.csv``: one row per pair shown, saying
how strong (score, verdict, rare tokens) and why (the fragments, with how many notebooks hold
each), so that pairs can be compared and a reader can check the claim."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from grader.report import _tables
from grader.results._folder import OutputFolder
from grader.similarity._evidence import Fragment
from grader.similarity._pairs import Pair

if TYPE_CHECKING:
    from grader.similarity._run import Findings

PAIR_COLUMNS = [
    "submission_a",
    "submission_b",
    "against",
    "verdict",
    "score",
    "rare_tokens",
    "rare_words",
    "share_a",
    "share_b",
    "functions_a",
    "functions_b",
    "fragments",
]


def write_csvs(folder: OutputFolder, findings: Findings) -> None:
    rows = [pair_row(pair, findings.compared + findings.earlier) for pair in findings.pairs]
    _tables.write_csv(pd.DataFrame(rows, columns=PAIR_COLUMNS), folder.similarity_csv)
    groups = [[n, len(m), " ".join(m)] for n, m in enumerate(findings.clusters, 1)]
    frame = pd.DataFrame(groups, columns=["cluster", "size", "submissions"])
    _tables.write_csv(frame, folder.similarity_clusters_csv)


def pair_row(pair: Pair, notebooks: int) -> list[object]:
    return [
        pair.a.name,
        pair.b.name,
        pair.b.origin,
        pair.verdict,
        f"{pair.score:.2f}",
        f"{pair.code.evidence:.1f}",
        f"{pair.text.evidence:.1f}",
        f"{pair.share(pair.a):.3f}",
        f"{pair.share(pair.b):.3f}",
        functions(pair.code.fragments, "a"),
        functions(pair.code.fragments, "b"),
        "; ".join(why(f, notebooks) for f in pair.code.fragments[:8]),
    ]


def functions(fragments: tuple[Fragment, ...], side: str) -> str:
    """``kl_to_factorized 64; entropy 31``: rare shared tokens per function, largest first."""
    tokens: dict[str, int] = {}
    for fragment in fragments:
        unit = fragment.unit_a if side == "a" else fragment.unit_b
        tokens[unit] = tokens.get(unit, 0) + fragment.tokens
    ranked = sorted(tokens.items(), key=lambda item: (-item[1], item[0]))
    return "; ".join(f"{name} {count}" for name, count in ranked)


def why(fragment: Fragment, notebooks: int) -> str:
    """One fragment: where on each side, how long, how rare, what it weighs."""
    where = fragment.unit_a
    if fragment.unit_b != fragment.unit_a:
        where += f" ~ {fragment.unit_b}"
    return (
        f"{where}: {fragment.tokens} tokens in {fragment.holders} of {notebooks} notebooks "
        f"(weight {fragment.weight:.1f})"
    )
