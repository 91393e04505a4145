"""The profile store's schema version, and the migrations that bring an older SQLite file up to it on open.

As simonw/llm keeps its logs: an ordered list of migrations, each applied
once, in order, and never edited after release (a change is a new one at the
end).  The version a file is at is SQLite's own ``PRAGMA user_version``; a
file written before versions existed reads 0.  All pending migrations and the
new version commit in one ``BEGIN IMMEDIATE`` transaction (SQLite's DDL is
transactional), so two processes opening an old file at once migrate it once,
and a failure leaves the file as it was.  A file at a version this code does
not know was written by newer code: it is refused, never written to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from kg.errors import StoreNewerThanCode

Migration = Callable[[sqlite3.Connection], None]


def _m001_sessions(connection: sqlite3.Connection) -> None:
    """Profiles, turns and suggestions, as every store before schema versions already has them."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS profiles (session_id TEXT PRIMARY KEY, profile TEXT NOT NULL, "
        "updated_at REAL NOT NULL)"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS turns (session_id TEXT NOT NULL, position INTEGER NOT NULL, role TEXT NOT NULL, "
        "content TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (session_id, position))"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS suggestions (session_id TEXT NOT NULL, item_id TEXT NOT NULL, "
        "turn INTEGER NOT NULL, recommendation TEXT NOT NULL, PRIMARY KEY (session_id, item_id))"
    )


def _m002_suggestions_by_turn(connection: sqlite3.Connection) -> None:
    """A session's suggestions by turn, read by "the last list" and "everything suggested" without a sort."""
    connection.execute("CREATE INDEX IF NOT EXISTS suggestions_by_turn ON suggestions (session_id, turn)")


def _m003_impression_log(connection: sqlite3.Connection) -> None:
    """The lists shown and the reactions to them, which the learning policy is trained on."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS impressions (list_id TEXT NOT NULL, session_id TEXT NOT NULL, "
        "item_id TEXT NOT NULL, position INTEGER NOT NULL, score REAL NOT NULL, context TEXT NOT NULL, "
        "propensity REAL NOT NULL, explored INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (list_id, item_id))"
    )
    connection.execute("CREATE INDEX IF NOT EXISTS impressions_by_session ON impressions (session_id, item_id)")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS reactions (event_id TEXT PRIMARY KEY, list_id TEXT NOT NULL, "
        "item_id TEXT NOT NULL, session_id TEXT NOT NULL, kind TEXT NOT NULL, at REAL NOT NULL)"
    )
    connection.execute("CREATE INDEX IF NOT EXISTS reactions_by_session ON reactions (session_id)")


MIGRATIONS: tuple[Migration, ...] = (_m001_sessions, _m002_suggestions_by_turn, _m003_impression_log)
"""Applied in order; the schema version of a file is how many of them it has had."""

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(path: Path, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the file at ``path`` to the latest version; returns the version it was at.

    Raises :class:`StoreNewerThanCode` for a file written by newer code.
    """
    latest = len(migrations)
    connection = sqlite3.connect(path, timeout=30.0, isolation_level=None)  # transactions by hand
    try:
        connection.execute("PRAGMA busy_timeout=30000")
        found = schema_version(connection)
        _refuse_newer(path, found, latest)
        if found == latest:
            return found
        connection.execute("BEGIN IMMEDIATE")
        try:
            found = schema_version(connection)  # another process may have migrated it meanwhile
            _refuse_newer(path, found, latest)
            for migration in migrations[found:]:
                migration(connection)
            connection.execute(f"PRAGMA user_version = {int(latest)}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return found
    finally:
        connection.close()


def _refuse_newer(path: Path, found: int, latest: int) -> None:
    if found > latest:
        raise StoreNewerThanCode(
            f"the profile store {path} is at schema version {found}, newer than this Concierge knows ({latest}): "
            "it was written by a newer release. Upgrade Concierge, or point data_dir elsewhere; the file was not "
            "changed"
        )
