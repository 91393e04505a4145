"""The graph's schema version, and the migrations that bring a graph written by older code up to it.

The same scheme as the profile file (:mod:`assistant.sessions.migrations`):
an ordered list, each applied once and never edited after release.  The
version lives on one ``(:ConciergeSchema {id: "graph", version})`` node; a
graph without it (written before versions existed, or empty) is at 0.  Neo4j
refuses schema and data changes in one transaction, so a migration cannot
commit with the version the way SQLite's do: every migration here must be
idempotent (``IF NOT EXISTS``, ``MERGE``), and two instances that open an old
graph at once may both run one, to the same end.  A graph at a version this
code does not know is refused before anything is written to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import neo4j

from kg.errors import StoreNewerThanCode
from kg.graph import queries
from kg.graph.catalogue_writes import catalogue_keys
from kg.graph.connection import GraphConnection
from kg.graph.user_data import SESSION_KEYS
from kg.schema import CatalogueSchema

GraphMigration = Callable[[GraphConnection, CatalogueSchema], None]
VERSION_ID = "graph"


def _m001_identity(connection: GraphConnection, schema: CatalogueSchema) -> None:
    """The uniqueness constraints every graph before schema versions already had: catalogue keys and session ids."""
    connection.ensure_unique([*catalogue_keys(schema), *SESSION_KEYS])


MIGRATIONS: tuple[GraphMigration, ...] = (_m001_identity,)
"""Applied in order; the schema version of a graph is how many of them it has had."""

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(connection: GraphConnection) -> int:
    """The version recorded in the graph; 0 when none is."""

    def work(tx: neo4j.ManagedTransaction) -> int:
        record = tx.run(queries.READ_SCHEMA_VERSION, id=VERSION_ID).single()
        return int(record["version"]) if record is not None and record["version"] is not None else 0

    return connection.read(work, what="schema version")


def migrate(
    connection: GraphConnection, schema: CatalogueSchema, migrations: tuple[GraphMigration, ...] = MIGRATIONS
) -> int:
    """Bring the graph to the latest version; returns the version it was at.

    Raises :class:`StoreNewerThanCode` for a graph written by newer code, and
    :class:`~kg.errors.GraphUnavailable` when the server is down.
    """
    latest = len(migrations)
    found = schema_version(connection)
    if found > latest:
        raise StoreNewerThanCode(
            f"the graph is at schema version {found}, newer than this Concierge knows ({latest}): it was written by "
            "a newer release. Upgrade Concierge, or point it at another graph; nothing was changed"
        )
    if found == latest:
        return found
    connection.ensure_unique([(queries.SCHEMA_VERSION_LABEL, "id")])
    for migration in migrations[found:]:
        migration(connection, schema)
    connection.write(
        lambda tx: tx.run(queries.WRITE_SCHEMA_VERSION, id=VERSION_ID, version=latest, at=time.time()).consume(),
        what="schema version",
    )
    return found
