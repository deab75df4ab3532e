"""The grader's half of the kernel protocol: requests out as data, answers parsed strictly.

The kernel is the student's; whatever it sends back is untrusted text. It is parsed as JSON (never
unpickled) and re-checked value by value, so nothing in it can run in the grader or pose as an
expected value.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.kernel import _before_cells, _driver

MAX_DEPTH = _driver.MAX_DEPTH
MAX_ELEMENTS = _driver.MAX_ELEMENTS
#: Largest reply that is parsed. A bigger one is refused by its size, before a byte of it is
#: decoded (as JSON, and then as the answer): its request gets a ``too_large`` reply instead.
REPLY_MAX_BYTES = 16 * 1024 * 1024


class _TooLarge(str):
    """The reply text of a request whose reply was refused, unread, for its size."""


TOO_LARGE = _TooLarge()


@dataclass(frozen=True)
class Outcome:
    """What one call of a student function gave: a value, or why there is none.

    ``kind`` is ``value``, ``error`` (it raised), ``timeout`` (it used up its CPU time),
    ``unsupported`` (it returned something that is not numbers), ``missing`` (no such function),
    ``skipped`` (not run after an earlier failure), ``unreadable`` (a senseless reply) or
    ``too_large`` (a reply refused, unread, for its size).
    """

    kind: str
    value: Any = None
    message: str = ""


def run_request(
    name: str,
    kinds: list[str],
    cases: list[list[Any]],
    cpu_limit: float,
    wall_limit: float,
    rich: bool = False,
    every: bool = False,
    seeds: list[int] | None = None,
    inputs: Path | None = None,
) -> str:
    """The code sent to the kernel for one batch of calls: data embedded as literals only.

    ``rich``: answers may hold bools, strings and dicts; ``every``: an exception does not skip
    the remaining cases (partial credit); ``seeds``: one per case, for the global generators.
    ``inputs``: where the kernel reads ``cases`` and ``seeds`` instead (a file written with
    ``call_inputs``), so the code stays a line: ipykernel hashes the code of every request in
    pure Python (``ipykernel.compiler``), about 0.15 ms a kilobyte of the kernel's CPU."""
    call = f"__grader_out__ = __grader__.run(globals(), {name!r}, {kinds!r}"
    limits = f"{float(cpu_limit)!r}, {float(wall_limit)!r}, {bool(rich)!r}, {bool(every)!r}"
    if inputs is not None:
        return f"{call}, *__grader__.inputs_in({str(inputs)!r}, {limits}))"
    payload = json.dumps(cases, allow_nan=True)
    return f"{call}, __grader__.json.loads({payload!r}), {limits}, {_seeds(seeds)})"


def call_inputs(cases: list[list[Any]], seeds: list[int] | None = None) -> bytes:
    """The file ``run_request`` names as its ``inputs``: the same JSON as its literals."""
    found = {"cases": cases, "seeds": None if seeds is None else [int(s) for s in seeds]}
    return json.dumps(found, allow_nan=True).encode()


def value_request(name: str, rich: bool = False) -> str:
    """The code that reads one top-level value of the notebook (a ``variable`` check)."""
    return f"__grader_out__ = __grader__.get(globals(), {name!r}, {bool(rich)!r})"


def _seeds(seeds: list[int] | None) -> str:
    return "None" if seeds is None else repr([int(s) for s in seeds])


def survey_request(names: list[str]) -> str:
    """The code asking for the notebook's top-level callables and how many arguments each
    takes, and which of ``names`` (checked functions) come from another module: one request."""
    return (
        "__grader_out__ = __grader__.json.dumps([__grader__.inventory(globals()), "
        f"__grader__.origins(globals(), {[str(n) for n in names]!r})])"
    )


def parse_survey(text: Any) -> tuple[dict[str, list[str] | None], dict[str, str]]:
    """A ``survey_request``'s reply: ``parse_inventory`` and ``parse_origins`` of its two
    parts; an unreadable reply counts as no callables and none imported."""
    try:
        raw = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        raw = None
    if not isinstance(raw, list) or len(raw) != 2:
        return {}, {}
    return parse_inventory(raw[0]), parse_origins(raw[1])


def parse_origins(text: Any) -> dict[str, str]:
    """Function name -> module; an unreadable reply counts as none imported."""
    raw = _json_object(text)
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}


def _json_object(text: Any) -> dict[Any, Any]:
    """A reply's JSON object; ``{}`` for anything else (a kernel can send what it likes)."""
    try:
        raw = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        return {}
    return raw if isinstance(raw, dict) else {}


#: The driver's sources, as ``_sandbox.Scratch`` puts them in every kernel's ``conn`` folder.
DRIVER_FILE = "driver.py"
BEFORE_CELLS_FILE = "before_cells.py"


def kernel_files() -> dict[str, bytes]:
    """What the install requests read in the kernel: from their files, not as literals in the
    requests' code, which ipykernel would hash in pure Python (``run_request``)."""
    # From its file: under the pytest plugin the loader is pytest's assertion rewriter (it
    # rewrites every module of a plugin's distribution), which has no get_source.
    return {
        DRIVER_FILE: Path(_driver.__file__).read_bytes(),
        BEFORE_CELLS_FILE: Path(_before_cells.__file__).read_bytes(),
    }


