"""Where the two graph servers differ, and nothing else.

Every query in :mod:`kg.store` is plain Neo4j-5 Cypher that ArcadeDB's Bolt
plugin runs as is (uniqueness constraints included: ArcadeDB accepts
``CREATE CONSTRAINT ... IF NOT EXISTS FOR (n:L) REQUIRE n.p IS UNIQUE`` and
backs it with a unique LSM index).  What differs is kept here:

* full-text indexes: Neo4j has ``CREATE FULLTEXT INDEX``; ArcadeDB has no
  Cypher form, it takes SQL over its HTTP API, and only on declared
  properties (``CREATE PROPERTY Person.name IF NOT EXISTS STRING`` first,
  then ``CREATE INDEX IF NOT EXISTS ON Person (name) FULL_TEXT``).

A dialect is chosen from the server's Bolt agent string (ArcadeDB answers
``"Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)"``) unless given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kg.schema import USER_LABEL, CatalogueSchema, safe_identifier

RunWrite = Callable[[str], None]


def constraint_name(label: str, prop: str) -> str:
    return f"concierge_{safe_identifier(label).lower()}_{prop}_unique"


def unique_keys(schema: CatalogueSchema) -> list[tuple[str, str]]:
    """(label, property) pairs that identify nodes: items by id, attribute values by name_key, users by id."""
    keys = [(schema.item_label, "id")]
    keys += [(label, "name_key") for label in schema.labels]
    keys.append((USER_LABEL, "id"))
    return keys


class Neo4jDialect:
    name = "neo4j"

    def schema_statements(self, schema: CatalogueSchema) -> list[str]:
        return [self.unique_statement(label, prop) for label, prop in unique_keys(schema)]

    def unique_statement(self, label: str, prop: str) -> str:
        """The idempotent uniqueness constraint (and its index) on one (label, property) pair."""
        prop = safe_prop(prop)
        return (
            f"CREATE CONSTRAINT {constraint_name(label, prop)} IF NOT EXISTS "
            f"FOR (n:{safe_identifier(label)}) REQUIRE n.{prop} IS UNIQUE"
        )

    def ensure_schema(self, schema: CatalogueSchema, run_write: RunWrite) -> None:
        # One statement per transaction: Neo4j refuses schema and data changes in one.
        for statement in self.schema_statements(schema):
            run_write(statement)

    def ensure_fulltext(self, label: str, props: Sequence[str], run_write: RunWrite) -> None:
        label = safe_identifier(label)
        fields = ", ".join(f"n.{safe_prop(p)}" for p in props)
        run_write(f"CREATE FULLTEXT INDEX concierge_{label.lower()}_fulltext IF NOT EXISTS FOR (n:{label}) ON EACH [{fields}]")


class ArcadeDBDialect(Neo4jDialect):
    name = "arcadedb"

    def __init__(self, sql: Callable[[str], object] | None = None) -> None:
        self._sql = sql  # the embedded server's HTTP SQL endpoint, when we started it

    def ensure_fulltext(self, label: str, props: Sequence[str], run_write: RunWrite) -> None:
        if self._sql is None:
            raise NotImplementedError("ArcadeDB full-text indexes need SQL over its HTTP API (embedded server only)")
        label = safe_identifier(label)
        for prop in props:  # ArcadeDB indexes declared properties only
            self._sql(f"CREATE PROPERTY {label}.{safe_prop(prop)} IF NOT EXISTS STRING")
        fields = ", ".join(safe_prop(p) for p in props)
        self._sql(f"CREATE INDEX IF NOT EXISTS ON {label} ({fields}) FULL_TEXT")


def safe_prop(name: str) -> str:
    if not name.isidentifier() or not name.isascii():
        raise ValueError(f"not a safe property name: {name!r}")
    return name


def dialect_for_agent(agent: str | None) -> Neo4jDialect:
    if agent and "arcadedb" in agent.lower():
        return ArcadeDBDialect()
    return Neo4jDialect()
