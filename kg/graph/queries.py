"""Every Cypher text Concierge runs, in one module, so that what reaches the server can be read in one place.

Values (ids, names, user text, JSON) only ever travel as ``$parameters``.
Labels, relationship types and property names can't be parameters: the
catalogue queries are built once from a :class:`~kg.schema.CatalogueSchema`,
and every identifier passes :func:`~kg.schema.safe_identifier` (property
names :func:`~kg.schema.safe_property`) on its way in.  Queries returning
many rows return them as one ``rows`` list (see :mod:`kg.graph.rows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kg.constraints import Constraints
from kg.schema import (
    OPPOSITE_EDGE,
    USER_LABEL,
    USER_RELATIONS,
    CatalogueSchema,
    key_property,
    name_key,
    safe_identifier,
    safe_property,
)

HEALTH = "RETURN 1 AS ok"


def unique_constraint(label: str, prop: str) -> str:
    """The idempotent uniqueness constraint (with its index) on one (label, property) pair."""
    label, prop = safe_identifier(label), safe_property(prop)
    return (
        f"CREATE CONSTRAINT concierge_{label.lower()}_{prop}_unique IF NOT EXISTS "
        f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
    )


def fulltext_index(label: str, props: Sequence[str]) -> str:
    """Neo4j's idempotent full-text index over ``props`` of ``label`` (ArcadeDB takes SQL instead)."""
    label = safe_identifier(label)
    fields = ", ".join(f"n.{safe_property(p)}" for p in props)
    return f"CREATE FULLTEXT INDEX concierge_{label.lower()}_fulltext IF NOT EXISTS FOR (n:{label}) ON EACH [{fields}]"


# ------------------------------------------------------------------ sessions
# Labels and relationship types of their own; nothing links a session to the catalogue graph.

SESSION_LABEL = "ProfileSession"
LOAD_PROFILE = "MATCH (s:ProfileSession {id: $session}) RETURN s.profile AS profile"
SAVE_PROFILE = "MERGE (s:ProfileSession {id: $session}) SET s.profile = $profile, s.updated_at = $at"
APPEND_TURN = (
    "MERGE (s:ProfileSession {id: $session}) SET s.turns = coalesce(s.turns, 0) + 1 "
    "CREATE (s)-[:HAS_TURN]->(t:DialogueTurn {position: s.turns - 1, role: $role, content: $content, at: $at}) "
    "RETURN t.position AS position"
)
HISTORY = (
    "MATCH (:ProfileSession {id: $session})-[:HAS_TURN]->(t:DialogueTurn) "
    "WITH t ORDER BY t.position DESC LIMIT $limit RETURN collect([t.position, t.role, t.content]) AS rows"
)
RESERVE_SHOWN = (
    "MERGE (s:ProfileSession {id: $session}) SET s.shown = coalesce(s.shown, 0) + $count "
    "RETURN s.shown - $count AS first"
)
DROP_RESUGGESTED = (
    "MATCH (:ProfileSession {id: $session})-[:HAS_SUGGESTION]->(g:StoredSuggestion) "
    "WHERE g.item_id IN $items DETACH DELETE g"
)
ADD_SUGGESTIONS = (
    "MATCH (s:ProfileSession {id: $session}) UNWIND range(0, size($items) - 1) AS x "
    "CREATE (s)-[:HAS_SUGGESTION]->(:StoredSuggestion "
    "{item_id: $items[x], turn: $turn, shown: $first + x, recommendation: $recommendations[x]})"
)
RECOMMENDATION = (
    "MATCH (:ProfileSession {id: $session})-[:HAS_SUGGESTION]->(g:StoredSuggestion {item_id: $item}) "
    "RETURN g.recommendation AS recommendation"
)
SUGGESTIONS = (
    "MATCH (:ProfileSession {id: $session})-[:HAS_SUGGESTION]->(g:StoredSuggestion) "
    "RETURN collect([g.turn, g.shown, g.item_id]) AS rows"
)
DELETE_SESSION_PARTS = "MATCH (:ProfileSession {id: $session})-[:HAS_TURN|HAS_SUGGESTION]->(x) DETACH DELETE x"
DELETE_SESSION = "MATCH (s:ProfileSession {id: $session}) DETACH DELETE s"


# ------------------------------------------------------------ schema version
# One node records which of kg.graph.migrations the graph has had; nothing links it to other nodes.

SCHEMA_VERSION_LABEL = "ConciergeSchema"
READ_SCHEMA_VERSION = "MATCH (v:ConciergeSchema {id: $id}) RETURN v.version AS version"
WRITE_SCHEMA_VERSION = "MERGE (v:ConciergeSchema {id: $id}) SET v.version = $version, v.migrated_at = $at"


