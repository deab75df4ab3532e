"""Code that runs *inside* the student's kernel, before the notebook's cells only.

Like the driver (``_driver``), its source is sent to the kernel as text and never imported
there; it is installed with the driver's source in one module (``_protocol.before_cells_request``)
and dropped once it has run. Kept apart so the driver, which stays for the calls, stays small.
"""

import sys

OUTPUT_DROPPED = "\n[the grader dropped the rest of the output]\n"


def cap_output(limit):
    """Before the notebook runs: what it prints stops after ``limit`` characters, in the kernel.

    A loop printing 200 MB would otherwise reach the grader as a few huge messages. IPython 9
    puts a tee of its own in ``sys.stdout.write`` for each cell and restores the one it found
    when the cell ends, which undoes a wrapper set during a cell (this request is one). So the
    cap is put back before every cell, and each text is counted once however the wrappers nest.
    """
    import threading

    state = {"left": limit, "told": False}
    inside = threading.local()

    def cut(write, text):
        if state["left"] <= 0:
            if not state["told"]:
                state["told"] = True
                write(OUTPUT_DROPPED)
            return len(text)
        if len(text) > state["left"]:
            write(text[: state["left"]] + OUTPUT_DROPPED)
            state["left"], state["told"] = 0, True
            return len(text)
        state["left"] -= len(text)
        return write(text)

    def capped(write):
        def capped_write(text):
            if getattr(inside, "busy", False):  # an outer cap has counted this text already
                return write(text)
            inside.busy = True
            try:
                return cut(write, text)
            finally:
                inside.busy = False

        capped_write.grader_cap = True
        return capped_write

    def renew():
        for stream in (sys.stdout, sys.stderr):
            if not getattr(stream.write, "grader_cap", False):
                try:
                    stream.write = capped(stream.write)
                except AttributeError:  # a stream the notebook put there, with a fixed write
                    pass

    renew()
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.events.register("pre_execute", renew)


def quick_flushes():
    """Before the notebook runs: a flush of ``sys.stdout`` or ``sys.stderr`` with nothing to
    send returns at once.

    ipykernel's streams hand every flush to their IO thread and wait for it to come back, even
    with nothing buffered, and a kernel flushes both streams before every reply: two thread
    round trips a request, about a third of the kernel's CPU for one of the grader's requests
    (1.2 of 3.9 ms; issue 31). A flush with text buffered, or one scheduled already, goes the
    usual way, so what a notebook prints reaches the grader as before, in the same order. A
    stream that is not ipykernel's as known here (another version, an echo, one the notebook
    put in place later) flushes as it always did."""
    for stream in (sys.stdout, sys.stderr):
        known = ("_buffers", "_buffer_lock", "_flush_pending", "_subprocess_flush_pending")
        if not all(hasattr(stream, name) for name in known) or getattr(stream, "echo", None):
            continue

        def quick(stream=stream, flush=stream.flush):
            with stream._buffer_lock:
                empty = not any(buffer.tell() for buffer in stream._buffers.values())
            if empty and not (stream._flush_pending or stream._subprocess_flush_pending):
                return None
            return flush()

        try:
            stream.flush = quick
        except AttributeError:
            pass


SELFCHECK_NOTE = "selfcheck() does nothing while the notebook is graded."


def stand_in_for_grader():
    """Before the notebook runs: ``import grader`` in the kernel gives a stand-in whose
    ``selfcheck()`` prints one line and returns None.

    A student may leave ``from grader import selfcheck; selfcheck()`` in the notebook handed in.
    In the sandbox the real package is not there to import (an editable install lives in the
    repository, which is never mounted), and where it is, it must not start a kernel of its own
    while this one is graded: either way the cell must not fail, nor do anything. Nothing is
    mounted or added for this; the stand-in holds no grader code."""
    import types

    def selfcheck(*args, **kwargs):
        print(SELFCHECK_NOTE)

    module = types.ModuleType("grader", "A stand-in for the grader while a notebook is graded.")
    module.selfcheck = selfcheck
    module.__all__ = ["selfcheck"]
    sys.modules["grader"] = module


__all__ = ["OUTPUT_DROPPED", "SELFCHECK_NOTE", "cap_output", "quick_flushes", "stand_in_for_grader"]
