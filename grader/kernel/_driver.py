"""Code that runs *inside* the student's kernel, after the notebook's cells.

Its source is sent to the kernel as text (this module is never imported there: the kernel cannot
see the grader's package). It only calls the student's functions on inputs it is given and turns
what they return into plain JSON. It never sees an expected value, so a kernel that tampers with
it can at most report an answer, which is all it is asked for; the grader parses that strictly.

Conversion goes by exact type (``type(x) is float``), never ``isinstance``: a float subclass with
a rigged ``__eq__`` is refused here, not trusted.
"""

import json
import signal
import sys

MAX_ELEMENTS = 1_000_000
MAX_DEPTH = 8


class _CallTimeout(BaseException):
    """BaseException, so a student's ``except Exception`` cannot swallow it."""


class _Unsupported(Exception):
    pass


def _numpy():
    return sys.modules.get("numpy")


def _scalar_types(np):
    if np is None:
        return frozenset()
    names = (
        "float64",
        "float32",
        "float16",
        "longdouble",
        "int64",
        "int32",
        "int16",
        "int8",
        "uint64",
        "uint32",
        "uint16",
        "uint8",
        "intc",
        "intp",
        "longlong",
    )
    return frozenset(getattr(np, n) for n in names if hasattr(np, n))


def _plain(value, np, scalars, depth=0, count=None):
    """Exact-type conversion of an answer to numbers and nested lists."""
    count = count if count is not None else [0]
    count[0] += 1
    if count[0] > MAX_ELEMENTS:
        raise _Unsupported("an answer with more than a million numbers")
    kind = type(value)
    if kind is float or kind is int:
        return value
    if value is None:
        return None
    if kind in scalars:
        item = value.item()
        return item if type(item) in (float, int) else float(item)
    if np is not None and kind is np.ndarray:
        if value.dtype.kind not in "fiu":
            raise _Unsupported(f"an array of dtype {value.dtype.name}")
        count[0] += value.size
        if count[0] > MAX_ELEMENTS:
            raise _Unsupported("an answer with more than a million numbers")
        if value.dtype.kind == "f" and value.dtype.itemsize > 8:
            value = value.astype(np.float64)
        return value.tolist()
    if kind is list or kind is tuple:
        if depth >= MAX_DEPTH:
            raise _Unsupported("lists nested too deeply")
        return [_plain(v, np, scalars, depth + 1, count) for v in value]
    raise _Unsupported(_describe(value))


MAX_TEXT = 100_000


