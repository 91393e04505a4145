"""Who a visitor is, and which conversations are theirs: what lets a person come back, and be forgotten whole.

The owner of a conversation is a logged-in user or, without login, a
browser that keeps a signed token.  Each owner's conversations are listed,
newest last, in the session store itself (as the turns of a pseudo-session
``owner-<owner id>``), so every app instance that shares the sessions shares
the list, and "Forget me" can delete every conversation a person had, not
only the one on screen.  The browser never names a conversation itself: it
presents its token, and the server looks the conversation up.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from assistant.sessions.store import SessionStore
from assistant.sessions.tokens import USER_PREFIX, new_browser_id, new_session_id, sign, user_id, verified

OWNER_PREFIX = "owner-"
ENTRY_ROLE = "session"
MAX_LISTED = 100_000
"""Far more conversations than one person starts; the list is read whole when forgetting."""


@dataclass(frozen=True)
class Visit:
    """A person at the UI: whose data it is, the conversation on screen, and the token their browser keeps."""

    owner: str
    session_id: str
    token: str | None
    """What the browser stores; None for a logged-in user, whose login is the key."""

    @property
    def logged_in(self) -> bool:
        return self.owner.startswith(USER_PREFIX)


class Visitors:
    """Issues and checks browser tokens and keeps each owner's conversations, over any :class:`SessionStore`."""

    def __init__(self, sessions: SessionStore, key: bytes) -> None:
        self._sessions = sessions
        self._key = key

    @property
    def browser_storage_secret(self) -> str:
        """The key Gradio encrypts the browser's storage with: the page hands it to the browser, so it is derived
        from the signing key, never the key itself; it is stable, so a stored token survives a restart."""
        return hmac.new(self._key, b"browser-storage", hashlib.sha256).hexdigest()

    def arrive(self, username: str | None, token: object) -> Visit:
        """The visit of a logged-in user, or of a browser by its token.

        A token the server did not sign starts a new browser, and so does a
        signed one whose browser was forgotten (a browser is listed from the
        moment its token is issued), so a forgotten token stays dead.
        """
        if username:
            owner = user_id(username)
            current = self._current(owner)
            return current or self.start(Visit(owner=owner, session_id="", token=None))
        browser = verified(self._key, token)
        current = self._current(browser) if browser is not None else None
        return current or self.start(Visit(owner=new_browser_id(), session_id="", token=None))

    def start(self, visit: Visit) -> Visit:
        """A fresh conversation for the same owner, from now on the one they return to."""
        session_id = new_session_id()
        self._sessions.append_turn(_listing(visit.owner), ENTRY_ROLE, session_id)
        token = None if visit.logged_in else sign(self._key, visit.owner)
        return Visit(owner=visit.owner, session_id=session_id, token=token)

    def sessions_of(self, visit: Visit) -> list[str]:
        """Every conversation the owner started, oldest first, the one on screen included."""
        listed = [content for _, content in self._sessions.history(_listing(visit.owner), MAX_LISTED)]
        return list(dict.fromkeys([*listed, visit.session_id]))

    def forget_owner(self, visit: Visit) -> None:
        """Delete the owner's list of conversations (delete the conversations first)."""
        self._sessions.delete_session(_listing(visit.owner))

    def _current(self, owner: str) -> Visit | None:
        """The owner's latest conversation; None when they have none listed."""
        listed = self._sessions.history(_listing(owner), 1)
        if not listed:
            return None
        token = None if owner.startswith(USER_PREFIX) else sign(self._key, owner)
        return Visit(owner=owner, session_id=listed[-1][1], token=token)


def _listing(owner: str) -> str:
    return f"{OWNER_PREFIX}{owner}"
