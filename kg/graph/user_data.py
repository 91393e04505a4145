"""What the graph keeps about people: their edges to catalogue items and their sessions.

Both are here so that what a privacy request must delete (:meth:`UserData.forget_user`,
:meth:`SessionData.delete_session`) sits beside what writes it.  Session data is
plain text to this module (the profile and suggestions as their JSON); the
assistant's :class:`~assistant.sessions.graph.GraphSessionStore` gives it meaning.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import neo4j
from neo4j import exceptions as neo4j_errors

from kg.graph import queries
from kg.graph.connection import GraphConnection
from kg.graph.queries import UserEdgeQueries
from kg.graph.rows import collected_rows
from kg.schema import OPPOSITE_EDGE, CatalogueSchema, UserEdge

T = TypeVar("T")

SESSION_KEYS = [(queries.SESSION_LABEL, "id")]
"""The session id's uniqueness constraint (with its index); turns and suggestions are reached from the session."""


class UserData:
    """A person's LIKED/DISLIKED/SEEN/RATED edges to items, keyed by the id the assistant gives them."""

    def __init__(self, connection: GraphConnection, schema: CatalogueSchema) -> None:
        self._connection = connection
        self._queries = UserEdgeQueries(schema)

    def record(self, user_id: str, item_id: str, kind: UserEdge, rating: float | None = None) -> None:
        """Record a user's LIKED/DISLIKED/SEEN edge to an item (plus RATED {rating, at} when rated).

        A LIKED removes an earlier DISLIKED of the same pair and vice versa.
        Raises ``KeyError`` when the item is not in the graph.
        """
        if kind not in OPPOSITE_EDGE:
            raise ValueError(f"kind must be one of {sorted(OPPOSITE_EDGE)}, got {kind!r}")
        if not isinstance(user_id, str) or not user_id:
            raise ValueError("user_id must be a non-empty string")
        if rating is not None and not math.isfinite(float(rating)):
            raise ValueError("rating must be a finite number")
        q = self._queries
        params = {
            "user": user_id,
            "item": item_id,
            "at": time.time(),
            "rating": None if rating is None else float(rating),
        }

        def work(tx: neo4j.ManagedTransaction) -> bool:
            if tx.run(q.record[kind], params).single() is None:
                return False
            if rating is not None:
                tx.run(q.record_rating, params).consume()
            return True

        if not self._connection.write(work, what="record"):
            raise KeyError(f"item {item_id!r} is not in the graph")

    def forget_user(self, user_id: str) -> None:
        """Delete a user's node and every edge it has (a privacy request)."""
        self._connection.write(lambda tx: tx.run(self._queries.forget_user, user=user_id).consume(), what="forget user")

    def user_edges(self, user_id: str) -> dict[str, set[str]]:
        """The user's recorded edges: relation type -> item ids (RATED included)."""
        rows = self._connection.read(
            lambda tx: tx.run(self._queries.user_edges, user=user_id).data(), what="user edges"
        )
        edges: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            edges[row["type"]].add(row["id"])
        return dict(edges)


@dataclass(frozen=True)
class TurnWrites:
    """What one message stores, as the text this module keeps (the profile and suggestions as their JSON)."""

    profile_json: str
    message: str
    reply: str
    item_ids: list[str]
    recommendations_json: list[str]