def install_request(conn: Path, *more: str) -> str:
    """Code that installs the driver as ``__grader__`` without touching the student's names;
    the sources of ``more`` (names of ``kernel_files``) go into the same module. ``conn``: the
    kernel's read-only folder where they are (``_sandbox.Scratch.conn``). The built-ins it
    uses are named through ``builtins``: a function's free names are looked up in the
    notebook's namespace first, where a student may have a variable called ``open``."""
    paths = [str(conn / name) for name in (DRIVER_FILE, *more)]
    return (
        "def __grader_install__(paths):\n"
        "    import builtins, types\n"
        "    module = types.ModuleType('__grader__')\n"
        "    for path in paths:\n"
        "        with builtins.open(path, encoding='utf-8') as file:\n"
        "            code = builtins.compile(file.read(), '<grader>', 'exec')\n"
        "        builtins.exec(code, module.__dict__)\n"
        "    return module\n"
        f"__grader__ = __grader_install__({paths!r})\n"
        "del __grader_install__\n"
    )


#: The seed of a notebook's generators before the cells (those it makes without a seed too).
ENTROPY_SEED = 20_240_527


def before_cells_request(limit: int, conn: Path) -> str:
    """Code run before the notebook's cells: its printing stops after ``limit`` characters, a
    flush with nothing to send returns at once (``_before_cells.quick_flushes``), a
    ``selfcheck()`` cell left in it prints one line (``_before_cells.stand_in_for_grader``), and
    its random numbers, from the global generators or from generators it makes without a seed,
    are the same on every regrade (``_driver.seed_kernel``)."""
    return (
        install_request(conn, BEFORE_CELLS_FILE)
        + f"__grader__.cap_output({int(limit)})\n"
        + "__grader__.quick_flushes()\n"
        + "__grader__.stand_in_for_grader()\n"
        + f"__grader__.seed_kernel({ENTROPY_SEED})\n"
        + "del __grader__\n"
    )


def asked_exit(reply: Any) -> bool:
    """Whether a reply says the code called ``exit()`` (ipykernel then stops 0.1 s later)."""
    try:
        payload = reply["content"]["payload"]
        return any(p.get("source") == "ask_exit" and not p.get("keepkernel") for p in payload)
    except (KeyError, TypeError, AttributeError):
        return False


def message_size(content: Any) -> int:
    """Characters of text in a message's content, counted in place (``str()`` would copy it)."""
    total, stack = 0, [content]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
        else:
            total += len(item) if isinstance(item, str) else 8
    return total


def parse_outcomes(text: Any, count: int, rich: bool = False) -> list[Outcome]:
    """Parse a ``run`` reply into exactly ``count`` outcomes; anything odd is ``unreadable``.

    With ``rich``, values may also hold bools, strings and dicts with string keys."""
    if text is TOO_LARGE:
        return [Outcome("too_large", message="the answer was too large")] * count
    try:
        raw = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        raw = None
    if not isinstance(raw, list) or len(raw) != count:
        return [Outcome("unreadable", message="the kernel's reply could not be read")] * count
    return [_outcome(item, rich) for item in raw]


def _outcome(item: Any, rich: bool = False) -> Outcome:
    if not isinstance(item, dict) or len(item) != 1:
        return Outcome("unreadable", message="the kernel's reply could not be read")
    ((kind, payload),) = item.items()
    if kind == "value":
        try:
            check = _checked_rich if rich else _checked
            return Outcome("value", value=check(payload, 0, [0]))
        except ValueError:
            return Outcome("unreadable", message="the kernel's reply could not be read")
    if kind in ("error", "unsupported") and isinstance(payload, str):
        return Outcome(kind, message=payload[:500])
    if kind == "timeout" and type(payload) in (int, float):
        return Outcome("timeout", message=f"it ran for more than {payload:g} s of CPU time")
    if kind == "wall_timeout" and type(payload) in (int, float):
        message = f"it took more than {payload:g} s of wall-clock time (sleeping or waiting?)"
        return Outcome("timeout", message=message)
    if kind == "missing" and payload is True:
        return Outcome("missing")
    if kind == "skipped" and payload is True:
        return Outcome("skipped", message="not run: an earlier input failed")
    return Outcome("unreadable", message="the kernel's reply could not be read")


def _checked(value: Any, depth: int, count: list[int]) -> Any:
    """Re-check a parsed value: only floats, ints (not bools), None and lists of those."""
    count[0] += 1
    if count[0] > MAX_ELEMENTS or depth > MAX_DEPTH:
        raise ValueError("too large")
    kind = type(value)
    if kind is float or kind is int or value is None:
        return value
    if kind is list:
        return [_checked(v, depth + 1, count) for v in value]
    raise ValueError(f"unexpected {kind.__name__}")


def _checked_rich(value: Any, depth: int, count: list[int]) -> Any:
    """Re-check a structured answer: what ``_checked`` takes, bools, bounded strings, and
    dicts with string keys (JSON cannot say tuple: a tuple came as a list)."""
    kind = type(value)
    if kind is bool:
        count[0] += 1
        return value
    if kind is str:
        count[0] += 1 + len(value) // 64
        if len(value) > _driver.MAX_TEXT or count[0] > MAX_ELEMENTS:
            raise ValueError("too large")
        return value
    if kind is dict or kind is list:
        count[0] += 1
        if count[0] > MAX_ELEMENTS or depth > MAX_DEPTH:
            raise ValueError("too large")
        if kind is list:
            return [_checked_rich(v, depth + 1, count) for v in value]
        return {k: _checked_rich(v, depth + 1, count) for k, v in value.items()}
    return _checked(value, depth, count)


def parse_inventory(text: Any) -> dict[str, list[str] | None]:
    """The student's top-level callables; an unreadable reply counts as none."""
    raw = _json_object(text)
    found: dict[str, list[str] | None] = {}
    for name, params in itertools.islice(raw.items(), 10_000):
        ok = params is None or (
            isinstance(params, list) and all(isinstance(p, str) for p in params)
        )
        if isinstance(name, str) and ok:
            found[name] = params
    return found


def encode_case(case: dict[str, Any], names: tuple[str, ...]) -> list[Any]:
    """A case as the positional argument list the driver expects."""
    return [case[name] for name in names]
