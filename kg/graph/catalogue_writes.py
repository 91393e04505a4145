"""The catalogue written into the graph: identity constraints, idempotent upserts, pruning and degrees."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sized
from typing import Any

import neo4j

from kg.catalogue import Item
from kg.graph.connection import GraphConnection
from kg.graph.queries import CatalogueWriteQueries
from kg.graph.rows import collected_rows
from kg.schema import USER_LABEL, CatalogueSchema, key_property, name_key

# Attribute node keys touched by a write, per label: their degrees need recounting.
Touched = dict[str, set[str]]


def catalogue_keys(schema: CatalogueSchema) -> list[tuple[str, str]]:
    """(label, property) pairs that identify nodes: items by id, attribute values by name_key, users by id."""
    keys = [(schema.item_label, "id")]
    keys += [(label, "name_key") for label in schema.labels]
    keys.append((USER_LABEL, "id"))
    return keys


class CatalogueWriter:
    """Brings the graph in line with a catalogue: items, their attribute nodes and edges, nothing stale."""

    def __init__(self, connection: GraphConnection, schema: CatalogueSchema) -> None:
        self._connection = connection
        self.schema = schema
        self._queries = CatalogueWriteQueries(schema)
        self._schema_ready = False

    def ensure_schema(self) -> None:
        """Uniqueness constraints (with their indexes) on Item.id, each attribute label's name_key and User.id.

        Idempotent: every statement is ``IF NOT EXISTS``.
        """
        self._connection.ensure_unique(catalogue_keys(self.schema))
        self._schema_ready = True

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
        touched: Touched = defaultdict(set)
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
        present = self._connection.read(lambda tx: collected_rows(tx, q.item_ids), what="item ids", bulk=True)
        stale = sorted(item_id for item_id in present if item_id not in keep)
        touched: Touched = defaultdict(set)
        deleted = 0
        for start in range(0, len(stale), batch_size):
            part = stale[start : start + batch_size]

            def work(tx: neo4j.ManagedTransaction, part: list[str] = part) -> tuple[int, list[Any]]:
                linked = collected_rows(tx, q.item_attributes, ids=part)
                return tx.run(q.delete_items, ids=part).single(strict=True)["n"], linked

            count, linked = self._connection.write(work, what="prune", bulk=True)
            deleted += count
            for label, key in linked:
                touched[label].add(key)
        self._refresh_degrees(touched)
        return deleted

    def _upsert_batch(self, batch: list[Item], touched: Touched) -> int:
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
            item_eids = dict(collected_rows(tx, q.merge_items, rows=plan.item_rows))
            attribute_eids = {
                label: dict(collected_rows(tx, q.merge_attributes[label], keys=list(names), names=list(names.values())))
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

        for label, keys in self._connection.write(work, what="upsert", bulk=True):
            touched[label].update(keys)
        return len(plan.ids)

    def _refresh_degrees(self, touched: Touched, chunk: int = 5000) -> None:
        """Recount the items of every touched attribute node; drop nodes that no longer link to anything."""
        q = self._queries
        for label, keys in touched.items():
            ordered = sorted(keys)
            for start in range(0, len(ordered), chunk):
                part = ordered[start : start + chunk]

                def work(tx: neo4j.ManagedTransaction, part: list[str] = part, label: str = label) -> None:
                    tx.run(q.refresh_degree[label], keys=part).consume()
                    tx.run(q.drop_orphans[label], keys=part).consume()

                self._connection.write(work, what="degree", bulk=True)


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
                row[key_property(relation.field)] = list(values)  # the name_keys again, for cheap filters
                for key, name in values.items():
                    self.names.setdefault(relation.label, {}).setdefault(key, name)
                    self.links[relation.field][(item.id, key)] = None
            self.item_rows.append(row)


def _existing_links(
    tx: neo4j.ManagedTransaction, q: CatalogueWriteQueries, item_ids: list[str]
) -> dict[tuple[str, str], dict[tuple[str, str], str]]:
    """The items' schema edges: (relation type, attribute label) -> {(item id, name_key): attribute element id}."""
    found: dict[tuple[str, str], dict[tuple[str, str], str]] = defaultdict(dict)
    for item_id, relation_type, labels, key, eid in collected_rows(tx, q.existing_links, ids=item_ids):
        for label in labels:
            found[(relation_type, label)][(item_id, key)] = eid
    return found
