"""A variant in a notebook: ``{{ name }}`` placeholders rendered, the signed variant recorded in
``metadata.grader.variant``, and that record read back and judged against a student's own.

Code cells get each value as a Python literal (``repr``: ``0.5``, ``[1, 2]``, ``'text'``);
markdown and raw cells a readable number (``0.5``, ``1e-06``; at most 6 significant digits, so
give text values that need no more). A placeholder naming no value of ``[variants]`` is an
error, never left in a student's notebook.
"""

from __future__ import annotations

import copy
import hmac
from dataclasses import dataclass
from typing import Any

from grader.assignment._secret import CourseSecret
from grader.assignment._variants import (
    METADATA_KEY,
    Variant,
    digest_of,
    plain,
    signature_of,
)
from grader.errors import VariantError

_PLACEHOLDER_RE = r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}"


def placeholders(nb: Any) -> set[str]:
    """Every name a ``{{ name }}`` of the notebook's cells names."""
    import re

    found: set[str] = set()
    for cell in nb.get("cells", []):
        found.update(re.findall(_PLACEHOLDER_RE, _text(cell)))
    return found


def render_notebook(nb: Any, variant: Variant) -> Any:
    """A copy of ``nb`` with every placeholder replaced by the student's value and the variant
    recorded in its metadata; cell ids, tags and everything else kept."""
    unknown = placeholders(nb) - set(variant.values)
    if unknown:
        raise VariantError(
            f"the notebook uses {{{{ {sorted(unknown)[0]} }}}} but [variants] has no such value "
            f"(it has {', '.join(variant.values)})"
        )
    out = copy.deepcopy(nb)
    for cell in out.cells:
        code = cell.get("cell_type") == "code"
        cell["source"] = render_text(_text(cell), variant.values, code)
    out.metadata.setdefault(METADATA_KEY, {})["variant"] = variant.metadata()
    return out


def render_text(text: str, values: dict[str, Any], code: bool) -> str:
    import re

    shown = code_literal if code else prose
    return re.sub(_PLACEHOLDER_RE, lambda m: shown(values[m.group(1)]), text)


def code_literal(value: Any) -> str:
    """A value as Python source (JSON's lists are Python lists, its numbers Python's)."""
    return repr(value)


def prose(value: Any) -> str:
    """A value as a reader sees it: ``0.5``, ``3``, ``1e-06``, ``1, 2 and 3``."""
    if isinstance(value, list):
        items = [prose(v) for v in value]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, float):
        return format(value, ".6g")
    return str(value)


def _text(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


@dataclass(frozen=True)
class Claim:
    """What a submitted notebook says of its variant, judged with the secret: ``verdict`` is
    ``own`` (this student's, signed), ``other`` (another student's, signed: ``student``
    names them), ``forged`` (present but not signed by the course secret, or edited),
    ``missing`` (no variant in the metadata)."""

    verdict: str
    student: str = ""
    digest: str = ""
    #: The values it carries, where it is signed (``own`` or ``other``).
    values: dict[str, Any] | None = None


def notebook_claim(nb: Any, secret: CourseSecret, assignment: str, student: str) -> Claim:
    """Judge ``nb``'s ``metadata.grader.variant`` for the submission of ``student``."""
    meta = nb.get("metadata", {}) if isinstance(nb, dict) else {}
    grader = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    record = grader.get("variant") if isinstance(grader, dict) else None
    if record is None:
        return Claim("missing")
    if not isinstance(record, dict):
        return Claim("forged")
    who, values, signature = record.get("student"), record.get("values"), record.get("signature")
    if not (isinstance(who, str) and isinstance(values, dict) and isinstance(signature, str)):
        return Claim("forged")
    try:
        values = {str(k): plain(v) for k, v in values.items()}
        digest = digest_of(values)
        expected = signature_of(secret, assignment, who, values)
    except (ValueError, TypeError):
        return Claim("forged")
    if not hmac.compare_digest(expected, signature) or record.get("assignment") != assignment:
        return Claim("forged", digest=digest)
    return Claim("own" if who == student else "other", who, digest, values)
