"""The course secret: the key from which every student's variant is derived, and signed.

A file of at least :data:`MIN_BYTES` random bytes, named by ``--secret-file`` or by the
environment variable :data:`SECRET_ENV`. It lives outside the repository and never goes into a
bundle: whoever holds it can work out every student's numbers, and whoever loses it can no
longer re-derive them (the signed notebooks and ``manifest.csv`` still say what each student
got). ``grader secret new PATH`` writes one with mode 0600.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from grader.errors import VariantError

#: The environment variable naming the secret file when ``--secret-file`` is not given.
SECRET_ENV = "GRADER_COURSE_SECRET_FILE"
#: The shortest secret accepted (256 bits), and the length ``grader secret new`` writes.
MIN_BYTES = 32
NEW_BYTES = 64


@dataclass(frozen=True)
class CourseSecret:
    """The secret's bytes and the file they came from (never printed, never stored)."""

    key: bytes
    path: Path

    def __repr__(self) -> str:  # never in a traceback or a log
        return f"CourseSecret(path={str(self.path)!r})"


def secret_path(given: Path | None) -> Path | None:
    """The secret file: ``given`` (``--secret-file``), else the environment's, else None."""
    if given is not None:
        return given
    named = os.environ.get(SECRET_ENV, "").strip()
    return Path(named) if named else None


def load_secret(given: Path | None, why: str = "this assignment has [variants]") -> CourseSecret:
    """Read the course secret; :class:`VariantError` says what to do when there is none."""
    path = secret_path(given)
    if path is None:
        raise VariantError(
            f"{why}: the course secret is needed; pass --secret-file FILE or set {SECRET_ENV} "
            "(`grader secret new FILE` creates one)"
        )
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise VariantError(f"cannot read the course secret ({exc.strerror or exc})", path) from None
    if len(key) < MIN_BYTES:
        raise VariantError(
            f"a course secret needs at least {MIN_BYTES} random bytes, this file has {len(key)}",
            path,
        )
    return CourseSecret(key, path)


def new_secret(path: Path) -> Path:
    """Write a fresh secret to ``path`` (mode 0600); never over an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise VariantError(
            "already exists: a new secret would change every student's numbers; "
            "choose another path (or delete it on purpose)",
            path,
        ) from None
    except OSError as exc:
        raise VariantError(f"cannot create the secret ({exc.strerror or exc})", path) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(NEW_BYTES))
    return path.resolve()
