"""The grader's own words for its data: what each :class:`Mismatch` code says, and the short
phrase of each reason code in the class report. The one place they are worded; the renderers
(plain text, Markdown, HTML, the class report) put them in their sentences and formats.

The words here are plain text: a renderer passes them through its style's ``words`` (escaped
for its format), as they may quote a field name a notebook chose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grader.results._model import Mismatch
from grader.results._values import show

#: What the sheet asked for, as the start of "... was expected, not ...".
_EXPECTED = {
    "number": "a number",
    "vector": "a vector",
    "list": "a list",
    "tuple": "a tuple",
    "int": "a whole number (int)",
    "bool": "True or False",
    "str": "a string",
    "array": "an array of numbers",
}
#: What came back, as the end of "... was expected, not ...".
_GOT = {
    "bool": "a bool",
    "str": "a string",
    "dict": "a dict",
    "list": "a list",
    "int": "an int",
    "float": "a float",
}
#: The note on a comparison made as the reference gives it (a student's bundle has no
#: checks.py, so not the sheet's own comparator).
STRICT_NOTE = (
    "compared as the reference gives it; the final grade accepts the answers the sheet calls equal"
)


def _got(m: Mismatch) -> str:
    return _GOT.get(m.got_kind or "", "something else")


def _wrong_kind(m: Mismatch) -> str:
    if m.expected_kind == "record":
        wanted = f"a dict with the fields {', '.join(m.fields)}"
    else:
        wanted = _EXPECTED.get(m.expected_kind or "", "another kind of answer")
    return f"{wanted} was expected, not {_got(m)}"


def _returned_none(m: Mismatch) -> str:
    return "it is None" if m.path else "is a `return` statement missing?"


def _shape(shape: tuple[int, ...] | None) -> str:
    return str(tuple(shape or ()))


_MISMATCH: dict[str, Callable[[Mismatch], str]] = {
    "wrong_value": lambda m: "that is not the right value",
    "wrong_element": lambda m: f"element {list(m.index or ())} is not the right value",
    "not_finite": lambda m: "nan is never a correct answer",
    "returned_none": _returned_none,
    "wrong_kind": _wrong_kind,
    "not_a_number": lambda m: "that is not a number",
    "list_for_number": lambda m: f"one number was expected, not a list of length {m.got_count}",
    "number_for_vector": lambda m: "a vector was expected, not a single number",
    "nested_vector": lambda m: "a flat vector of numbers was expected, not a nested list",
    "wrong_length": lambda m: (
        f"a vector of length {m.expected_count} was expected, not of length {m.got_count}"
    ),
    "wrong_count": lambda m: f"{m.expected_count} items were expected, not {m.got_count}",
    "wrong_array_shape": lambda m: (
        f"an array of shape {_shape(m.expected_shape)} was expected, "
        f"not of shape {_shape(m.got_shape)}"
    ),
    "field_missing": lambda m: f"the field {m.field} is missing",
    "extra_field": lambda m: f"the sheet asks for no field {show(m.field, 40)}",
    "mixed_samples": lambda m: "its answers are not numbers of one shape",
    "not_comparable": lambda m: "that answer could not be compared with the reference",
    "comparator": lambda m: m.message or "that is not the right value",
}


def mismatch_text(mismatch: Mismatch, returned: Any = None) -> str:
    """Why an answer is wrong, after "returned X: ": where in the structure, what differs, and
    for a stochastic answer which statistic of its samples (``returned``, the statistic)."""
    text = _MISMATCH.get(mismatch.code, _MISMATCH["wrong_value"])(mismatch)
    if mismatch.statistic is not None:
        text = _statistic(mismatch, text, returned)
    where = ", ".join(
        f"field {step}" if isinstance(step, str) else f"item {step}" for step in mismatch.path
    )
    if where:
        text = f"{where}: {text}"
    if mismatch.strict:
        text = f"{text} ({STRICT_NOTE})"
    return text


def _statistic(mismatch: Mismatch, text: str, returned: Any) -> str:
    if mismatch.code != "wrong_value":
        return f"the {mismatch.statistic} of its answers: {text}"
    what = "standard deviation" if mismatch.statistic == "std" else mismatch.statistic
    if mismatch.message:  # judged in standard errors: how many, which way (``_statistics``)
        return f"the {what} of its answers is {show(returned)}: {mismatch.message}"
    tolerance = f"rtol {mismatch.rtol:g}, atol {mismatch.atol:g}"
    return f"the {what} of its answers is {show(returned)}, not the reference's ({tolerance})"


#: What a failed check with this reason code does, in a few words (after the function's name),
#: in the class report; the codes are those of ``grader.results._model.Reason``.
REASON_PHRASES = {
    "wrong_value": "returns a wrong value",
    "not_finite": "returns nan or inf where a finite number is expected",
    "wrong_shape": "returns an answer of the wrong shape",
    "wrong_type": "returns an answer of the wrong type",
    "returned_none": "returns None",
    "comparator": "returns answers the sheet's comparator does not accept",
    "raised": "raises an exception",
    "not_implemented": "is not implemented yet",
    "missing": "is missing",
    "timeout": "runs out of time",
    "kernel_died": "kills the kernel",
    "resource_limit": "hits a resource limit",
    "too_large": "returns an answer too large to read",
    "unreadable": "returns an answer the grader cannot read",
    "syntax_error": "sits in a cell with a syntax error",
    "imported": "is imported from a library, not written",
    "unpublished": "is a value whose answer the bundle does not hold (its type was checked)",
    "invalid_notebook": "is in a notebook that cannot be run",
    "grader_failed": "could not be graded",
    # A check stored without a reason (an earlier schema) is grouped by its status.
    "wrong": "returns wrong answers",
    "error": "raises an exception",
    "partial": "is right on some inputs only",
}


def reason_phrase(code: str) -> str:
    return REASON_PHRASES.get(code, code.replace("_", " "))
