"""Likes, dislikes and seen marks mirrored into the graph as user edges; the session store stays authoritative."""

from __future__ import annotations

import logging

from assistant.sessions.profile import PreferenceDelta
from kg.store import GraphStore, GraphUnavailable, UserEdge

LOGGER = logging.getLogger(__name__)


class GraphMirror:
    """Writes a delta's item reactions as ``(:User)-[:LIKED|DISLIKED|SEEN]->(:Item)`` edges, when a graph is up."""

    def __init__(self, graph: GraphStore | None) -> None:
        self.graph = graph

    def record(self, session_id: str, delta: PreferenceDelta) -> None:
        """A graph that is down only loses the mirror, never the preference: it is logged and skipped."""
        if self.graph is None:
            return
        edges: list[tuple[str, UserEdge]] = [(item_id, "LIKED") for item_id in delta.liked_items]
        edges += [(item_id, "DISLIKED") for item_id in delta.disliked_items]
        edges += [(item_id, "SEEN") for item_id in delta.seen_items]
        try:
            for item_id, kind in edges:
                self.graph.record(session_id, item_id, kind)
        except GraphUnavailable as exc:
            LOGGER.warning("session %s, stage mirror: could not mirror feedback into the graph: %s", session_id, exc)

    def forget(self, session_id: str) -> None:
        """Delete the session's user edges; a graph that is down raises, so the caller keeps the session."""
        if self.graph is not None:
            self.graph.forget_user(session_id)