def _rich(value, np, scalars, depth=0, count=None):
    """Exact-type conversion of a structured answer (the spec's returns is not a number or a
    vector): bools, strings and dicts with string keys too; tuples become lists."""
    kind = type(value)
    if kind is bool or kind is str or (np is not None and kind is getattr(np, "bool_", None)):
        count[0] += 1 + (len(value) // 64 if kind is str else 0)
        if count[0] > MAX_ELEMENTS or (kind is str and len(value) > MAX_TEXT):
            raise _Unsupported("an answer too large to compare")
        return value if kind is not getattr(np, "bool_", None) else bool(value)
    if np is not None and kind is np.ndarray and value.dtype.kind == "b":
        count[0] += value.size
        if count[0] > MAX_ELEMENTS:
            raise _Unsupported("an answer with more than a million numbers")
        return value.tolist()
    if kind is dict:
        if depth >= MAX_DEPTH:
            raise _Unsupported("values nested too deeply")
        if not all(type(k) is str for k in value):
            raise _Unsupported("a dict whose keys are not all strings")
        count[0] += len(value)
        return {k: _rich(v, np, scalars, depth + 1, count) for k, v in value.items()}
    if kind is list or kind is tuple:
        if depth >= MAX_DEPTH:
            raise _Unsupported("values nested too deeply")
        count[0] += 1
        return [_rich(v, np, scalars, depth + 1, count) for v in value]
    fields = _dataclass_fields(value)
    if fields is not None:  # compared as the dict of its fields, as the spec's table says
        return _rich(fields, np, scalars, depth, count)
    return _plain(value, np, scalars, depth, count)


def _dataclass_fields(value):
    """A dataclass instance's fields as a dict, or None for anything else."""
    import dataclasses

    if isinstance(value, type) or not dataclasses.is_dataclass(value):
        return None
    try:
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    except Exception:
        raise _Unsupported(
            f"a dataclass {type(value).__name__} whose fields cannot be read"
        ) from None


def _describe(value):
    kind = type(value)
    if kind is bool or kind.__name__ == "bool_":
        return f"a bool ({value!r})"
    if kind is str:
        return "a string"
    if kind is dict:
        return "a dict"
    if kind in (float, int, list, tuple) or kind.__mro__[1:2] in ((float,), (int,)):
        return f"an object of type {kind.__name__} (a subclass, not a plain number)"
    return f"an object of type {kind.__name__}"


def _decode(value, kind, np):
    """Arguments reach the student as the notebook states: arrays, lists of arrays, floats."""
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    if kind in ("vector", "array"):
        return np.array(value, dtype=np.float64)
    if kind == "vector_list":
        return [np.array(v, dtype=np.float64) for v in value]
    if kind == "seed":  # the call's own seed, as the reference's call got it
        return int(value)
    if kind == "generator":  # a Generator cannot travel as JSON: its seed does
        import numpy

        return numpy.random.default_rng(int(value))
    raise ValueError(kind)


def _on_timer(signum, frame):
    raise _CallTimeout(signum)


#: The signals of the two timers of a call (where the platform has interval timers).
_TIMER_SIGNALS = (signal.SIGPROF, signal.SIGALRM) if hasattr(signal, "setitimer") else ()


def _call_one(func, args, cpu_limit, wall_limit):
    """CPU time (ITIMER_PROF) is the real limit; wall time (ITIMER_REAL) catches sleeping.
    The timers' handlers are the driver's for every call: set again only where the call before
    changed them (``run`` puts back those it found), not twice per call (800 calls a notebook)."""
    if _TIMER_SIGNALS:
        for signum in _TIMER_SIGNALS:
            if signal.getsignal(signum) is not _on_timer:
                signal.signal(signum, _on_timer)
        signal.setitimer(signal.ITIMER_PROF, cpu_limit)
        signal.setitimer(signal.ITIMER_REAL, wall_limit)
    try:
        return func(*args)
    finally:
        if _TIMER_SIGNALS:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)


def _error_text(exc):
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def _seed(seed):
    """Python's and NumPy's global generators, as the grader seeded the reference's call, and
    the entropy that generators made without a seed draw from (``seed_entropy``)."""
    import random

    seed_entropy(seed)
    random.seed(seed)
    np = _numpy()
    if np is not None:
        np.random.seed(seed)


def seed_kernel(seed):
    """Before the cells, every generator as for a call: a notebook drawing at its top level,
    from the global generators or from one it makes without a seed, draws the same numbers on
    every regrade. numpy is imported first, so that what the notebook makes of it is reached."""
    try:
        import numpy  # noqa: F401  (the grader's own interpreter has it)
    except ImportError:
        pass
    _seed(seed)


def seed_entropy(seed):
    """Generators made without a seed draw from a source seeded here, so a mark never moves:
    ``np.random.default_rng()``, ``np.random.RandomState()``, ``np.random.seed()``,
    ``random.Random()`` and ``random.seed()`` (all ask for entropy only when given no seed).

    Before the cells with a fixed seed (``seed_kernel``), then before each seeded call with the
    call's seed. Out of reach: ``os.urandom``, ``secrets``, ``random.SystemRandom``, a seed taken
    from the clock or the process id, and generators of other libraries."""
    import random

    source = random.Random(seed)
    _entropy_of_random(random, source)
    np = _numpy()
    if np is None:
        return
    try:  # numpy loads numpy.random lazily, on first use: load it now, to reach its entropy
        import numpy.random.bit_generator as bits
    except ImportError:
        return
    if hasattr(bits, "randbits"):
        bits.randbits = source.getrandbits  # SeedSequence() without entropy reads this name
        legacy = getattr(np.random.seed, "grader_original", np.random.seed)

        def numpy_seed(seed=None):
            return legacy(source.getrandbits(32) if seed is None else seed)

        numpy_seed.grader_original = legacy
        np.random.seed = numpy_seed


def _entropy_of_random(random, source):
    """``random.Random()`` and ``random.seed()`` without a seed take theirs from ``source``."""
    original = getattr(random.Random.seed, "grader_original", random.Random.seed)

    def seed(self, a=None, version=2):
        return original(self, source.getrandbits(64) if a is None else a, version)

    seed.grader_original = original
    random.Random.seed = seed
    random.seed = random._inst.seed


