"""Sessions kept in this process only: for throwaway embeddings and the fast test tier.

It keeps the :class:`~assistant.sessions.store.SessionStore` semantics of the
durable stores (positions from 0, a re-suggested item keeps only its latest
evidence, the last answer's items in the order shown) without touching disk.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.sessions.exchange import BeforeCommit, Exchange, nothing
from assistant.sessions.profile import UserProfile
from assistant.types import Recommendation


@dataclass
class _Session:
    profile: UserProfile = field(default_factory=UserProfile)
    turns: list[tuple[str, str]] = field(default_factory=list)
    suggestions: list[tuple[int, Recommendation]] = field(default_factory=list)


class InMemorySessionStore:
    """Every session in a dictionary guarded by one lock; gone when the process ends."""

    def __init__(self) -> None:
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def _session(self, session_id: str) -> _Session:
        return self._sessions.setdefault(session_id, _Session())

    def load_profile(self, session_id: str) -> UserProfile:
        with self._lock:
            session = self._sessions.get(session_id)
            return session.profile if session is not None else UserProfile()

    def save_profile(self, session_id: str, profile: UserProfile) -> None:
        with self._lock:
            self._session(session_id).profile = profile

    def append_turn(self, session_id: str, role: str, content: str) -> int:
        with self._lock:
            turns = self._session(session_id).turns
            turns.append((role, content))
            return len(turns) - 1

    def commit_turn(self, session_id: str, exchange: Exchange, before_commit: BeforeCommit = nothing) -> int:
        """The session after the message is built aside and put in place in one step, so a failure leaves the old."""
        with self._lock:
            before = self._sessions.get(session_id, _Session())
            position = len(before.turns)
            after = _Session(
                profile=exchange.profile,
                turns=[*before.turns, ("user", exchange.message), ("assistant", exchange.reply)],
                suggestions=_with_suggestions(before.suggestions, position, exchange.recommendations),
            )
            before_commit()
            self._sessions[session_id] = after
            return position

    def history(self, session_id: str, limit: int = 20) -> list[tuple[str, str]]:
        with self._lock:
            session = self._sessions.get(session_id)
            return list(session.turns[-limit:]) if session is not None and limit > 0 else []

    def save_recommendations(self, session_id: str, turn: int, recommendations: list[Recommendation]) -> None:
        with self._lock:
            session = self._session(session_id)
            session.suggestions = _with_suggestions(session.suggestions, turn, recommendations)

    def recommendation(self, session_id: str, item_id: str) -> Recommendation | None:
        with self._lock:
            session = self._sessions.get(session_id)
            found = [rec for _, rec in session.suggestions if rec.item.id == item_id] if session is not None else []
            return found[0] if found else None

    def suggested_ids(self, session_id: str) -> list[str]:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return []
            ordered = sorted(enumerate(session.suggestions), key=lambda entry: (entry[1][0], entry[0]))
            return [rec.item.id for _, (_, rec) in ordered]

    def last_suggestions(self, session_id: str) -> list[str]:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or not session.suggestions:
                return []
            last = max(turn for turn, _ in session.suggestions)
            return [rec.item.id for turn, rec in session.suggestions if turn == last]

    def delete_session(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)


def _with_suggestions(
    stored: list[tuple[int, Recommendation]], turn: int, recommendations: Sequence[Recommendation]
) -> list[tuple[int, Recommendation]]:
    """``stored`` with a turn's suggestions added; a re-suggested item keeps only its latest evidence."""
    resuggested = {rec.item.id for rec in recommendations}
    return [entry for entry in stored if entry[1].item.id not in resuggested] + [(turn, rec) for rec in recommendations]
