"""Where the two graph servers differ, and nothing else.

Every query in :mod:`kg.graph.queries` is plain Neo4j-5 Cypher that
ArcadeDB's Bolt plugin runs as is (uniqueness constraints included: ArcadeDB
accepts ``CREATE CONSTRAINT ... IF NOT EXISTS FOR (n:L) REQUIRE n.p IS
UNIQUE`` and backs it with a unique LSM index).  What differs is kept here:

* full-text indexes: Neo4j has ``CREATE FULLTEXT INDEX``; ArcadeDB has no
  Cypher form, it takes SQL over its HTTP API, and only on declared
  properties (``CREATE PROPERTY Person.name IF NOT EXISTS STRING`` first,
  then ``CREATE INDEX IF NOT EXISTS ON Person (name) FULL_TEXT``).

A dialect is chosen from the server's Bolt agent string (ArcadeDB answers
``"Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)"``) unless given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kg.graph import queries
from kg.schema import safe_identifier, safe_property

RunWrite = Callable[[str], None]


class Neo4jDialect:
    name = "neo4j"

    def ensure_fulltext(self, label: str, props: Sequence[str], run_write: RunWrite) -> None:
        run_write(queries.fulltext_index(label, props))


class ArcadeDBDialect(Neo4jDialect):
    name = "arcadedb"

    def __init__(self, sql: Callable[[str], object] | None = None) -> None:
        self._sql = sql  # the embedded server's HTTP SQL endpoint, when we started it

    def ensure_fulltext(self, label: str, props: Sequence[str], run_write: RunWrite) -> None:
        if self._sql is None:
            raise NotImplementedError("ArcadeDB full-text indexes need SQL over its HTTP API (embedded server only)")
        label = safe_identifier(label)
        for prop in props:  # ArcadeDB indexes declared properties only
            self._sql(f"CREATE PROPERTY {label}.{safe_property(prop)} IF NOT EXISTS STRING")
        fields = ", ".join(safe_property(p) for p in props)
        self._sql(f"CREATE INDEX IF NOT EXISTS ON {label} ({fields}) FULL_TEXT")


def dialect_for_agent(agent: str | None) -> Neo4jDialect:
    if agent and "arcadedb" in agent.lower():
        return ArcadeDBDialect()
    return Neo4jDialect()
