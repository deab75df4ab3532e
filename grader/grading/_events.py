"""What happened to the notebook itself, as :class:`Event` data: cells that failed, limits hit,
kernel restarts, dropped output, repairs, functions imported rather than written."""

from __future__ import annotations

from grader.grading._explain import clean
from grader.kernel._bounded import SOCKETS_BYTES, SOCKETS_ENTRIES
from grader.kernel._session import CellOutcome, Execution
from grader.results._model import ERROR, RESOURCE_LIMIT, TIMEOUT, Event


def execution_events(execution: Execution, repairs: tuple[str, ...], memory_mb: int) -> list[Event]:
    events = [Event("repaired", {"what": clean(text)}) for text in repairs]
    events += [cell_event(cell, memory_mb) for cell in execution.errors]
    if execution.restarts:
        skipped = [i + 1 for i in execution.skipped]
        events.append(
            Event("kernel_restarted", {"restarts": execution.restarts, "skipped": skipped})
        )
    if execution.output_dropped:
        events.append(Event("output_dropped"))
    if execution.sockets_full:
        bound = {"entries": SOCKETS_ENTRIES, "mib": SOCKETS_BYTES / 2**20}
        events.append(Event("sockets_full", {"status": RESOURCE_LIMIT, **bound}))
    return events


def cell_event(cell: CellOutcome, memory_mb: int) -> Event:
    """A failed cell: ``cell_failed`` (it raised or killed the kernel), ``timeout``, or
    ``limit_hit`` (out of memory), with the cell's number (from 1) and its message."""
    number = cell.index + 1
    message = clean(cell.message, number)
    exception, _, said = message.partition(":")
    if exception and not said.strip():  # "SystemExit: ", "MemoryError: ": the name alone
        message = exception.strip()
    limit = f"memory {memory_mb} MiB" if memory_mb else "the machine's memory"
    params = {"cell": number, "status": cell.status, "message": message}
    if cell.status == RESOURCE_LIMIT or (cell.status == ERROR and exception == "MemoryError"):
        params.update(limit=limit, exception=exception if cell.status == ERROR else "")
        return Event("limit_hit", params)
    if cell.status == TIMEOUT:
        return Event("timeout", params)
    if cell.status == ERROR:
        params.update(exception=exception.strip(), said=said.strip())
        if exception.strip() in ("SyntaxError", "IndentationError", "TabError"):
            params["syntax_error"] = True
    return Event("cell_failed", params)


def imported_events(origins: dict[str, str], functions: list[str]) -> list[Event]:
    """Checked functions the notebook took from a module instead of writing them."""
    return [
        Event("imported", {"function": name, "module": clean(origins[name])})
        for name in functions
        if origins.get(name, "__main__") != "__main__"
    ]
