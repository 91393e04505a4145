"""Durable sessions in one SQLite file (WAL mode), shared by the processes of one machine.

Every app instance on a machine opens the same file, so sessions survive
restarts; WAL lets readers proceed while a writer commits.  A short-lived
connection per operation keeps the store thread-safe.  The tables are made,
and an older file brought up to date, by :mod:`assistant.sessions.migrations`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from assistant.sessions.exchange import BeforeCommit, Exchange, nothing
from assistant.sessions.migrations import migrate
from assistant.sessions.profile import UserProfile
from assistant.types import Recommendation


def prepared_file(path: Path) -> Path:
    """The sessions file, created if missing, migrated to this code's schema and in WAL mode."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    migrate(path)  # first: a file from newer code is refused before anything is written to it
    with connected(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    return path


@contextmanager
def connected(path: Path, *pragmas: str) -> Iterator[sqlite3.Connection]:
    """A short-lived connection, one transaction, then closed: what keeps every user of the file thread-safe."""
    connection = sqlite3.connect(path, timeout=30.0)
    try:
        connection.execute("PRAGMA busy_timeout=30000")
        for pragma in pragmas:
            connection.execute(f"PRAGMA {pragma}")
        with connection:
            yield connection
    finally:
        connection.close()


class SqliteSessionStore:
    """One SQLite file; a short-lived connection per operation keeps it thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = prepared_file(path)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return connected(self.path)

    def load_profile(self, session_id: str) -> UserProfile:
        with self._connect() as connection:
            row = connection.execute("SELECT profile FROM profiles WHERE session_id = ?", (session_id,)).fetchone()
        return UserProfile.model_validate_json(row[0]) if row else UserProfile()

    def save_profile(self, session_id: str, profile: UserProfile) -> None:
        with self._connect() as connection:
            _save_profile(connection, session_id, profile)

    def append_turn(self, session_id: str, role: str, content: str) -> int:
        """Store one utterance; returns its position in the session."""
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")  # the position read and the insert, with no writer between
            return _append_turn(connection, session_id, role, content)

    def commit_turn(self, session_id: str, exchange: Exchange, before_commit: BeforeCommit = nothing) -> int:
        """One transaction: the profile, the user turn, its suggestions and the reply commit together or not at all."""
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            _save_profile(connection, session_id, exchange.profile)
            position = _append_turn(connection, session_id, "user", exchange.message)
            _save_recommendations(connection, session_id, position, exchange.recommendations)
            _append_turn(connection, session_id, "assistant", exchange.reply)
            before_commit()
        return position

    def history(self, session_id: str, limit: int = 20) -> list[tuple[str, str]]:
        """The last ``limit`` (role, content) pairs, oldest first."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT role, content FROM turns WHERE session_id = ? ORDER BY position DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [(role, content) for role, content in reversed(rows)]

    def save_recommendations(self, session_id: str, turn: int, recommendations: list[Recommendation]) -> None:
        """Store a turn's suggestions in the order shown; a re-suggested item keeps only its latest evidence."""
        with self._connect() as connection:
            _save_recommendations(connection, session_id, turn, recommendations)

    def recommendation(self, session_id: str, item_id: str) -> Recommendation | None:
        """The stored suggestion of ``item_id`` in this session, if it was ever made."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT recommendation FROM suggestions WHERE session_id = ? AND item_id = ?", (session_id, item_id)
            ).fetchone()
        return Recommendation.model_validate_json(row[0]) if row else None

    def suggested_ids(self, session_id: str) -> list[str]:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT item_id FROM suggestions WHERE session_id = ? ORDER BY turn, rowid", (session_id,)
            ).fetchall()
        return [item_id for (item_id,) in rows]

    def last_suggestions(self, session_id: str) -> list[str]:
        """The items of the session's latest answer with suggestions, in the order they were shown."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT item_id FROM suggestions WHERE session_id = ? AND turn = "
                "(SELECT max(turn) FROM suggestions WHERE session_id = ?) ORDER BY rowid",
                (session_id, session_id),
            ).fetchall()
        return [item_id for (item_id,) in rows]

    def delete_session(self, session_id: str) -> None:
        """Forget everything about a session (privacy request)."""
        with self._connect() as connection:
            connection.execute("DELETE FROM profiles WHERE session_id = ?", (session_id,))
            connection.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            connection.execute("DELETE FROM suggestions WHERE session_id = ?", (session_id,))


def _save_profile(connection: sqlite3.Connection, session_id: str, profile: UserProfile) -> None:
    connection.execute(
        "INSERT INTO profiles (session_id, profile, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(session_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at",
        (session_id, profile.model_dump_json(), time.time()),
    )


def _append_turn(connection: sqlite3.Connection, session_id: str, role: str, content: str) -> int:
    (position,) = connection.execute(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM turns WHERE session_id = ?", (session_id,)
    ).fetchone()
    connection.execute(
        "INSERT INTO turns (session_id, position, role, content, at) VALUES (?, ?, ?, ?, ?)",
        (session_id, position, role, content, time.time()),
    )
    return int(position)


def _save_recommendations(
    connection: sqlite3.Connection, session_id: str, turn: int, recommendations: Sequence[Recommendation]
) -> None:
    connection.executemany(
        "DELETE FROM suggestions WHERE session_id = ? AND item_id = ?",
        [(session_id, rec.item.id) for rec in recommendations],
    )
    connection.executemany(
        "INSERT INTO suggestions (session_id, item_id, turn, recommendation) VALUES (?, ?, ?, ?)",
        [(session_id, rec.item.id, turn, rec.model_dump_json()) for rec in recommendations],
    )
