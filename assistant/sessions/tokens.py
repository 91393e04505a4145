"""Ids the server issues, and tokens that prove the server issued them.

A browser keeps ``<id>.<HMAC-SHA256 of the id>``; a token whose signature
does not match, or whose id is not of the form the server issues, is
refused, so a forged or foreign token never names somebody else's data.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

BROWSER_PREFIX = "browser-"
SESSION_PREFIX = "web-"
USER_PREFIX = "user-"
ID_HEX_CHARS = 32
BROWSER_ID = re.compile(rf"{BROWSER_PREFIX}[0-9a-f]{{{ID_HEX_CHARS}}}")
SIGNATURE = re.compile(r"[0-9a-f]{64}")


def new_session_id() -> str:
    """A conversation's id: 128 random bits, so it cannot be guessed."""
    return f"{SESSION_PREFIX}{secrets.token_hex(ID_HEX_CHARS // 2)}"


def new_browser_id() -> str:
    """A browser's id: 128 random bits; the browser holds it only inside a signed token."""
    return f"{BROWSER_PREFIX}{secrets.token_hex(ID_HEX_CHARS // 2)}"


def user_id(username: str) -> str:
    """A logged-in user's id: the same on every device and instance, without the login name in the store."""
    digest = hashlib.sha256(username.encode("utf-8")).hexdigest()
    return f"{USER_PREFIX}{digest[:ID_HEX_CHARS]}"


def sign(key: bytes, browser_id: str) -> str:
    """The token a browser keeps for ``browser_id``."""
    return f"{browser_id}.{_signature(key, browser_id)}"


def verified(key: bytes, token: object) -> str | None:
    """The browser id a token names, or None when the server did not issue it (any shape, any signature)."""
    if not isinstance(token, str):
        return None
    browser_id, _, signature = token.partition(".")
    if not BROWSER_ID.fullmatch(browser_id) or not SIGNATURE.fullmatch(signature):
        return None
    return browser_id if hmac.compare_digest(signature, _signature(key, browser_id)) else None


def _signature(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
