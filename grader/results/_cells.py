"""Reading back what the store keeps for similarity (the cells as graded, and the templates),
read-only, one submission at a time, so a class of any size is never held in memory twice."""

from __future__ import annotations

from grader.errors import OutputError
from grader.results._folder import OutputFolder
from grader.results._store import Cells, Store

__all__ = ["Cells", "stored_cells"]


def stored_cells(folder: OutputFolder) -> Store:
    """``OUT/results.sqlite`` opened read-only, refused where it keeps no cells to compare."""
    if not folder.store_path.is_file():
        raise OutputError(
            f"{folder.root} holds no results.sqlite; pass the --out folder of a grade"
        )
    store = folder.existing_store(read_only=True)
    if not store.has_table("sources") or store.count_sources() == 0:
        store.close()
        raise OutputError(
            f"{folder.store_path} keeps no notebook cells (graded by an older grader, or nothing "
            "graded); grade the class again into a new --out folder to compare it"
        )
    return store
