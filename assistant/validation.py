"""Checks on what callers pass in: one clear :class:`~assistant.errors.InvalidInput`, and nothing written."""

from __future__ import annotations

from assistant.errors import InvalidInput

MAX_SESSION_ID_CHARS = 128


def checked_session(session_id: str) -> str:
    """The session id without surrounding spaces."""
    if not isinstance(session_id, str) or not session_id.strip():
        raise InvalidInput("session id must be a non-empty string")
    if len(session_id) > MAX_SESSION_ID_CHARS:
        raise InvalidInput(f"session id is longer than {MAX_SESSION_ID_CHARS} characters")
    return session_id.strip()


def checked_message(text: str, max_chars: int) -> str:
    """The message without surrounding spaces."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("the message is empty")
    if len(text) > max_chars:
        raise InvalidInput(f"the message has {len(text)} characters; the limit is {max_chars}")
    return text.strip()
