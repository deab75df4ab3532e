"""Who is marking: a login link per teaching assistant, and the CSRF token of their forms.

A link carries a random token; the store keeps only its SHA-256 (``tas`` table), so a copy of
``results.sqlite`` lets no one in. Following the link sets the token as an HttpOnly,
SameSite=Strict cookie and redirects to a URL without it (out of the history and of any
Referer). Each form carries a CSRF token derived from the login token (an HMAC), checked on
every POST: a page elsewhere cannot make a logged-in browser save a mark.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from grader.results._folder import OutputFolder

#: The cookie holding a teaching assistant's login token.
COOKIE = "grader_ta"
#: Who ``grader serve`` logs in (a new token each start); ``--add-ta`` adds the others.
INSTRUCTOR = "instructor"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_login(folder: OutputFolder, name: str) -> str:
    """A new token for ``name`` (any earlier one of theirs stops working)."""
    token = secrets.token_urlsafe(24)
    store = folder.existing_store()
    try:
        store.put_ta(name, token_hash(token))
    finally:
        store.close()
    return token


def login_url(host: str, port: int, token: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/login?token={token}"


def csrf_token(token: str) -> str:
    return hmac.new(token.encode(), b"grader-serve-csrf", hashlib.sha256).hexdigest()


def csrf_ok(token: str, given: str) -> bool:
    return hmac.compare_digest(csrf_token(token), given)
