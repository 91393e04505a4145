"""Profiles, dialogue history and suggestions on the graph server, shared by every app instance.

The SQLite :class:`~assistant.sessions.sqlite.SqliteSessionStore` shares sessions between the
processes of one machine.  This store keeps the same data, with the same
semantics, on the Bolt server the catalogue graph already lives on (the
user's Neo4j, or the embedded ArcadeDB), so every app instance configured
with that server sees the same sessions, and restarting an instance loses
nothing.  It runs over the :class:`~kg.store.GraphStore`'s connection and
through the units of work of :class:`kg.graph.user_data.SessionData`, so
timeouts, retries and the mapping of a server that is down are the graph's
own, and its Cypher is in :mod:`kg.graph.queries`.

Shape (labels and relationship types of its own; nothing links it to the
catalogue graph)::

    (:ProfileSession {id, profile, updated_at, turns, shown})
    (:ProfileSession)-[:HAS_TURN]->(:DialogueTurn {position, role, content, at})
    (:ProfileSession)-[:HAS_SUGGESTION]->(:StoredSuggestion {item_id, turn, shown, recommendation})

``id`` is unique (a constraint with its index); turns and suggestions are
reached from their session node, so they need no index of their own.
``turns`` and ``shown`` count what the session has stored, and give turns
their positions and suggestions their order; the count is raised with
``SET s.n = coalesce(s.n, 0) + k``, for which Neo4j takes the session's
write lock before reading, and on which ArcadeDB's optimistic transactions
conflict and are retried by the driver, so two instances appending to one
session at once get distinct positions.  Every text (session ids,
utterances, JSON) travels as a query parameter, never inside the Cypher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from assistant.errors import ProfileStoreUnavailable
from assistant.sessions.exchange import BeforeCommit, Exchange, nothing
from assistant.sessions.profile import UserProfile
from assistant.types import Recommendation
from kg.errors import GraphUnavailable
from kg.graph.user_data import SessionData, TurnWrites
from kg.store import GraphStore

T = TypeVar("T")


class GraphSessionStore:
    """The :class:`assistant.sessions.store.SessionStore` on a graph server, over an open :class:`GraphStore`.

    The graph connection is borrowed: whoever opened it closes it.
    Creating the store brings the graph's schema up to date (the session id's
    uniqueness constraint included; a graph from newer code is refused), so a
    server that is down is reported here already.
    """

    def __init__(self, graph: GraphStore) -> None:
        self.graph = graph
        self._sessions = SessionData(graph.connection)
        self._guard(graph.migrate, "prepare")  # the session id's constraint is among the migrations

    def load_profile(self, session_id: str) -> UserProfile:
        text = self._guard(lambda: self._sessions.load_profile(session_id), "profile load")
        return UserProfile.model_validate_json(text) if text is not None else UserProfile()

    def save_profile(self, session_id: str, profile: UserProfile) -> None:
        self._guard(lambda: self._sessions.save_profile(session_id, profile.model_dump_json()), "profile save")

    def append_turn(self, session_id: str, role: str, content: str) -> int:
        """Store one utterance; returns its position in the session."""
        return self._guard(lambda: self._sessions.append_turn(session_id, role, content), "turn append")

    def commit_turn(self, session_id: str, exchange: Exchange, before_commit: BeforeCommit = nothing) -> int:
        """One write transaction on the server (a transaction function): the whole message, or nothing of it."""
        writes = TurnWrites(
            profile_json=exchange.profile.model_dump_json(),
            message=exchange.message,
            reply=exchange.reply,
            item_ids=[rec.item.id for rec in exchange.recommendations],
            recommendations_json=[rec.model_dump_json() for rec in exchange.recommendations],
        )
        return self._guard(lambda: self._sessions.commit_turn(session_id, writes, before_commit), "turn commit")

    def history(self, session_id: str, limit: int = 20) -> list[tuple[str, str]]:
        """The last ``limit`` (role, content) pairs, oldest first."""
        return self._guard(lambda: self._sessions.history(session_id, limit), "history")

    def save_recommendations(self, session_id: str, turn: int, recommendations: list[Recommendation]) -> None:
        """Store a turn's suggestions in the order shown; a re-suggested item keeps only its latest evidence."""
        if not recommendations:
            return
        items = [rec.item.id for rec in recommendations]
        texts = [rec.model_dump_json() for rec in recommendations]
        self._guard(lambda: self._sessions.save_suggestions(session_id, turn, items, texts), "suggestions save")

    def recommendation(self, session_id: str, item_id: str) -> Recommendation | None:
        """The stored suggestion of ``item_id`` in this session, if it was ever made."""
        text = self._guard(lambda: self._sessions.recommendation(session_id, item_id), "suggestion")
        return Recommendation.model_validate_json(text) if text is not None else None

    def suggested_ids(self, session_id: str) -> list[str]:
        return [item_id for _, _, item_id in self._suggestions(session_id)]

    def last_suggestions(self, session_id: str) -> list[str]:
        """The items of the session's latest answer with suggestions, in the order they were shown."""
        rows = self._suggestions(session_id)
        latest = rows[-1][0] if rows else None
        return [item_id for turn, _, item_id in rows if turn == latest]

    def delete_session(self, session_id: str) -> None:
        """Forget everything about a session (privacy request): its profile, turns and suggestions."""
        self._guard(lambda: self._sessions.delete_session(session_id), "session delete")

    def _suggestions(self, session_id: str) -> list[tuple[int, int, str]]:
        """(turn, shown, item id) of every stored suggestion, by turn and then in the order shown."""
        return self._guard(lambda: self._sessions.suggestions(session_id), "suggestions")

    def _guard(self, call: Callable[[], T], what: str) -> T:
        try:
            return call()
        except GraphUnavailable as exc:
            raise ProfileStoreUnavailable(
                f"profiles are kept on the graph server, which failed ({what}): {exc}"
            ) from exc
