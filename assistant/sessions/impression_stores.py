"""Which impression log goes with which session store: the log lives where the profiles live."""

from __future__ import annotations

from assistant.sessions.graph import GraphSessionStore
from assistant.sessions.impressions import ImpressionLog, InMemoryImpressionLog
from assistant.sessions.impressions_graph import GraphImpressionLog
from assistant.sessions.impressions_sqlite import SqliteImpressionLog
from assistant.sessions.sqlite import SqliteSessionStore


def impression_log_for(sessions: object) -> ImpressionLog:
    """The SQLite file's log, the graph server's, or (for in-memory sessions) one in this process."""
    if isinstance(sessions, SqliteSessionStore):
        return SqliteImpressionLog(sessions.path)
    if isinstance(sessions, GraphSessionStore):
        return GraphImpressionLog(sessions.graph)
    return InMemoryImpressionLog()
