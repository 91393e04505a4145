"""Profiles, dialogue history and suggestions on the graph server, shared by every app instance.

The SQLite :class:`~assistant.sessions.sqlite.SqliteSessionStore` shares sessions between the
processes of one machine.  This store keeps the same data, with the same
semantics, on the Bolt server the catalogue graph already lives on (the
user's Neo4j, or the embedded ArcadeDB), so every app instance configured
with that server sees the same sessions, and restarting an instance loses
nothing.  It runs over the :class:`~kg.store.GraphStore`'s driver and
through its managed transactions, so timeouts, retries and the mapping of a
server that is down are the graph's own.

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

import time
from collections.abc import Callable
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors

from assistant.errors import ProfileStoreUnavailable
from assistant.sessions.profile import UserProfile
from assistant.types import Recommendation
from kg.errors import GraphUnavailable
from kg.store import GraphStore

SESSION_LABEL = "ProfileSession"
UNIQUE_KEYS = [(SESSION_LABEL, "id")]

LOAD_PROFILE = "MATCH (s:ProfileSession {id: $session}) RETURN s.profile AS profile"
SAVE_PROFILE = "MERGE (s:ProfileSession {id: $session}) SET s.profile = $profile, s.updated_at = $at"
APPEND_TURN = (
    "MERGE (s:ProfileSession {id: $session}) SET s.turns = coalesce(s.turns, 0) + 1 "
    "CREATE (s)-[:HAS_TURN]->(t:DialogueTurn {position: s.turns - 1, role: $role, content: $content, at: $at}) "
    "RETURN t.position AS position"
)
HISTORY = (
    "MATCH (:ProfileSession {id: $session})-[:HAS_TURN]->(t:DialogueTurn) "
    "WITH t ORDER BY t.position DESC LIMIT $limit RETURN collect([t.position, t.role, t.content]) AS rows"
)
RESERVE_SHOWN = (
    "MERGE (s:ProfileSession {id: $session}) SET s.shown = coalesce(s.shown, 0) + $count "
    "RETURN s.shown - $count AS first"
)
DROP_RESUGGESTED = (
    "MATCH (:ProfileSession {id: $session})-[:HAS_SUGGESTION]->(g:StoredSuggestion) "
    "WHERE g.item_id IN $items DETACH DELETE g"
)
ADD_SUGGESTIONS = (
    "MATCH (s:ProfileSession {id: $session}) UNWIND range(0, size($items) - 1) AS x "
    "CREATE (s)-[:HAS_SUGGESTION]->(:StoredSuggestion "
    "{item_id: $items[x], turn: $turn, shown: $first + x, recommendation: $recommendations[x]})"
)
RECOMMENDATION = (
    "MATCH (:ProfileSession {id: $session})-[:HAS_SUGGESTION]->(g:StoredSuggestion {item_id: $item}) "
    "RETURN g.recommendation AS recommendation"
)
SUGGESTIONS = (
    "MATCH (:ProfileSession {id: $session})-[:HAS_SUGGESTION]->(g:StoredSuggestion) "
    "RETURN collect([g.turn, g.shown, g.item_id]) AS rows"
)
DELETE_SESSION_PARTS = "MATCH (:ProfileSession {id: $session})-[:HAS_TURN|HAS_SUGGESTION]->(x) DETACH DELETE x"
DELETE_SESSION = "MATCH (s:ProfileSession {id: $session}) DETACH DELETE s"


class GraphSessionStore:
    """The :class:`assistant.sessions.store.SessionStore` on a graph server, over an open :class:`GraphStore`.

    The graph connection is borrowed: whoever opened it closes it.
    Creating the store ensures the session id's uniqueness constraint, so a
    server that is down is reported here already.
    """

    def __init__(self, graph: GraphStore) -> None:
        self.graph = graph
        self._guard(lambda: graph.ensure_unique(UNIQUE_KEYS), "prepare")

    def load_profile(self, session_id: str) -> UserProfile:
        record = self._read(lambda tx: tx.run(LOAD_PROFILE, session=session_id).single(), "profile load")
        text = record["profile"] if record is not None else None
        return UserProfile.model_validate_json(text) if text is not None else UserProfile()

    def save_profile(self, session_id: str, profile: UserProfile) -> None:
        params = {"session": session_id, "profile": profile.model_dump_json(), "at": time.time()}
        self._write(lambda tx: tx.run(SAVE_PROFILE, params).consume(), "profile save")

    def append_turn(self, session_id: str, role: str, content: str) -> int:
        """Store one utterance; returns its position in the session."""
        params = {"session": session_id, "role": role, "content": content, "at": time.time()}
        record = self._write(lambda tx: tx.run(APPEND_TURN, params).single(strict=True), "turn append")
        return int(record["position"])

    def history(self, session_id: str, limit: int = 20) -> list[tuple[str, str]]:
        """The last ``limit`` (role, content) pairs, oldest first."""
        rows = self._read(lambda tx: _rows(tx, HISTORY, session=session_id, limit=int(limit)), "history")
        return [(role, content) for _, role, content in sorted(rows)]

    def save_recommendations(self, session_id: str, turn: int, recommendations: list[Recommendation]) -> None:
        """Store a turn's suggestions in the order shown; a re-suggested item keeps only its latest evidence."""
        if not recommendations:
            return
        items = [rec.item.id for rec in recommendations]
        params = {
            "session": session_id,
            "turn": int(turn),
            "items": items,
            "recommendations": [rec.model_dump_json() for rec in recommendations],
        }

        def work(tx: neo4j.ManagedTransaction) -> None:
            first = tx.run(RESERVE_SHOWN, session=session_id, count=len(items)).single(strict=True)["first"]
            tx.run(DROP_RESUGGESTED, session=session_id, items=items).consume()
            tx.run(ADD_SUGGESTIONS, params, first=first).consume()

        self._write(work, "suggestions save")

    def recommendation(self, session_id: str, item_id: str) -> Recommendation | None:
        """The stored suggestion of ``item_id`` in this session, if it was ever made."""
        record = self._read(lambda tx: tx.run(RECOMMENDATION, session=session_id, item=item_id).single(), "suggestion")
        return Recommendation.model_validate_json(record["recommendation"]) if record is not None else None

    def suggested_ids(self, session_id: str) -> list[str]:
        return [item_id for _, _, item_id in self._suggestions(session_id)]

    def last_suggestions(self, session_id: str) -> list[str]:
        """The items of the session's latest answer with suggestions, in the order they were shown."""
        rows = self._suggestions(session_id)
        latest = rows[-1][0] if rows else None
        return [item_id for turn, _, item_id in rows if turn == latest]

    def delete_session(self, session_id: str) -> None:
        """Forget everything about a session (privacy request): its profile, turns and suggestions."""

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(DELETE_SESSION_PARTS, session=session_id).consume()
            tx.run(DELETE_SESSION, session=session_id).consume()

        self._write(work, "session delete")

    def _suggestions(self, session_id: str) -> list[list]:
        """[turn, shown, item id] of every stored suggestion, by turn and then in the order shown."""
        return sorted(self._read(lambda tx: _rows(tx, SUGGESTIONS, session=session_id), "suggestions"))

    def _read(self, work: Callable[[neo4j.ManagedTransaction], Any], what: str) -> Any:
        return self._guard(lambda: self.graph.read(work, what=what), what)

    def _write(self, work: Callable[[neo4j.ManagedTransaction], Any], what: str) -> Any:
        try:
            return self._guard(lambda: self.graph.write(work, what=what), what)
        except neo4j_errors.ConstraintError:
            # Two instances created the same session at once, and a server whose MERGE takes no lock
            # (ArcadeDB) refused the second node.  It exists now, so a second try's MERGE finds it.
            return self._guard(lambda: self.graph.write(work, what=what), what)

    def _guard(self, call: Callable[[], Any], what: str) -> Any:
        try:
            return call()
        except GraphUnavailable as exc:
            raise ProfileStoreUnavailable(f"profiles are kept on the graph server, which failed ({what}): {exc}") from exc


def _rows(tx: neo4j.ManagedTransaction, query: str, **params: Any) -> list[list]:
    """A query's one record of collected rows (one Bolt record instead of one per row)."""
    record = tx.run(query, params).single()
    return list(record["rows"]) if record is not None else []