def run(namespace, name, kinds, cases, cpu_limit, wall_limit, rich=False, every=False, seeds=None):
    """Call ``namespace[name]`` on every case; return one JSON outcome per case.

    After an exception or a timeout the remaining cases are skipped: the check has failed
    already (on this case or an earlier one), and one endless loop must not cost a hundred time
    limits. With ``every`` (partial credit) only a timeout skips the rest. With ``rich`` answers
    may hold bools, strings and dicts too. With ``seeds`` (one per case) the global generators
    are seeded before each call. The timers' handlers found are put back when the calls end.
    """
    found = [signal.getsignal(signum) for signum in _TIMER_SIGNALS]
    try:
        return _run(namespace, name, kinds, cases, cpu_limit, wall_limit, rich, every, seeds)
    finally:
        for signum, handler in zip(_TIMER_SIGNALS, found):
            if handler is not None:
                signal.signal(signum, handler)


def _run(namespace, name, kinds, cases, cpu_limit, wall_limit, rich, every, seeds):
    convert = _rich if rich else _plain
    np = _numpy()
    scalars = _scalar_types(np)
    func = namespace.get(name)
    outcomes = []
    failed = False
    numbers = [0]  # over all answers together: the reply must stay small
    for case in cases:
        if not callable(func):
            outcomes.append({"missing": True})
            continue
        if failed:
            outcomes.append({"skipped": True})
            continue
        try:
            args = [_decode(v, k, np) for v, k in zip(case, kinds)]
            if seeds is not None:
                _seed(seeds[len(outcomes)])
            result = _call_one(func, args, cpu_limit, wall_limit)
        except _CallTimeout as exc:
            cpu = exc.args[0] != signal.SIGALRM
            outcomes.append({"timeout": cpu_limit} if cpu else {"wall_timeout": wall_limit})
            failed = True
            continue
        except RecursionError:
            outcomes.append({"error": "RecursionError: maximum recursion depth exceeded"})
            failed = True
            continue
        except BaseException as exc:
            outcomes.append({"error": _error_text(exc)})
            failed = not every
            continue
        try:
            outcomes.append({"value": convert(result, np, scalars, count=numbers)})
        except _Unsupported as exc:
            outcomes.append({"unsupported": str(exc)})
    return json.dumps(outcomes, allow_nan=True)


def inputs_in(path, cpu_limit, wall_limit, rich, every):
    """``run``'s arguments after ``kinds``, the cases and seeds read from the file the grader
    wrote for this request in the kernel's read-only ``conn`` folder (``_protocol.run_request``):
    in the request's code they would be hashed with it, in pure Python, by ipykernel."""
    with open(path, encoding="utf-8") as handle:
        found = json.load(handle)
    return found["cases"], cpu_limit, wall_limit, rich, every, found["seeds"]


def get(namespace, name, rich=False):
    """A top-level value of the notebook as one JSON outcome, converted like an answer."""
    np = _numpy()
    if name not in namespace:
        return json.dumps([{"missing": True}])
    convert = _rich if rich else _plain
    try:
        value = convert(namespace[name], np, _scalar_types(np), count=[0])
    except _Unsupported as exc:
        return json.dumps([{"unsupported": str(exc)}])
    return json.dumps([{"value": value}], allow_nan=True)


def inventory(namespace):
    """The notebook's top-level callables and how many arguments each takes, for feedback."""
    import inspect

    found = {}
    for key, value in list(namespace.items()):
        if key.startswith("_") or not callable(value) or isinstance(value, type):
            continue
        try:
            params = inspect.signature(value).parameters.values()
            found[key] = [p.name for p in params]
        except (TypeError, ValueError):
            found[key] = None
    return json.dumps(found)


def origins(namespace, names):
    """The module each of ``names`` comes from where it is not the notebook's own (``__main__``):
    a checked function imported from a library is said in the feedback, not taken silently."""
    found = {}
    for key in names:
        try:
            module = getattr(namespace[key], "__module__", None)
        except Exception:  # a missing name, or an attribute that raises: nothing to say
            continue
        if isinstance(module, str) and module != "__main__":
            found[key] = module[:200]
    return json.dumps(found)


__all__ = [
    "get",
    "inputs_in",
    "inventory",
    "json",
    "origins",
    "run",
    "seed_entropy",
    "seed_kernel",
]
