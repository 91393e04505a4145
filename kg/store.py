"""The knowledge graph behind one interface, over the official ``neo4j`` driver.

:class:`GraphStore` speaks parameterised Cypher to any Bolt server: a user's
Neo4j 5, or the ArcadeDB server the project starts itself when nothing is
configured (:mod:`kg.embedded`).  User text only ever travels as query
parameters; labels and relationship types come from the
:class:`~kg.schema.CatalogueSchema` and pass :func:`~kg.schema.safe_identifier`.
The few server differences live in :mod:`kg.dialect`.

Graph shape::

    (:Item {id, title, year, k_genres, k_directors, ...})
    (:Person {name, name_key, degree})-[:DIRECTED]->(:Item)     value_is_subject
    (:Item)-[:HAS_GENRE]->(:Genre {name, name_key, degree})     otherwise
    (:User {id})-[:LIKED|DISLIKED|SEEN|RATED {at[, rating]}]->(:Item)

``name_key`` is the casefolded, stripped name (the same fold as
:mod:`kg.constraints`); attribute nodes are merged on it.  ``degree`` is the
number of items an attribute node links to, kept up to date by
:meth:`GraphStore.upsert_items` and used to skip over-common attributes and to
weigh paths.  ``k_<field>`` repeats an item's name_keys of one field as a list
property, so that constraint filters read a property instead of walking edges.
Attribute nodes link to items only, through schema relations (queries rely on
it: the fan-out from an attribute is untyped).

Every call runs in a managed transaction (``execute_read``/``execute_write``,
retried by the driver on transient errors) with a server-side timeout, and a
server that is down or unreachable surfaces as :class:`GraphUnavailable`
within about ``timeout_s``.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence, Sized
from typing import TYPE_CHECKING, Any, Literal

import neo4j
from neo4j import exceptions as neo4j_errors

from kg import traversal
from kg.catalogue import Item
from kg.constraints import Constraints
from kg.dialect import ArcadeDBDialect, Neo4jDialect, dialect_for_agent
from kg.errors import GraphUnavailable
from kg.paths import ITEM_KIND, GraphCandidate, GraphPath, PathNode
from kg.schema import MOVIE_SCHEMA, USER_LABEL, USER_RELATIONS, CatalogueSchema, safe_identifier
from kg.traversal import Link

if TYPE_CHECKING:
    from kg.embedded import EmbeddedArcadeDB

log = logging.getLogger(__name__)

__all__ = ["GraphCandidate", "GraphPath", "GraphStore", "GraphUnavailable", "PathNode", "name_key"]

UserEdge = Literal["LIKED", "DISLIKED", "SEEN"]
_OPPOSITE: dict[str, str | None] = {"LIKED": "DISLIKED", "DISLIKED": "LIKED", "SEEN": None}
_UNAVAILABLE = (
    neo4j_errors.ServiceUnavailable,
    neo4j_errors.SessionExpired,
    neo4j_errors.TransientError,
    neo4j_errors.AuthError,
    neo4j_errors.ConfigurationError,
    OSError,
)
_BULK_TIMEOUT_S = 300.0


def name_key(name: str) -> str:
    """The identity of an attribute value: casefolded and stripped (as :mod:`kg.constraints` folds)."""
    return name.casefold().strip()


class GraphStore:
    """Catalogue graph, user edges and path queries over one Bolt driver.

    ``driver`` is any ``neo4j.Driver``; ``database`` the database name (None:
    the server's default);
    ``timeout_s`` bounds every interactive call (connection acquisition,
    driver retries and the server-side transaction timeout);  ``dialect``
    (see :mod:`kg.dialect`) is detected from the server when not given.
    ``on_close`` runs once at :meth:`close` (used to release a shared
    embedded server).
    """

    def __init__(
        self,
        driver: neo4j.Driver,
        schema: CatalogueSchema = MOVIE_SCHEMA,
        database: str | None = None,
        timeout_s: float = 5.0,
        dialect: Neo4jDialect | None = None,
        *,
        on_close: Callable[[], None] | None = None,
        server: EmbeddedArcadeDB | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._driver = driver
        self.schema = schema
        self.timeout_s = float(timeout_s)
        self._dialect = dialect
        self._database = database
        self._on_close = on_close
        self.server = server
        self._closed = False
        self._schema_ready = False
        self._queries = _Queries(schema)
        self._weights = traversal.Weights(schema)

    # ----------------------------------------------------------- construction

    @classmethod
    def connect(
        cls,
        uri: str,
        user: str | None = None,
        password: str | None = None,
        *,
        database: str | None = None,
        schema: CatalogueSchema = MOVIE_SCHEMA,
        timeout_s: float = 5.0,
        dialect: Neo4jDialect | None = None,
        **driver_config: Any,
    ) -> GraphStore:
        """A store on a new driver for ``uri`` whose connection waits are bounded by ``timeout_s``."""
        auth = (user, password or "") if user is not None else None
        config = {
            "connection_timeout": timeout_s,
            "connection_acquisition_timeout": timeout_s,
            "max_transaction_retry_time": timeout_s,
            "keep_alive": True,
            "user_agent": "concierge-kg",
        }
        config.update(driver_config)
        try:
            driver = neo4j.GraphDatabase.driver(uri, auth=auth, **config)
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            raise GraphUnavailable(f"invalid graph URI {uri!r}: {exc}") from exc
        store = cls(driver, schema=schema, database=database, timeout_s=timeout_s, dialect=dialect)
        store._on_close = driver.close
        return store

    @classmethod
    def embedded(
        cls,
        graph_dir,
        *,
        schema: CatalogueSchema = MOVIE_SCHEMA,
        timeout_s: float = 5.0,
        heap_mb: int = 1024,
        startup_timeout_s: float = 90.0,
    ) -> GraphStore:
        """A store on the ArcadeDB server of ``graph_dir``, started (or reused) as needed."""
        from kg import embedded

        server = embedded.acquire(graph_dir, heap_mb=heap_mb, startup_timeout_s=startup_timeout_s)
        try:
            store = cls.connect(
                server.uri,
                server.auth[0],
                server.auth[1],
                database=server.database,
                schema=schema,
                timeout_s=timeout_s,
                dialect=ArcadeDBDialect(sql=server.sql),
            )
        except BaseException:
            embedded.release(server)
            raise
        driver_close = store._on_close

        def close() -> None:
            try:
                if driver_close is not None:
                    driver_close()
            finally:
                embedded.release(server)

        store._on_close = close
        store.server = server
        return store

    @classmethod
    def from_settings(cls, settings, schema: CatalogueSchema = MOVIE_SCHEMA) -> GraphStore:
        """Neo4j when ``settings.neo4j_uri`` is set, else the embedded ArcadeDB under ``settings.graph_dir``."""
        if settings.neo4j_uri:
            return cls.connect(
                settings.neo4j_uri,
                settings.neo4j_user,
                settings.neo4j_password.get_secret_value(),
                database=settings.neo4j_database,
                schema=schema,
                timeout_s=settings.graph_timeout_s,
            )
        return cls.embedded(
            settings.graph_dir,
            schema=schema,
            timeout_s=settings.graph_timeout_s,
            heap_mb=settings.arcadedb_heap_mb,
            startup_timeout_s=settings.arcadedb_startup_timeout_s,
        )

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._on_close is not None:
            self._on_close()

    # ------------------------------------------------------------- execution

    @property
    def dialect(self) -> Neo4jDialect:
        """The server's :mod:`kg.dialect`, detected from its Bolt agent string on first use."""
        if self._dialect is None:
            agent = self._call(lambda: self._driver.get_server_info().agent, "server info")
            self._dialect = dialect_for_agent(agent)
        return self._dialect

    @property
    def driver(self) -> neo4j.Driver:
        return self._driver

    @property
    def database(self) -> str | None:
        """The database sessions open (None: the server's default)."""
        return self._database

    def _session(self) -> neo4j.Session:
        # Connection waits and the driver's retries together stay within about timeout_s,
        # for bulk writes too (only their server-side transaction timeout is longer).
        return self._driver.session(
            database=self._database,
            connection_acquisition_timeout=self.timeout_s / 2,
            max_transaction_retry_time=self.timeout_s / 2,
            initial_retry_delay=min(0.2, self.timeout_s / 10),
            retry_delay_multiplier=2.0,
        )

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        if self._closed:
            raise GraphUnavailable("the graph store is closed")
        started = time.monotonic()
        try:
            return fn()
        except neo4j_errors.AuthError as exc:  # a ClientError, but the graph is unusable all the same
            raise GraphUnavailable(f"graph refused the credentials ({what}): {exc.message or exc}") from exc
        except neo4j_errors.ClientError as exc:
            if "TransactionTimedOut" in (exc.code or "") or "Timeout" in (exc.code or ""):
                raise GraphUnavailable(f"graph {what} timed out after {time.monotonic() - started:.1f}s") from exc
            raise
        except neo4j_errors.DriverError as exc:
            raise GraphUnavailable(f"graph {what} failed: {exc}") from exc
        except _UNAVAILABLE as exc:
            raise GraphUnavailable(f"graph unavailable ({what}): {exc}") from exc

    def _read(self, work: Callable[..., Any], *args: Any, what: str = "read", bulk: bool = False) -> Any:
        return self._transaction(work, args, what, bulk, write=False)

    def _write(self, work: Callable[..., Any], *args: Any, what: str = "write", bulk: bool = False) -> Any:
        return self._transaction(work, args, what, bulk, write=True)

    def _transaction(self, work: Callable[..., Any], args: tuple[Any, ...], what: str, bulk: bool, write: bool) -> Any:
        """Run ``work`` in a managed read or write transaction with the timeout and error mapping of ``_call``."""
        timeout = _BULK_TIMEOUT_S if bulk else self.timeout_s
        fn = neo4j.unit_of_work(timeout=timeout, metadata={"app": "concierge", "op": what})(work)

        def run() -> Any:
            with self._session() as session:
                execute = session.execute_write if write else session.execute_read
                return execute(fn, *args)

        return self._call(run, what)

    def read(self, work: Callable[..., Any], *args: Any, what: str = "read") -> Any:
        """Run ``work(tx, *args)`` in a managed read transaction, bounded and mapped like every store call.

        For parts of the project that keep data of their own on the graph
        server (the shared profile store), so they get the same timeouts,
        retries and :class:`GraphUnavailable` without a second driver.
        """
        return self._read(work, *args, what=what)

    def write(self, work: Callable[..., Any], *args: Any, what: str = "write") -> Any:
        """Run ``work(tx, *args)`` in a managed write transaction (see :meth:`read`)."""
        return self._write(work, *args, what=what)

    def health(self) -> None:
        """Raise :class:`GraphUnavailable` unless the server answers a query within ``timeout_s``."""
        value = self._read(lambda tx: tx.run("RETURN 1 AS ok").single(strict=True)["ok"], what="health")
        if value != 1:
            raise GraphUnavailable(f"graph health check answered {value!r}")

    # ---------------------------------------------------------------- schema

    def ensure_schema(self) -> None:
        """Uniqueness constraints (with their indexes) on Item.id, each attribute label's name_key and User.id.

        Idempotent: every statement is ``IF NOT EXISTS``.
        """

        def run_write(statement: str) -> None:
            self._write(lambda tx: tx.run(statement).consume(), what="schema", bulk=True)

        self.dialect.ensure_schema(self.schema, run_write)
        self._schema_ready = True

    def ensure_unique(self, keys: Iterable[tuple[str, str]]) -> None:
        """Uniqueness constraints (with their indexes) on (label, property) pairs outside the catalogue schema.

        Idempotent, one statement per transaction as :meth:`ensure_schema`.
        """
        for label, prop in keys:
            statement = self.dialect.unique_statement(label, prop)
            self._write(lambda tx: tx.run(statement).consume(), what="schema", bulk=True)

    # ---------------------------------------------------------------- ingest

    def upsert_items(self, items: Iterable[Item], batch_size: int = 2000, progress: bool = True) -> int:
        """Merge items, their attribute nodes and edges; returns the number of items written.

        Idempotent: nodes are MERGEd on their keys, an item's attribute edges
        are compared with its values (missing ones created, ones its values no
        longer name removed, with attribute nodes left linked to nothing), so
        the graph holds exactly what the last upsert said.  Each batch is one
        managed write transaction; attribute degrees are refreshed at the end
        for every attribute node touched.  Items that are no longer in the
        catalogue are removed by :meth:`prune_items`.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        if not self._schema_ready:
            self.ensure_schema()  # MERGE needs the unique indexes to be fast
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(desc="graph upsert", unit="item", total=len(items) if isinstance(items, Sized) else None)
        touched: dict[str, set[str]] = defaultdict(set)
        total = 0
        batch: list[Item] = []
        try:
            for item in items:
                batch.append(item)
                if len(batch) >= batch_size:
                    total += self._upsert_batch(batch, touched)
                    if bar is not None:
                        bar.update(len(batch))
                    batch = []
            if batch:
                total += self._upsert_batch(batch, touched)
                if bar is not None:
                    bar.update(len(batch))
            self._refresh_degrees(touched)
        finally:
            if bar is not None:
                bar.close()
        return total

    def _upsert_batch(self, batch: list[Item], touched: dict[str, set[str]]) -> int:
        """Write one batch as set differences: only missing edges are created, only stale ones deleted.

        A first ingest finds no edges to compare with and only creates: on
        ArcadeDB an edge CREATE costs about a fifth of an edge MERGE, and the
        demo catalogue's first ingest went from 10.8 s to 4.5 s.  Nodes are
        addressed by element id once merged, so each edge costs two direct
        lookups instead of two index seeks.
        """
        plan = _BatchPlan(list({item.id: item for item in batch}.values()), self.schema)  # last one wins
        q = self._queries

        def work(tx: neo4j.ManagedTransaction) -> list[tuple[str, set[str]]]:
            have = _existing_links(tx, q, plan.ids)
            item_eids = dict(_rows(tx, q.merge_items, rows=plan.item_rows))
            attribute_eids = {
                label: dict(_rows(tx, q.merge_attributes[label], keys=list(names), names=list(names.values())))
                for label, names in plan.names.items()
            }
            changed: list[tuple[str, set[str]]] = []
            for relation in self.schema.relations:
                wanted = plan.links[relation.field]
                existing = have.get((relation.relation, relation.label), {})
                added = [pair for pair in wanted if pair not in existing]
                stale = [pair for pair in existing if pair not in wanted]
                if added:
                    eids = attribute_eids[relation.label]
                    tx.run(
                        q.create_edges[relation.field],
                        items=[item_eids[item_id] for item_id, _ in added],
                        attributes=[eids[key] for _, key in added],
                    ).consume()
                if stale:
                    tx.run(
                        q.delete_edges[relation.field],
                        items=[item_eids[item_id] for item_id, _ in stale],
                        attributes=[existing[pair] for pair in stale],
                    ).consume()
                changed.append((relation.label, {key for _, key in added + stale}))
            return changed

        for label, keys in self._write(work, what="upsert", bulk=True):
            touched[label].update(keys)
        return len(plan.ids)

    def _refresh_degrees(self, touched: dict[str, set[str]], chunk: int = 5000) -> None:
        """Recount the items of every touched attribute node; drop nodes that no longer link to anything."""
        q = self._queries
        for label, keys in touched.items():
            ordered = sorted(keys)
            for start in range(0, len(ordered), chunk):
                part = ordered[start : start + chunk]

                def work(tx: neo4j.ManagedTransaction, part: list[str] = part, label: str = label) -> None:
                    tx.run(q.refresh_degree[label], keys=part).consume()
                    tx.run(q.drop_orphans[label], keys=part).consume()

                self._write(work, what="degree", bulk=True)

    def prune_items(self, keep_ids: Collection[str], batch_size: int = 5000) -> int:
        """Delete the items whose id is not in ``keep_ids``; returns how many went.

        An upsert only adds and updates, so without this an item dropped from
        the catalogue would stay in the graph and keep turning up as a
        candidate.  Each item goes with all its edges (users' LIKED/SEEN/...
        included); attribute nodes it leaves linked to nothing go too, and the
        degrees of the others are recounted.  The graph's ids are read in one
        record and compared here, so ``keep_ids`` never travels to the server;
        deletions run in write transactions of ``batch_size`` ids.
        """
        if isinstance(keep_ids, str):
            raise TypeError("expected a collection of ids, not a single string")
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        q = self._queries
        keep = {str(item_id) for item_id in keep_ids}
        present = self._read(lambda tx: _rows(tx, q.item_ids), what="item ids", bulk=True)
        stale = sorted(item_id for item_id in present if item_id not in keep)
        touched: dict[str, set[str]] = defaultdict(set)
        deleted = 0
        for start in range(0, len(stale), batch_size):
            part = stale[start : start + batch_size]

            def work(tx: neo4j.ManagedTransaction, part: list[str] = part) -> tuple[int, list[list[str]]]:
                linked = _rows(tx, q.item_attributes, ids=part)
                return tx.run(q.delete_items, ids=part).single(strict=True)["n"], linked

            count, linked = self._write(work, what="prune", bulk=True)
            deleted += count
            for label, key in linked:
                touched[label].add(key)
        self._refresh_degrees(touched)
        return deleted

    def item_count(self) -> int:
        return self._read(lambda tx: tx.run(self._queries.count_items).single(strict=True)["n"], what="count")

    def stats(self) -> dict[str, int]:
        """Node counts per label and relationship counts per type (schema and user edges)."""
        q = self._queries

        def work(tx: neo4j.ManagedTransaction) -> dict[str, int]:
            return {name: tx.run(text).single(strict=True)["n"] for name, text in q.stats.items()}

        return self._read(work, what="stats")

    # --------------------------------------------------------------- queries

    def candidates(
        self,
        liked_ids: Sequence[str],
        disliked_ids: Sequence[str] = (),
        constraints: Constraints | None = None,
        k: int = 100,
    ) -> list[GraphCandidate]:
        """Items sharing attribute nodes with the liked items, best first, with their strongest paths.

        Two hops, ``liked -r1- attribute -r2- candidate``, over schema relations
        only; attributes whose degree exceeds the ``max_degree`` of ``r1`` are
        skipped.  Scoring is defined in :mod:`kg.traversal`: each usable
        attribute is worth ``f = weight(r1) / ln(1 + degree)`` (best role),
        times ``1 + ln n`` when ``n`` liked items share it, and a candidate
        scores the sum of ``f`` over its edges to those attributes.  Ties
        break on item id.  Liked and disliked ids are never returned;
        ``constraints`` are applied in Cypher with the semantics of
        :class:`kg.constraints.Constraints` (an unknown field in ``include``
        admits nothing, in ``exclude`` removes nothing).  Paths: up to five,
        one per connecting attribute strongest first, then further liked
        items through the same attributes.
        """
        liked = _unique_ids(liked_ids)
        if not liked or k <= 0:
            return []
        k = int(k)
        excluded = sorted(set(liked) | set(_unique_ids(disliked_ids)))
        q, weights = self._queries, self._weights
        filters, filter_params = q.candidate_filters(constraints)

        def work(tx: neo4j.ManagedTransaction) -> list[GraphCandidate]:
            attributes = traversal.source_attributes(_links(tx, q, liked), weights)
            if not attributes:
                return []
            params = {
                # Parallel lists pack far faster in the driver than a list of maps.
                "eids": [a.eid for a in attributes],
                "fs": [a.f for a in attributes],
                "excluded": excluded,
                **filter_params,
            }
            if filters:
                # Constraints: filter every reachable item (cheap: they read item properties), then rank.
                rows = _rows(tx, q.filter_then_expand(filters), **params, over=k + 10)
            else:
                # Rank, cut, then drop liked/disliked: exact, as the cut keeps k plus every excludable id.
                rows = _rows(tx, q.expand_then_filter(), **params, over=k + len(excluded) + 10)
            rows.sort(key=lambda r: (-r[2], r[0]))  # [id, title, score, via]
            rows = rows[:k]
            plans = {row[0]: traversal.plan_paths(row[3], attributes, weights) for row in rows}
            pairs = [
                {"item": item_id, "eid": plan.attribute.eid}
                for item_id, planned in plans.items()
                for plan in planned
                if traversal.needs_edge_type(plan.attribute.label, weights)
            ]
            types = _edge_types(tx, q, pairs)
            return [
                traversal.build_candidate(item_id, title or "", score, plans[item_id], types, weights)
                for item_id, title, score, _via in rows
            ]

        return self._read(work, what="candidates")

    def paths(self, from_ids: Sequence[str], to_id: str, max_hops: int = 2, limit: int = 10) -> list[GraphPath]:
        """Paths from any of ``from_ids`` to ``to_id`` through attribute nodes, shortest then strongest first.

        ``max_hops`` counts edges: 2 is one shared attribute
        (item-attribute-item), 4 adds an intermediate item
        (item-attribute-item-attribute-item); odd values round down and
        anything above 4 counts as 4.  Four-hop
        paths are looked for only when the two-hop ones do not fill
        ``limit``, and only through attributes linked to at most
        ``kg.traversal.FOUR_HOP_MAX_DEGREE`` items.  Attributes over their
        relation's ``max_degree`` are skipped as in :meth:`candidates`.  A
        path's strength is ``weight(r1) / ln(1 + degree)`` of its first
        attribute; four-hop paths get half the weaker of their two.
        """
        sources = [i for i in _unique_ids(from_ids) if i != to_id]
        if not sources or limit <= 0 or max_hops < 2:
            return []
        q, weights = self._queries, self._weights

        def work(tx: neo4j.ManagedTransaction) -> list[GraphPath]:
            from_links = _links(tx, q, sources)
            to_links = _links(tx, q, [to_id])
            if not from_links or not to_links:
                return []
            found = traversal.sort_paths(traversal.two_hop_paths(from_links, to_links, weights))[:limit]
            if max_hops >= 4 and len(found) < limit:
                found += self._four_hop(tx, from_links, to_links, limit - len(found))
            return found

        return traversal.sort_paths(self._read(work, what="paths"))[:limit]

    def _four_hop(self, tx: neo4j.ManagedTransaction, from_links: list[Link], to_links: list[Link], limit: int) -> list[GraphPath]:
        q, weights = self._queries, self._weights
        eids = sorted(set(traversal.narrow(from_links, weights)) | set(traversal.narrow(to_links, weights)))
        if not eids:
            return []
        neighbours = {eid: items for eid, items in _rows(tx, q.neighbours, eids=eids)}
        planned = traversal.plan_four_hop(from_links, to_links, neighbours, weights, limit)
        pairs = {(middle, link.eid) for link, middle, end, _ in planned} | {(middle, end.eid) for link, middle, end, _ in planned}
        types = _edge_types(tx, q, [{"item": item, "eid": eid} for item, eid in sorted(pairs)])
        paths = []
        for link, middle, end, strength in planned:
            title = types.titles.get(middle, "")
            t2 = _known_or_fetched(weights, link.label, link.relation, types.get((middle, link.eid), ()))
            t3 = _known_or_fetched(weights, end.label, end.relation, types.get((middle, end.eid), ()))
            paths.append(
                GraphPath(
                    nodes=(link.item_node(), link.node(), PathNode(ITEM_KIND, middle, title), end.node(), end.item_node()),
                    relations=(link.relation, t2, t3, end.relation),
                    strength=strength,
                )
            )
        return paths

    def lookup_names(
        self, names: Sequence[str], labels: Sequence[str] | None = None, limit: int = 5
    ) -> dict[str, list[tuple[str, str]]]:
        """Case-insensitive exact lookups of attribute nodes: each name -> [(label, stored name)] (<= limit)."""
        wanted = [label for label in (labels or self.schema.labels)]
        unknown = [label for label in wanted if label not in self.schema.labels]
        if unknown:
            raise ValueError(f"labels {unknown} are not attribute labels of the schema {list(self.schema.labels)}")
        by_key: dict[str, list[str]] = defaultdict(list)
        for name in names:
            by_key[name_key(name)].append(name)
        result: dict[str, list[tuple[str, str]]] = {name: [] for name in names}
        keys = sorted(k for k in by_key if k)
        if not keys or limit <= 0:
            return result

        def work(tx: neo4j.ManagedTransaction) -> list[tuple[str, str, str]]:
            found = []
            for label in wanted:
                for record in tx.run(self._queries.lookup[label], keys=keys):
                    found.append((record["k"], label, record["name"]))
            return found

        for key, label, stored in self._read(work, what="lookup"):
            for name in by_key[key]:
                if len(result[name]) < limit and (label, stored) not in result[name]:
                    result[name].append((label, stored))
        return result

    # ------------------------------------------------------------ user edges

    def record(self, user_id: str, item_id: str, kind: UserEdge, rating: float | None = None) -> None:
        """Record a user's LIKED/DISLIKED/SEEN edge to an item (plus RATED {rating, at} when rated).

        A LIKED removes an earlier DISLIKED of the same pair and vice versa.
        Raises ``KeyError`` when the item is not in the graph.
        """
        if kind not in _OPPOSITE:
            raise ValueError(f"kind must be one of {sorted(_OPPOSITE)}, got {kind!r}")
        if not isinstance(user_id, str) or not user_id:
            raise ValueError("user_id must be a non-empty string")
        if rating is not None and not math.isfinite(float(rating)):
            raise ValueError("rating must be a finite number")
        q = self._queries
        params = {"user": user_id, "item": item_id, "at": time.time(), "rating": None if rating is None else float(rating)}

        def work(tx: neo4j.ManagedTransaction) -> bool:
            found = tx.run(q.record[kind], params).single()
            if found is None:
                return False
            if rating is not None:
                tx.run(q.record_rating, params).consume()
            return True

        if not self._write(work, what="record"):
            raise KeyError(f"item {item_id!r} is not in the graph")

    def forget_user(self, user_id: str) -> None:
        """Delete a user's node and every edge it has (a privacy request)."""

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(self._queries.forget_user, user=user_id).consume()

        self._write(work, what="forget user")

    def user_edges(self, user_id: str) -> dict[str, set[str]]:
        """The user's recorded edges: relation type -> item ids (RATED included)."""

        def work(tx: neo4j.ManagedTransaction) -> list[dict]:
            return tx.run(self._queries.user_edges, user=user_id).data()

        edges: dict[str, set[str]] = defaultdict(set)
        for row in self._read(work, what="user edges"):
            edges[row["type"]].add(row["id"])
        return dict(edges)


# ------------------------------------------------------------------ helpers


def _unique_ids(ids: Sequence[str] | str) -> list[str]:
    if isinstance(ids, str):
        raise TypeError("expected a sequence of ids, not a single string")
    return list(dict.fromkeys(str(i) for i in ids if i is not None and str(i) != ""))


_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")


def _key_property(field_name: str) -> str:
    """The item property holding a field's name_keys (``genres`` -> ``k_genres``), used by constraint filters."""
    if not _FIELD.fullmatch(field_name):
        raise ValueError(f"schema field names must be lower-case identifiers, got {field_name!r}")
    return f"k_{field_name}"


def _rows(tx: neo4j.ManagedTransaction, query: str, **params: Any) -> list[list]:
    """Run a query that returns its result as one list of row lists.

    One Bolt record instead of hundreds: the Python driver spends most of a
    small query's time per record, and ArcadeDB sends each record separately.
    """
    record = tx.run(query, params).single()
    return list(record["rows"]) if record is not None else []


def _links(tx: neo4j.ManagedTransaction, q: _Queries, item_ids: Sequence[str]) -> list[Link]:
    return [Link.from_row(row) for row in _rows(tx, q.links, ids=list(item_ids))]


class _BatchPlan:
    """One upsert batch as the server needs it: item rows, attribute names per label, wanted links per field.

    ``names``: label -> name_key -> name as first seen in the batch;
    ``links``: field -> (item id, name_key) pairs, as an ordered set.
    """

    def __init__(self, items: list[Item], schema: CatalogueSchema) -> None:
        self.ids = [item.id for item in items]
        self.item_rows: list[dict[str, Any]] = []
        self.names: dict[str, dict[str, str]] = {}
        self.links: dict[str, dict[tuple[str, str], None]] = {relation.field: {} for relation in schema.relations}
        for item in items:
            row: dict[str, Any] = {"id": item.id, "title": item.title, "year": item.year}
            for relation in schema.relations:
                values: dict[str, str] = {}
                for value in item.values(relation.field):
                    key = name_key(value)
                    if key:
                        values.setdefault(key, value.strip())
                row[_key_property(relation.field)] = list(values)  # the name_keys again, for cheap filters
                for key, name in values.items():
                    self.names.setdefault(relation.label, {}).setdefault(key, name)
                    self.links[relation.field][(item.id, key)] = None
            self.item_rows.append(row)


def _existing_links(
    tx: neo4j.ManagedTransaction, q: _Queries, item_ids: list[str]
) -> dict[tuple[str, str], dict[tuple[str, str], str]]:
    """The items' schema edges: (relation type, attribute label) -> {(item id, name_key): attribute element id}."""
    found: dict[tuple[str, str], dict[tuple[str, str], str]] = defaultdict(dict)
    for item_id, relation_type, labels, key, eid in _rows(tx, q.existing_links, ids=item_ids):
        for label in labels:
            found[(relation_type, label)][(item_id, key)] = eid
    return found


class _EdgeTypes(dict):
    """(item id, attribute element id) -> relation types between them; ``titles``: item id -> title."""

    titles: dict[str, str]


def _edge_types(tx: neo4j.ManagedTransaction, q: _Queries, pairs: list[dict]) -> _EdgeTypes:
    """Relation types of the edges joining each (item, attribute element id) pair."""
    found = _EdgeTypes()
    found.titles = {}
    groups: dict[str, list[str]] = defaultdict(list)
    for pair in pairs:
        if pair["item"] not in groups[pair["eid"]]:
            groups[pair["eid"]].append(pair["item"])
    if groups:
        groups_param = [{"eid": eid, "items": items} for eid, items in groups.items()]
        for item_id, title, eid, types in _rows(tx, q.edge_types, groups=groups_param):
            found[(item_id, eid)] = list(types)
            found.titles[item_id] = title or ""
    return found


def _known_or_fetched(weights: traversal.Weights, label: str, preferred: str, types: Sequence[str]) -> str:
    if label in weights.only_relation:
        return weights.only_relation[label]
    return weights.pick_relation(preferred, types)


class _Queries:
    """Every Cypher text the store runs, built once from the schema (identifiers only, never values)."""

    def __init__(self, schema: CatalogueSchema) -> None:
        self.schema = schema
        item = safe_identifier(schema.item_label)
        user = safe_identifier(USER_LABEL)
        self.item = item
        rel_types = list(dict.fromkeys(safe_identifier(r.relation) for r in schema.relations))
        self.rels = "|".join(rel_types)

        self.count_items = f"MATCH (i:{item}) RETURN count(i) AS n"
        self.stats: dict[str, str] = {}
        for label in dict.fromkeys([item, *schema.labels, user]):
            self.stats[label] = f"MATCH (n:{safe_identifier(label)}) RETURN count(n) AS n"
        for rel in dict.fromkeys([*(r.relation for r in schema.relations), *USER_RELATIONS]):
            self.stats[rel] = f"MATCH ()-[r:{safe_identifier(rel)}]->() RETURN count(r) AS n"
        key_props = "".join(f", i.{p} = row.{p}" for p in (_key_property(r.field) for r in schema.relations))
        self.merge_items = (
            f"UNWIND $rows AS row MERGE (i:{item} {{id: row.id}}) SET i.title = row.title, i.year = row.year{key_props} "
            f"RETURN collect([row.id, elementId(i)]) AS rows"
        )
        self.item_ids = f"MATCH (i:{item}) RETURN collect(i.id) AS rows"
        self.item_attributes = (
            f"UNWIND $ids AS id MATCH (i:{item} {{id: id}})-[:{self.rels}]-(a) "
            f"RETURN collect(DISTINCT [labels(a)[0], a.name_key]) AS rows"
        )
        self.delete_items = f"UNWIND $ids AS id MATCH (i:{item} {{id: id}}) DETACH DELETE i RETURN count(*) AS n"
        self.existing_links = (
            f"UNWIND $ids AS id MATCH (i:{item} {{id: id}})-[r:{self.rels}]-(a) "
            f"RETURN collect([i.id, type(r), labels(a), a.name_key, elementId(a)]) AS rows"
        )
        self.merge_attributes: dict[str, str] = {}
        for label in schema.labels:
            label = safe_identifier(label)
            self.merge_attributes[label] = (
                f"UNWIND range(0, size($keys) - 1) AS x MERGE (a:{label} {{name_key: $keys[x]}}) "
                f"ON CREATE SET a.name = $names[x], a.degree = 0 RETURN collect([$keys[x], elementId(a)]) AS rows"
            )
        # Edges between nodes merged earlier in the same transaction, addressed by element id.
        by_element_ids = "UNWIND range(0, size($items) - 1) AS x MATCH (i) WHERE elementId(i) = $items[x] "
        self.create_edges: dict[str, str] = {}
        self.delete_edges: dict[str, str] = {}
        for relation in schema.relations:
            rel = safe_identifier(relation.relation)
            edge = f"(a)-[r:{rel}]->(i)" if relation.value_is_subject else f"(i)-[r:{rel}]->(a)"
            self.create_edges[relation.field] = (
                f"{by_element_ids}MATCH (a) WHERE elementId(a) = $attributes[x] CREATE {edge}"
            )
            self.delete_edges[relation.field] = (
                f"{by_element_ids}MATCH {edge} WHERE elementId(a) = $attributes[x] DELETE r"
            )
        self.refresh_degree: dict[str, str] = {}
        self.drop_orphans: dict[str, str] = {}
        self.lookup: dict[str, str] = {}
        for label in schema.labels:
            label = safe_identifier(label)
            label_rels = "|".join(
                dict.fromkeys(safe_identifier(r.relation) for r in schema.relations if r.label == label)
            )
            self.refresh_degree[label] = (
                f"UNWIND $keys AS key MATCH (a:{label} {{name_key: key}}) "
                f"OPTIONAL MATCH (a)-[:{label_rels}]-(i:{item}) WITH a, count(DISTINCT i) AS d SET a.degree = d"
            )
            self.drop_orphans[label] = (
                f"UNWIND $keys AS key MATCH (a:{label} {{name_key: key}}) WHERE NOT (a)--() DELETE a"
            )
            self.lookup[label] = f"UNWIND $keys AS k MATCH (a:{label} {{name_key: k}}) RETURN k, a.name AS name"

        rels = self.rels
        # One item's schema links (typed, so User edges of popular items are never walked).
        self.links = (
            f"UNWIND $ids AS id MATCH (i:{item} {{id: id}})-[r:{rels}]-(a) "
            f"RETURN collect([i.id, i.title, type(r), elementId(a), labels(a)[0], a.name_key, a.name, a.degree]) AS rows"
        )
        # Attribute nodes only ever link to items through schema relations, so the fan-out
        # from them is untyped (measurably cheaper on ArcadeDB) and checks the item label only.
        self.fan_out = (
            f"UNWIND range(0, size($eids) - 1) AS at MATCH (a) WHERE elementId(a) = $eids[at] "
            f"WITH a, at, $fs[at] AS f MATCH (a)--(c:{item}) WITH c, sum(f) AS score, collect(at) AS via "
        )
        self.neighbours = (
            f"UNWIND $eids AS e MATCH (a) WHERE elementId(a) = e MATCH (a)--(m:{item}) "
            f"WITH e, collect(m.id) AS items RETURN collect([e, items]) AS rows"
        )
        # Edge types between attributes and items, asked from the attribute side (a person links
        # to a few dozen items; an item may have thousands of User edges).
        self.edge_types = (
            f"UNWIND $groups AS g MATCH (a) WHERE elementId(a) = g.eid "
            f"MATCH (a)-[r:{rels}]-(i:{item}) WHERE i.id IN g.items "
            f"WITH i, g.eid AS eid, collect(type(r)) AS types RETURN collect([i.id, i.title, eid, types]) AS rows"
        )
        self.record: dict[str, str] = {}
        for kind, opposite in _OPPOSITE.items():
            text = (
                f"MATCH (i:{item} {{id: $item}}) MERGE (u:{user} {{id: $user}}) "
                f"MERGE (u)-[e:{safe_identifier(kind)}]->(i) SET e.at = $at "
            )
            if opposite:
                text += f"WITH u, i OPTIONAL MATCH (u)-[o:{safe_identifier(opposite)}]->(i) DELETE o "
            self.record[kind] = text + "RETURN DISTINCT i.id AS id"
        self.record_rating = (
            f"MATCH (i:{item} {{id: $item}}) MATCH (u:{user} {{id: $user}}) "
            f"MERGE (u)-[r:RATED]->(i) SET r.rating = $rating, r.at = $at"
        )
        self.user_edges = f"MATCH (u:{user} {{id: $user}})-[e]->(i:{item}) RETURN type(e) AS type, i.id AS id"
        self.forget_user = f"MATCH (u:{user} {{id: $user}}) DETACH DELETE u"

    def candidate_filters(self, constraints: Constraints | None) -> tuple[list[str], dict[str, Any]]:
        """Cypher predicates on the candidate ``c`` for ``constraints`` (shape from the schema, values as parameters)."""
        filters: list[str] = []
        params: dict[str, Any] = {}
        if constraints is None:
            return filters, params
        if constraints.year_min is not None:
            filters.append("c.year IS NOT NULL AND c.year >= $year_min")
            params["year_min"] = int(constraints.year_min)
        if constraints.year_max is not None:
            filters.append("c.year IS NOT NULL AND c.year <= $year_max")
            params["year_max"] = int(constraints.year_max)
        for index, (field_name, values) in enumerate(sorted(constraints.include.items())):
            if field_name not in self.schema.field_names:
                filters.append("false")  # no item has values for a field the schema does not know
                continue
            filters.append(f"any(x IN coalesce(c.{_key_property(field_name)}, []) WHERE x IN $include_{index})")
            params[f"include_{index}"] = sorted({name_key(v) for v in values})
        for index, (field_name, values) in enumerate(sorted(constraints.exclude.items())):
            keys = sorted({name_key(v) for v in values})
            if field_name not in self.schema.field_names or not keys:
                continue
            filters.append(f"none(x IN coalesce(c.{_key_property(field_name)}, []) WHERE x IN $exclude_{index})")
            params[f"exclude_{index}"] = keys
        return filters, params

    def expand_then_filter(self) -> str:
        """Rank every reachable item, keep the best ``$over``, then drop the excluded ids."""
        return (
            f"{self.fan_out}ORDER BY score DESC LIMIT $over "
            f"WITH c, score, via WHERE NOT c.id IN $excluded "
            f"RETURN collect([c.id, c.title, score, via]) AS rows"
        )

    def filter_then_expand(self, filters: list[str]) -> str:
        """Filter every reachable item (excluded ids and constraints), then rank and keep ``$over``."""
        where = " AND ".join(["NOT c.id IN $excluded", *filters])
        return (
            f"{self.fan_out}WITH c, score, via WHERE {where} "
            f"WITH c, score, via ORDER BY score DESC LIMIT $over "
            f"RETURN collect([c.id, c.title, score, via]) AS rows"
        )
