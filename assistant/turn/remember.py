"""Stage 2, remember: the delta is applied to the profile; the whole message is stored once its reply is written.

This stage owns every write of a turn.  The profile with the delta, the
user's message, the suggestions and the assistant's text are committed by
:meth:`RememberStage.commit` as one unit (one transaction of the session
store), so a failure or a kill anywhere in the turn leaves the session as it
was before the message or as it is after it, never between.  The graph's
mirror of the likes is written after the commit: it is a copy, and the
session store stays authoritative.
"""

from __future__ import annotations

from assistant.sessions.exchange import Exchange
from assistant.sessions.mirror import GraphMirror
from assistant.sessions.profile import PreferenceDelta, UserProfile
from assistant.sessions.store import SessionStore
from assistant.turn.crash import StageCrash
from assistant.types import Recommendation


class RememberStage:
    def __init__(self, sessions: SessionStore, mirror: GraphMirror) -> None:
        self.sessions = sessions
        self.mirror = mirror

    def last_suggestions(self, session_id: str) -> list[str]:
        """What "the second one" or "that one" can point at."""
        return self.sessions.last_suggestions(session_id)

    def suggested_ids(self, session_id: str) -> list[str]:
        """Everything suggested in the session, for "show me others"."""
        return self.sessions.suggested_ids(session_id)

    def stored(self, session_id: str, item_id: str) -> Recommendation | None:
        """The suggestion of ``item_id`` as it was made, with its evidence, for "why?"."""
        return self.sessions.recommendation(session_id, item_id)

    def apply(self, session_id: str, delta: PreferenceDelta) -> UserProfile:
        """Save the profile with ``delta`` applied, then mirror the item reactions (feedback outside a turn)."""
        profile = self.sessions.load_profile(session_id).apply(delta)
        self.sessions.save_profile(session_id, profile)
        self.mirror.record(session_id, delta)
        return profile

    def run(self, session_id: str, delta: PreferenceDelta) -> UserProfile:
        """The profile the rest of the turn works with: the stored one with ``delta`` applied, not yet saved."""
        return self.sessions.load_profile(session_id).apply(delta)

    def commit(self, session_id: str, exchange: Exchange, delta: PreferenceDelta, crash: StageCrash) -> int:
        """Store the whole message in one transaction, then mirror its item reactions; the user turn's position."""
        turn = self.sessions.commit_turn(session_id, exchange, lambda: crash.reached("commit"))
        crash.reached("mirror")
        self.mirror.record(session_id, delta)
        return turn
