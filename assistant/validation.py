"""Checks on what callers pass in, the same at every door (API, CLI, UI, LangChain, MCP).

Each check raises one :class:`~assistant.errors.InvalidInput` that says what is
wrong, before anything is read or written.  A lone surrogate is what Python
makes of bytes that are not UTF-8 (a command line, a pipe), and it cannot be
stored, so it is refused as "not valid UTF-8" here rather than failing later
in a store.  Control characters other than tab and line breaks have no place
in what a person types.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Container
from typing import Literal, cast, get_args

from assistant.errors import InvalidInput

MAX_SESSION_ID_CHARS = 128
FeedbackKind = Literal["liked", "disliked", "seen"]
FEEDBACK_KINDS: tuple[str, ...] = get_args(FeedbackKind)
ALLOWED_CONTROLS = frozenset("\t\n\r")
PATH_SEPARATORS = frozenset("/\\")


def checked_session(session_id: object) -> str:
    """The session id without surrounding spaces: no path separator, no control character."""
    if not isinstance(session_id, str) or not session_id.strip():
        raise InvalidInput("session id must be a non-empty string")
    _plain_text(session_id, "session id", allowed_controls=frozenset())
    if PATH_SEPARATORS & set(session_id):
        raise InvalidInput("session id must not contain '/' or '\\'")
    if len(session_id) > MAX_SESSION_ID_CHARS:
        raise InvalidInput(f"session id is longer than {MAX_SESSION_ID_CHARS} characters")
    return session_id.strip()


def checked_message(text: object, max_chars: int) -> str:
    """The message without surrounding spaces: valid UTF-8 text, no control character, within the limit."""
    if not isinstance(text, str):
        raise InvalidInput("the message must be text")
    _plain_text(text, "the message")
    if not text.strip():
        raise InvalidInput("the message is empty")
    if len(text) > max_chars:
        raise InvalidInput(f"the message has {len(text)} characters; the limit is {max_chars}")
    return text.strip()


def checked_item(item_id: object, catalogue_ids: Container[str]) -> str:
    """An id of an item in the catalogue."""
    if not isinstance(item_id, str) or not item_id.strip():
        raise InvalidInput("item id must be a non-empty string")
    _plain_text(item_id, "item id", allowed_controls=frozenset())
    if item_id not in catalogue_ids:
        raise InvalidInput(f"there is no item with id {item_id!r} in the catalogue")
    return item_id


def checked_feedback(kind: object) -> FeedbackKind:
    if kind not in FEEDBACK_KINDS:
        raise InvalidInput(f"feedback must be liked, disliked or seen, not {kind!r}")
    return cast(FeedbackKind, kind)


def _plain_text(text: str, what: str, allowed_controls: frozenset[str] = ALLOWED_CONTROLS) -> None:
    for position, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cs":
            raise InvalidInput(f"{what} is not valid UTF-8 text (undecodable bytes at character {position + 1})")
        if category == "Cc" and char not in allowed_controls:
            raise InvalidInput(f"{what} contains a control character ({ord(char):#04x}) at character {position + 1}")
