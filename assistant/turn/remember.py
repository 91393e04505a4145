"""Stage 2, remember: the delta is applied to the profile and saved before anything else happens.

A crash later in the turn therefore loses no preference.  This stage owns
every write of a turn: the profile and the user's message now, the
suggestions and the assistant's text once the reply is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.sessions.mirror import GraphMirror
from assistant.sessions.profile import PreferenceDelta, UserProfile
from assistant.sessions.store import SessionStore
from assistant.types import Recommendation


@dataclass(frozen=True)
class Remembered:
    profile: UserProfile
    turn: int


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
        """Save the profile with ``delta`` applied, then mirror the item reactions into the graph."""
        profile = self.sessions.load_profile(session_id).apply(delta)
        self.sessions.save_profile(session_id, profile)
        self.mirror.record(session_id, delta)
        return profile

    def run(self, session_id: str, message: str, delta: PreferenceDelta) -> Remembered:
        profile = self.apply(session_id, delta)
        return Remembered(profile=profile, turn=self.sessions.append_turn(session_id, "user", message))

    def record_reply(self, session_id: str, turn: int, recommendations: Sequence[Recommendation], text: str) -> None:
        """Store what was suggested (the evidence "why?" answers from) and the assistant's text."""
        if recommendations:
            self.sessions.save_recommendations(session_id, turn, list(recommendations))
        self.sessions.append_turn(session_id, "assistant", text)