class SessionData:
    """Profiles, dialogue turns and stored suggestions per session, each call one managed transaction.

    The nodes are described, with how concurrent appends get distinct
    positions, in :mod:`assistant.sessions.graph`.
    """

    def __init__(self, connection: GraphConnection) -> None:
        self._connection = connection

    def load_profile(self, session_id: str) -> str | None:
        """The session's profile JSON; None for a session never saved."""

        def work(tx: neo4j.ManagedTransaction) -> str | None:
            record = tx.run(queries.LOAD_PROFILE, session=session_id).single()
            return record["profile"] if record is not None else None

        return self._connection.read(work, what="profile load")

    def save_profile(self, session_id: str, profile_json: str) -> None:
        params = {"session": session_id, "profile": profile_json, "at": time.time()}
        self._write(lambda tx: tx.run(queries.SAVE_PROFILE, params).consume(), "profile save")

    def append_turn(self, session_id: str, role: str, content: str) -> int:
        """Store one utterance; returns its position in the session, from 0."""
        params = {"session": session_id, "role": role, "content": content, "at": time.time()}
        position: int = self._write(
            lambda tx: tx.run(queries.APPEND_TURN, params).single(strict=True)["position"], "turn append"
        )
        return int(position)

    def history(self, session_id: str, limit: int) -> list[tuple[str, str]]:
        """The last ``limit`` (role, content) pairs, oldest first."""
        rows = self._connection.read(
            lambda tx: collected_rows(tx, queries.HISTORY, session=session_id, limit=int(limit)), what="history"
        )
        return [(role, content) for _, role, content in sorted(rows)]

    def save_suggestions(
        self, session_id: str, turn: int, item_ids: list[str], recommendations_json: list[str]
    ) -> None:
        """Store a turn's suggestions in the order shown; a re-suggested item keeps only its latest one."""
        self._write(
            lambda tx: _add_suggestions(tx, session_id, turn, item_ids, recommendations_json), "suggestions save"
        )

    def commit_turn(
        self,
        session_id: str,
        exchange: TurnWrites,
        before_commit: Callable[[], None],
    ) -> int:
        """One write transaction: the profile, the user turn, its suggestions and the reply, all or none.

        ``before_commit`` runs inside the transaction after its writes.  Returns the user turn's position.
        """

        def work(tx: neo4j.ManagedTransaction) -> int:
            at = time.time()
            tx.run(queries.SAVE_PROFILE, session=session_id, profile=exchange.profile_json, at=at).consume()
            turn = {"session": session_id, "at": at}
            position = int(
                tx.run(queries.APPEND_TURN, turn, role="user", content=exchange.message).single(strict=True)["position"]
            )
            if exchange.item_ids:
                _add_suggestions(tx, session_id, position, exchange.item_ids, exchange.recommendations_json)
            tx.run(queries.APPEND_TURN, turn, role="assistant", content=exchange.reply).consume()
            before_commit()
            return position

        return self._write(work, "turn commit")

    def recommendation(self, session_id: str, item_id: str) -> str | None:
        """The stored suggestion JSON of ``item_id`` in this session; None if it was never made."""

        def work(tx: neo4j.ManagedTransaction) -> str | None:
            record = tx.run(queries.RECOMMENDATION, session=session_id, item=item_id).single()
            return record["recommendation"] if record is not None else None

        return self._connection.read(work, what="suggestion")

    def suggestions(self, session_id: str) -> list[tuple[int, int, str]]:
        """(turn, shown, item id) of every stored suggestion, by turn and then in the order shown."""
        rows = self._connection.read(
            lambda tx: collected_rows(tx, queries.SUGGESTIONS, session=session_id), what="suggestions"
        )
        return sorted((int(turn), int(shown), item_id) for turn, shown, item_id in rows)

    def delete_session(self, session_id: str) -> None:
        """Forget everything about a session (privacy request): its profile, turns and suggestions."""

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(queries.DELETE_SESSION_PARTS, session=session_id).consume()
            tx.run(queries.DELETE_SESSION, session=session_id).consume()

        self._write(work, "session delete")

    def _write(self, work: Callable[[neo4j.ManagedTransaction], T], what: str) -> T:
        try:
            return self._connection.write(work, what=what)
        except neo4j_errors.ConstraintError:
            # Two instances created the same session at once, and a server whose MERGE takes no lock
            # (ArcadeDB) refused the second node.  It exists now, so a second try's MERGE finds it.
            return self._connection.write(work, what=what)


def _add_suggestions(
    tx: neo4j.ManagedTransaction, session_id: str, turn: int, item_ids: list[str], recommendations_json: list[str]
) -> None:
    first = tx.run(queries.RESERVE_SHOWN, session=session_id, count=len(item_ids)).single(strict=True)["first"]
    tx.run(queries.DROP_RESUGGESTED, session=session_id, items=item_ids).consume()
    params = {"session": session_id, "turn": int(turn), "items": item_ids, "recommendations": recommendations_json}
    tx.run(queries.ADD_SUGGESTIONS, params, first=first).consume()
