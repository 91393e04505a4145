"""The knowledge graph as the one object the rest of Concierge holds.

:class:`GraphStore` puts the roles of :mod:`kg.graph` together over one
connection: catalogue writes, recommendation reads and user edges.  It speaks
parameterised Cypher (:mod:`kg.graph.queries`) to any Bolt server: a user's
Neo4j 5, or the ArcadeDB server the project starts itself when nothing is
configured (:mod:`kg.embedded`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import neo4j

from kg.errors import GraphUnavailable
from kg.graph.catalogue_writes import CatalogueWriter
from kg.graph.config import GraphConfig
from kg.graph.connection import GraphConnection
from kg.graph.migrations import migrate
from kg.graph.recommendation_reads import RecommendationReader
from kg.graph.user_data import UserData
from kg.paths import GraphCandidate, GraphPath, PathNode
from kg.schema import MOVIE_SCHEMA, CatalogueSchema, UserEdge

if TYPE_CHECKING:
    from kg.embedded import EmbeddedArcadeDB

__all__ = ["GraphCandidate", "GraphPath", "GraphStore", "GraphUnavailable", "PathNode", "UserEdge"]


class GraphStore:
    """Catalogue graph, user edges and path queries over one :class:`~kg.graph.connection.GraphConnection`.

    Every operation belongs to the connection or to one role object
    (``catalogue``, ``recommendations``, ``users``) and is exposed here as
    theirs, so that callers hold one object.  The store owns the connection
    and closes it at :meth:`close`.
    """

    def __init__(self, connection: GraphConnection, schema: CatalogueSchema = MOVIE_SCHEMA) -> None:
        self.connection = connection
        self.schema = schema
        self.catalogue = CatalogueWriter(connection, schema)
        self.recommendations = RecommendationReader(connection, schema)
        self.users = UserData(connection, schema)

        self.health = connection.health
        self.ensure_unique = connection.ensure_unique
        self.read = connection.read
        self.write = connection.write

        self.ensure_schema = self.catalogue.ensure_schema
        self.upsert_items = self.catalogue.upsert_items
        self.prune_items = self.catalogue.prune_items

        self.candidates = self.recommendations.candidates
        self.paths = self.recommendations.paths
        self.lookup_names = self.recommendations.lookup_names
        self.item_count = self.recommendations.item_count
        self.stats = self.recommendations.stats

        self.record = self.users.record
        self.forget_user = self.users.forget_user
        self.user_edges = self.users.user_edges
        self._migrated = False

    def migrate(self) -> None:
        """Bring the graph's schema to this code's version (:mod:`kg.graph.migrations`), once per store.

        Raises :class:`~kg.errors.StoreNewerThanCode` for a graph written by newer code.
        """
        if not self._migrated:
            migrate(self.connection, self.schema)
            self._migrated = True

    @classmethod
    def connect(
        cls,
        uri: str,
        user: str | None = None,
        password: str | None = None,
        *,
        schema: CatalogueSchema = MOVIE_SCHEMA,
        **options: Any,
    ) -> GraphStore:
        """A store on a new driver for ``uri``; ``options`` are :meth:`GraphConnection.connect`'s (timeout_s, ...)."""
        return cls(GraphConnection.connect(uri, user, password, **options), schema)

    @classmethod
    def embedded(
        cls,
        graph_dir: Path | str,
        *,
        schema: CatalogueSchema = MOVIE_SCHEMA,
        timeout_s: float = 5.0,
        heap_mb: int = 1024,
        startup_timeout_s: float = 90.0,
    ) -> GraphStore:
        """A store on the ArcadeDB server of ``graph_dir``, started (or reused) as needed."""
        connection = GraphConnection.embedded(
            graph_dir, timeout_s=timeout_s, heap_mb=heap_mb, startup_timeout_s=startup_timeout_s
        )
        return cls(connection, schema)

    @classmethod
    def from_config(cls, config: GraphConfig, schema: CatalogueSchema = MOVIE_SCHEMA) -> GraphStore:
        """Neo4j when ``config.uri`` is set, else the embedded ArcadeDB under ``config.embedded_dir``."""
        return cls(GraphConnection.from_config(config), schema)

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    @property
    def driver(self) -> neo4j.Driver:
        return self.connection.driver

    @property
    def database(self) -> str | None:
        """The database sessions open (None: the server's default)."""
        return self.connection.database

    @property
    def server(self) -> EmbeddedArcadeDB | None:
        """The embedded server this store holds a reference to, if it runs on one."""
        return self.connection.server
