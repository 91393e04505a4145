"""What recommending reads from the graph: candidates with their paths, paths between items, names, counts.

The server reads links and fans out; the scoring and path rules live in
:mod:`kg.traversal`, the same for every server.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import neo4j

from kg import traversal
from kg.constraints import Constraints
from kg.graph.connection import GraphConnection
from kg.graph.queries import RecommendationQueries
from kg.graph.rows import collected_rows
from kg.paths import ITEM_KIND, GraphCandidate, GraphPath, PathNode
from kg.schema import CatalogueSchema, name_key
from kg.traversal import Link


class RecommendationReader:
    """Graph candidates and explanation paths over the catalogue graph of ``schema``."""

    def __init__(self, connection: GraphConnection, schema: CatalogueSchema) -> None:
        self._connection = connection
        self.schema = schema
        self._queries = RecommendationQueries(schema)
        self._weights = traversal.Weights(schema)

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
                rows = collected_rows(tx, q.filter_then_expand(filters), **params, over=k + 10)
            else:
                # Rank, cut, then drop liked/disliked: exact, as the cut keeps k plus every excludable id.
                rows = collected_rows(tx, q.expand_then_filter, **params, over=k + len(excluded) + 10)
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

        return self._connection.read(work, what="candidates")

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

        return traversal.sort_paths(self._connection.read(work, what="paths"))[:limit]

    def _four_hop(
        self, tx: neo4j.ManagedTransaction, from_links: list[Link], to_links: list[Link], limit: int
    ) -> list[GraphPath]:
        q, weights = self._queries, self._weights
        eids = sorted(set(traversal.narrow(from_links, weights)) | set(traversal.narrow(to_links, weights)))
        if not eids:
            return []
        neighbours = {eid: items for eid, items in collected_rows(tx, q.neighbours, eids=eids)}
        planned = traversal.plan_four_hop(from_links, to_links, neighbours, weights, limit)
        pairs = {(middle, link.eid) for link, middle, _, _ in planned} | {
            (middle, end.eid) for _, middle, end, _ in planned
        }
        types = _edge_types(tx, q, [{"item": item, "eid": eid} for item, eid in sorted(pairs)])
        paths = []
        for link, middle, end, strength in planned:
            title = types.titles.get(middle, "")
            t2 = _known_or_fetched(weights, link.label, link.relation, types.get((middle, link.eid), ()))
            t3 = _known_or_fetched(weights, end.label, end.relation, types.get((middle, end.eid), ()))
            paths.append(
                GraphPath(
                    nodes=(
                        link.item_node(),
                        link.node(),
                        PathNode(ITEM_KIND, middle, title),
                        end.node(),
                        end.item_node(),
                    ),
                    relations=(link.relation, t2, t3, end.relation),
                    strength=strength,
                )
            )
        return paths

    def lookup_names(
        self, names: Sequence[str], labels: Sequence[str] | None = None, limit: int = 5
    ) -> dict[str, list[tuple[str, str]]]:
        """Case-insensitive exact lookups of attribute nodes: each name -> [(label, stored name)] (<= limit)."""
        wanted = list(labels or self.schema.labels)
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
            return [
                (record["k"], label, record["name"])
                for label in wanted
                for record in tx.run(self._queries.lookup[label], keys=keys)
            ]

        for key, label, stored in self._connection.read(work, what="lookup"):
            for name in by_key[key]:
                if len(result[name]) < limit and (label, stored) not in result[name]:
                    result[name].append((label, stored))
        return result

    def item_count(self) -> int:
        count: int = self._connection.read(
            lambda tx: tx.run(self._queries.count_items).single(strict=True)["n"], what="count"
        )
        return count

    def stats(self) -> dict[str, int]:
        """Node counts per label and relationship counts per type (schema and user edges)."""
        q = self._queries

        def work(tx: neo4j.ManagedTransaction) -> dict[str, int]:
            return {name: tx.run(text).single(strict=True)["n"] for name, text in q.stats.items()}

        return self._connection.read(work, what="stats")


class _EdgeTypes(dict[tuple[str, str], list[str]]):
    """(item id, attribute element id) -> relation types between them; ``titles``: item id -> title."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: dict[str, str] = {}


def _unique_ids(ids: Sequence[str] | str) -> list[str]:
    if isinstance(ids, str):
        raise TypeError("expected a sequence of ids, not a single string")
    return list(dict.fromkeys(str(i) for i in ids if i is not None and str(i) != ""))


def _links(tx: neo4j.ManagedTransaction, q: RecommendationQueries, item_ids: Sequence[str]) -> list[Link]:
    return [Link.from_row(row) for row in collected_rows(tx, q.links, ids=list(item_ids))]


def _edge_types(tx: neo4j.ManagedTransaction, q: RecommendationQueries, pairs: list[dict[str, str]]) -> _EdgeTypes:
    """Relation types of the edges joining each (item, attribute element id) pair."""
    found = _EdgeTypes()
    groups: dict[str, list[str]] = defaultdict(list)
    for pair in pairs:
        if pair["item"] not in groups[pair["eid"]]:
            groups[pair["eid"]].append(pair["item"])
    if groups:
        groups_param = [{"eid": eid, "items": items} for eid, items in groups.items()]
        for item_id, title, eid, types in collected_rows(tx, q.edge_types, groups=groups_param):
            found[(item_id, eid)] = list(types)
            found.titles[item_id] = title or ""
    return found


def _known_or_fetched(weights: traversal.Weights, label: str, preferred: str, types: Sequence[str]) -> str:
    """The relation joining an item to an attribute of ``label``: the only one the schema allows, else the fetched one."""
    if label in weights.only_relation:
        return weights.only_relation[label]
    return weights.pick_relation(preferred, types)
