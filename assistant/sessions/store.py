"""Where sessions live: what the assistant needs of any session store, and which one the settings choose.

:class:`~assistant.sessions.sqlite.SqliteSessionStore` shares sessions between
the processes of one machine, :class:`~assistant.sessions.graph.GraphSessionStore`
between machines (``profile_store="graph"``), and
:class:`~assistant.sessions.memory.InMemorySessionStore` keeps them for one
process only (fast tests, throwaway embeddings).
"""

from __future__ import annotations

from typing import Protocol

from assistant.errors import ProfileStoreUnavailable
from assistant.sessions.exchange import BeforeCommit, Exchange, nothing
from assistant.sessions.graph import GraphSessionStore
from assistant.sessions.profile import UserProfile
from assistant.sessions.sqlite import SqliteSessionStore
from assistant.settings import Settings
from assistant.types import Recommendation
from kg.store import GraphStore


class SessionStore(Protocol):
    """Profiles, dialogue turns and stored suggestions per session, as the assistant and the CLI use them."""

    def load_profile(self, session_id: str) -> UserProfile:
        """The session's profile; an empty one for a session never saved."""
        ...

    def save_profile(self, session_id: str, profile: UserProfile) -> None: ...

    def append_turn(self, session_id: str, role: str, content: str) -> int:
        """Store one utterance; returns its position, increasing within the session from 0."""
        ...

    def commit_turn(self, session_id: str, exchange: Exchange, before_commit: BeforeCommit = nothing) -> int:
        """Store one message's profile, user turn, suggestions and reply in one transaction: all or none.

        Returns the user turn's position; the suggestions are stored under it.
        """
        ...

    def history(self, session_id: str, limit: int = 20) -> list[tuple[str, str]]:
        """The last ``limit`` (role, content) pairs, oldest first."""
        ...

    def save_recommendations(self, session_id: str, turn: int, recommendations: list[Recommendation]) -> None:
        """Store a turn's suggestions in the order shown; a re-suggested item keeps only its latest evidence."""
        ...

    def recommendation(self, session_id: str, item_id: str) -> Recommendation | None: ...

    def suggested_ids(self, session_id: str) -> list[str]:
        """Every item suggested in the session, by turn and then in the order shown."""
        ...

    def last_suggestions(self, session_id: str) -> list[str]:
        """The items of the session's latest answer with suggestions, in the order they were shown."""
        ...

    def delete_session(self, session_id: str) -> None:
        """Forget everything about a session (privacy request)."""
        ...


def open_session_store(settings: Settings, graph: GraphStore | None) -> SessionStore:
    """The store ``settings.profile_store`` names; ``graph`` is the open graph connection (None: it is down).

    With ``"graph"`` and no graph the sessions cannot be reached, and falling
    back to a local file would split them from every other instance's, so
    that is an error rather than a fallback.
    """
    if settings.profile_store == "local":
        return SqliteSessionStore(settings.profile_db)
    if graph is None:
        raise ProfileStoreUnavailable.graph_down()
    return GraphSessionStore(graph)