# ----------------------------------------------------------------- catalogue


def schema_relation_types(schema: CatalogueSchema) -> str:
    """The schema's relationship types as one Cypher alternative (``HAS_GENRE|DIRECTED|...``)."""
    return "|".join(dict.fromkeys(safe_identifier(r.relation) for r in schema.relations))


class CatalogueWriteQueries:
    """The ingest's Cypher: items and attribute nodes merged, edges added and removed, degrees, pruning."""

    def __init__(self, schema: CatalogueSchema) -> None:
        item = safe_identifier(schema.item_label)
        rels = schema_relation_types(schema)
        key_props = "".join(f", i.{p} = row.{p}" for p in (key_property(r.field) for r in schema.relations))
        self.merge_items = (
            f"UNWIND $rows AS row MERGE (i:{item} {{id: row.id}}) SET i.title = row.title, i.year = row.year{key_props} "
            f"RETURN collect([row.id, elementId(i)]) AS rows"
        )
        self.item_ids = f"MATCH (i:{item}) RETURN collect(i.id) AS rows"
        self.item_attributes = (
            f"UNWIND $ids AS id MATCH (i:{item} {{id: id}})-[:{rels}]-(a) "
            f"RETURN collect(DISTINCT [labels(a)[0], a.name_key]) AS rows"
        )
        self.delete_items = f"UNWIND $ids AS id MATCH (i:{item} {{id: id}}) DETACH DELETE i RETURN count(*) AS n"
        self.existing_links = (
            f"UNWIND $ids AS id MATCH (i:{item} {{id: id}})-[r:{rels}]-(a) "
            f"RETURN collect([i.id, type(r), labels(a), a.name_key, elementId(a)]) AS rows"
        )
        self.merge_attributes: dict[str, str] = {}
        self.refresh_degree: dict[str, str] = {}
        self.drop_orphans: dict[str, str] = {}
        for label in map(safe_identifier, schema.labels):
            label_rels = "|".join(
                dict.fromkeys(safe_identifier(r.relation) for r in schema.relations if r.label == label)
            )
            self.merge_attributes[label] = (
                f"UNWIND range(0, size($keys) - 1) AS x MERGE (a:{label} {{name_key: $keys[x]}}) "
                f"ON CREATE SET a.name = $names[x], a.degree = 0 RETURN collect([$keys[x], elementId(a)]) AS rows"
            )
            self.refresh_degree[label] = (
                f"UNWIND $keys AS key MATCH (a:{label} {{name_key: key}}) "
                f"OPTIONAL MATCH (a)-[:{label_rels}]-(i:{item}) WITH a, count(DISTINCT i) AS d SET a.degree = d"
            )
            self.drop_orphans[label] = (
                f"UNWIND $keys AS key MATCH (a:{label} {{name_key: key}}) WHERE NOT (a)--() DELETE a"
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


class RecommendationQueries:
    """The reads behind candidates, paths, name lookups and counts."""

    def __init__(self, schema: CatalogueSchema) -> None:
        self.schema = schema
        item = safe_identifier(schema.item_label)
        user = safe_identifier(USER_LABEL)
        rels = schema_relation_types(schema)
        self.count_items = f"MATCH (i:{item}) RETURN count(i) AS n"
        self.stats: dict[str, str] = {}
        for label in dict.fromkeys([item, *schema.labels, user]):
            self.stats[label] = f"MATCH (n:{safe_identifier(label)}) RETURN count(n) AS n"
        for rel in dict.fromkeys([*(r.relation for r in schema.relations), *USER_RELATIONS]):
            self.stats[rel] = f"MATCH ()-[r:{safe_identifier(rel)}]->() RETURN count(r) AS n"
        self.lookup = {
            label: f"UNWIND $keys AS k MATCH (a:{label} {{name_key: k}}) RETURN k, a.name AS name"
            for label in map(safe_identifier, schema.labels)
        }
        # Items' schema links (typed, so User edges of popular items are never walked).
        self.links = (
            f"UNWIND $ids AS id MATCH (i:{item} {{id: id}})-[r:{rels}]-(a) "
            f"RETURN collect([i.id, i.title, type(r), elementId(a), labels(a)[0], a.name_key, a.name, a.degree]) AS rows"
        )
        # Attribute nodes only ever link to items through schema relations, so the fan-out
        # from them is untyped (measurably cheaper on ArcadeDB) and checks the item label only.
        self._fan_out = (
            f"UNWIND range(0, size($eids) - 1) AS at MATCH (a) WHERE elementId(a) = $eids[at] "
            f"WITH a, at, $fs[at] AS f MATCH (a)--(c:{item}) WITH c, sum(f) AS score, collect(at) AS via "
        )
        # Rank every reachable item, keep the best $over, then drop the excluded ids.
        self.expand_then_filter = (
            f"{self._fan_out}ORDER BY score DESC LIMIT $over "
            f"WITH c, score, via WHERE NOT c.id IN $excluded "
            f"RETURN collect([c.id, c.title, score, via]) AS rows"
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

    def filter_then_expand(self, filters: Sequence[str]) -> str:
        """Filter every reachable item (excluded ids and ``filters`` from :meth:`candidate_filters`), rank, keep ``$over``."""
        where = " AND ".join(["NOT c.id IN $excluded", *filters])
        return (
            f"{self._fan_out}WITH c, score, via WHERE {where} "
            f"WITH c, score, via ORDER BY score DESC LIMIT $over "
            f"RETURN collect([c.id, c.title, score, via]) AS rows"
        )

    def candidate_filters(self, constraints: Constraints | None) -> tuple[list[str], dict[str, Any]]:
        """Cypher predicates on the candidate ``c`` for ``constraints``: shape from the schema, values as parameters."""
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
            filters.append(f"any(x IN coalesce(c.{key_property(field_name)}, []) WHERE x IN $include_{index})")
            params[f"include_{index}"] = sorted({name_key(v) for v in values})
        for index, (field_name, values) in enumerate(sorted(constraints.exclude.items())):
            keys = sorted({name_key(v) for v in values})
            if field_name not in self.schema.field_names or not keys:
                continue
            filters.append(f"none(x IN coalesce(c.{key_property(field_name)}, []) WHERE x IN $exclude_{index})")
            params[f"exclude_{index}"] = keys
        return filters, params


class UserEdgeQueries:
    """A person's LIKED/DISLIKED/SEEN/RATED edges to catalogue items."""

    def __init__(self, schema: CatalogueSchema) -> None:
        item = safe_identifier(schema.item_label)
        user = safe_identifier(USER_LABEL)
        self.record: dict[str, str] = {}
        for kind, opposite in OPPOSITE_EDGE.items():
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


# ------------------------------------------------------------ impression log
# Lists shown and reactions to them (assistant.sessions.impressions); kept by session, like the sessions above.

LOG_IMPRESSIONS = (
    "UNWIND $rows AS row CREATE (:ShownItem {list_id: row.list_id, session: row.session, item_id: row.item_id, "
    "position: row.position, score: row.score, context: row.context, propensity: row.propensity, "
    "explored: row.explored, at: row.at})"
)
SHOWN_IN_LIST = (
    "MATCH (i:ShownItem {list_id: $list}) RETURN collect([i.list_id, i.session, i.item_id, i.position, i.score, "
    "i.context, i.propensity, i.explored, i.at]) AS rows"
)
REACTION_KNOWN = "MATCH (r:ItemReaction {event_id: $event}) RETURN count(r) AS known"
LOG_REACTION = (
    "CREATE (:ItemReaction {event_id: $event, list_id: $list, item_id: $item, kind: $kind, session: $session, at: $at})"
)
LATEST_LIST_WITH = (
    "MATCH (i:ShownItem {session: $session, item_id: $item}) RETURN i.list_id AS list_id ORDER BY i.at DESC LIMIT 1"
)
SESSION_IMPRESSIONS = (
    "MATCH (i:ShownItem {session: $session}) RETURN collect([i.list_id, i.session, i.item_id, i.position, i.score, "
    "i.context, i.propensity, i.explored, i.at]) AS rows"
)
SESSION_REACTIONS = (
    "MATCH (r:ItemReaction {session: $session}) "
    "RETURN collect([r.list_id, r.item_id, r.kind, r.session, r.event_id, r.at]) AS rows"
)
ALL_IMPRESSIONS = (
    "MATCH (i:ShownItem) RETURN collect([i.list_id, i.session, i.item_id, i.position, i.score, i.context, "
    "i.propensity, i.explored, i.at]) AS rows"
)
ALL_REACTIONS = (
    "MATCH (r:ItemReaction) RETURN collect([r.list_id, r.item_id, r.kind, r.session, r.event_id, r.at]) AS rows"
)
DELETE_SESSION_IMPRESSIONS = "MATCH (i:ShownItem {session: $session}) DETACH DELETE i"
DELETE_SESSION_REACTIONS = "MATCH (r:ItemReaction {session: $session}) DETACH DELETE r"
