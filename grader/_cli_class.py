"""The commands around a graded class that are not grading: ``similarity`` (pairs to look at,
never a grade) and ``serve`` (the marking app), registered on the grader's command group by
``grader._cli``.

Nothing but click is imported here at first: each command imports what it needs when it runs,
so that ``grader serve`` (timed to its first page) pays for no other command's modules.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--min-tokens",
    type=click.IntRange(10, 10_000),
    default=100,
    show_default=True,
    help="Normalised tokens of rare shared code (beyond the first 20 of each fragment, "
    "weighed by rarity) that make a likely copy.",
)
@click.option(
    "--common-share",
    type=click.FloatRange(0.0, 1.0),
    default=0.1,
    show_default=True,
    help="Code in more than this share of the notebooks (and more than 5) is common: no evidence.",
)
@click.option(
    "--show",
    type=click.Choice(["likely", "look", "all"]),
    default="likely",
    show_default=True,
    help="Bands written: likely copies; also pairs to look at; also those probably independent.",
)
@click.option(
    "--against",
    type=click.Path(exists=True, path_type=Path),
    help="Earlier years or public solutions: a folder or zip of notebooks, or an earlier OUT.",
)
@click.option(
    "--index",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --against's fingerprints are kept (default: beside them).",
)
def similarity(
    out: Path,
    min_tokens: int,
    common_share: float,
    show: str,
    against: Path | None,
    index: Path | None,
) -> None:
    """Flag pairs of submissions graded into OUT whose code or prose is alike (never a grade)."""
    from grader.results._folder import OutputFolder
    from grader.results._neutralise import neutralise
    from grader.similarity._pairs import BANDS, Settings
    from grader.similarity._run import label
    from grader.similarity._run import similarity as compare

    bands = BANDS[: {"likely": 1, "look": 2, "all": 3}[show]]
    settings = Settings(min_tokens=min_tokens, common_share=common_share, show=bands)
    found = compare(out, settings, against, index)
    for note in found.notes:
        click.echo(f"Note: {neutralise(note)}")
    earlier = f" and {found.earlier} earlier notebook(s)" if against else ""
    likely = sum(1 for pair in found.pairs if pair.verdict == BANDS[0])
    click.echo(
        f"Compared {found.compared} submission(s){earlier}: {likely} likely copy pair(s), "
        f"{len(found.pairs)} pair(s) shown ({', '.join(bands)}), {len(found.clusters)} "
        f"cluster(s) of three or more; code in more than {found.cutoff} notebooks ignored."
    )
    if found.without_cells:
        names = neutralise(", ".join(found.without_cells))
        click.echo(f"Warning: not compared (graded by an older grader, no cells kept): {names}")
    for match in found.variants:
        click.echo(f"  strong evidence: {neutralise(match.sentence())}")
    for pair in found.pairs[:10]:
        names = neutralise(f"{label(pair.a)} ~ {label(pair.b)}")
        click.echo(f"  {pair.score:5.2f}  {pair.verdict:<20} {names}")
    folder = OutputFolder(out)
    click.echo(f"Pairs: {folder.similarity_csv}")
    click.echo(f"Clusters: {folder.similarity_clusters_csv}")
    click.echo(f"Side by side: {folder.similarity_html}")
    _report_similar(out)


def _report_similar(out: Path) -> None:
    """The class report shows the flagged pairs: written again from the store. A store the
    report cannot be rebuilt from (its assignment folder not on this machine) leaves it as is."""
    from grader.errors import GraderError
    from grader.report._rebuild import rebuild_report
    from grader.results._folder import OutputFolder

    try:
        rebuild_report(out)
    except GraderError as exc:
        click.echo(f"Warning: {OutputFolder(out).report_html} not rewritten: {exc}")
        return
    click.echo(f"Class report: {OutputFolder(out).report_html}")


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0: any free."
)
@click.option("--add-ta", "ta", default=None, help="Print a new login link for this TA and exit.")
def serve(out: Path, host: str, port: int, ta: str | None) -> None:
    """Mark answers by hand in a web app: prints the login link (one line on stdout)."""
    from grader.serve import _run

    if ta is not None:
        click.echo(_run.add_ta(out, ta, host, port))
        return
    _run.serve(out, host, port)
