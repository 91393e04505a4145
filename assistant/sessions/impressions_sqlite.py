"""The impression log in the profiles' SQLite file (tables made by migration 3 of :mod:`assistant.sessions.migrations`).

A reaction is checked and inserted in one ``BEGIN IMMEDIATE`` transaction, so
two processes replaying the same event count it once (the event id is the
primary key as well).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from assistant.sessions.impressions import Impression, Reaction, check_reaction
from assistant.sessions.sqlite import connected, prepared_file

IMPRESSION_COLUMNS = "list_id, session_id, item_id, position, score, context, propensity, explored, at"
REACTION_COLUMNS = "list_id, item_id, kind, session_id, event_id, at"


def _impression(row: Sequence[Any]) -> Impression:
    list_id, session_id, item_id, position, score, context, propensity, explored, at = row
    return Impression(
        list_id, session_id, item_id, int(position), score, json.loads(context), propensity, bool(explored), at
    )


class SqliteImpressionLog:
    """Over the same file as :class:`~assistant.sessions.sqlite.SqliteSessionStore`; a connection per operation."""

    def __init__(self, path: Path) -> None:
        self.path = prepared_file(path)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return connected(self.path, "synchronous=NORMAL")  # WAL: a power cut may lose the last events, never the file

    def log_list(self, impressions: Sequence[Impression]) -> None:
        with self._connect() as connection:
            connection.executemany(
                f"INSERT OR REPLACE INTO impressions ({IMPRESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        i.list_id,
                        i.session_id,
                        i.item_id,
                        i.position,
                        i.score,
                        json.dumps(i.context),
                        i.propensity,
                        int(i.explored),
                        i.at,
                    )
                    for i in impressions
                ],
            )

    def log_reaction(self, reaction: Reaction) -> Reaction:
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            rows = connection.execute(
                f"SELECT {IMPRESSION_COLUMNS} FROM impressions WHERE list_id = ?", (reaction.list_id,)
            ).fetchall()
            known = connection.execute("SELECT 1 FROM reactions WHERE event_id = ?", (reaction.event_id,)).fetchone()
            shown = [_impression(row) for row in rows]
            check_reaction(reaction, shown, known is not None)
            stored = Reaction(
                reaction.list_id, reaction.item_id, reaction.kind, shown[0].session_id, reaction.event_id, reaction.at
            )
            connection.execute(
                f"INSERT INTO reactions ({REACTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (stored.list_id, stored.item_id, stored.kind, stored.session_id, stored.event_id, stored.at),
            )
        return stored

    def latest_list_with(self, session_id: str, item_id: str) -> str | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT list_id FROM impressions WHERE session_id = ? AND item_id = ? ORDER BY at DESC, rowid DESC "
                "LIMIT 1",
                (session_id, item_id),
            ).fetchone()
        return row[0] if row else None

    def session_log(self, session_id: str) -> tuple[list[Impression], list[Reaction]]:
        with self._connect() as connection:
            shown = connection.execute(
                f"SELECT {IMPRESSION_COLUMNS} FROM impressions WHERE session_id = ? ORDER BY at, rowid", (session_id,)
            ).fetchall()
            reacted = connection.execute(
                f"SELECT {REACTION_COLUMNS} FROM reactions WHERE session_id = ? ORDER BY at, rowid", (session_id,)
            ).fetchall()
        return [_impression(row) for row in shown], [Reaction(*row) for row in reacted]

    def everything(self) -> tuple[list[Impression], list[Reaction]]:
        with self._connect() as connection:
            shown = connection.execute(f"SELECT {IMPRESSION_COLUMNS} FROM impressions ORDER BY at, rowid").fetchall()
            reacted = connection.execute(f"SELECT {REACTION_COLUMNS} FROM reactions ORDER BY at, rowid").fetchall()
        return [_impression(row) for row in shown], [Reaction(*row) for row in reacted]

    def delete_session(self, session_id: str) -> None:
        with self._connect() as connection:
            connection.execute("DELETE FROM impressions WHERE session_id = ?", (session_id,))
            connection.execute("DELETE FROM reactions WHERE session_id = ?", (session_id,))
