"""Scoring and path assembly for graph candidates, in plain Python.

The server does the two things it is fast at: reading an item's attribute
links through an index, and fanning out from a set of attribute nodes to the
items around them with a running sum.  Everything that needs the schema's
weights and limits happens here, on a few dozen rows, so the rules live in one
readable place and are the same for every server.

Definitions (used by
:meth:`kg.graph.recommendation_reads.RecommendationReader.candidates` and
:meth:`~kg.graph.recommendation_reads.RecommendationReader.paths`):

* a *link* is one schema edge between an item and an attribute node, seen
  from the item: ``(item)-[relation]-(attribute)``;
* a link is *usable* when the attribute's degree (number of items it links to)
  is within the ``max_degree`` of the link's relation (the "Drama" genre or
  the "USA" country are skipped);
* the *strength* of a link is ``weight(relation) / ln(1 + degree)``, with the
  degree taken as at least 2 (an attribute shared by two items);
* a *source attribute* is an attribute reached by usable links from the liked
  items; its per-edge contribution is ``f = max strength over its links x
  (1 + ln n)``, ``n`` being how many liked items link to it;
* a candidate's score is the sum of ``f`` over the edges joining it to source
  attributes (an attribute linked twice, a person who directed and wrote the
  candidate, counts twice).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kg.paths import ITEM_KIND, GraphCandidate, GraphPath, PathNode
from kg.schema import CatalogueSchema

MAX_PATHS_PER_CANDIDATE = 5
# Paths through an intermediate item (four hops) only pass narrow attributes:
# "Action like X, which is Horror like Y" explains nothing, and the search stays small.
FOUR_HOP_MAX_DEGREE = 200
# ...and say less than a path through one shared attribute.
FOUR_HOP_FACTOR = 0.5


@dataclass(frozen=True)
class Link:
    """One schema edge between an item and an attribute node (``eid``: the node's element id)."""

    item_id: str
    item_title: str
    relation: str
    eid: str
    label: str
    key: str
    name: str
    degree: int

    @classmethod
    def from_row(cls, row: Sequence) -> Link:
        """From ``[item id, item title, relation, element id, label, name_key, name, degree]``."""
        item_id, title, relation, eid, label, key, name, degree = row
        return cls(item_id, title or "", relation, eid, label, key or "", name or key or "", int(degree or 0))

    def node(self) -> PathNode:
        return PathNode(self.label, self.key, self.name)

    def item_node(self) -> PathNode:
        return PathNode(ITEM_KIND, self.item_id, self.item_title)


class Weights:
    """The schema's relation weights and degree limits."""

    def __init__(self, schema: CatalogueSchema) -> None:
        self.weight: dict[str, float] = {}
        self.max_degree: dict[str, int] = {}
        relations_by_label: dict[str, list[str]] = defaultdict(list)
        for relation in schema.relations:
            self.weight.setdefault(relation.relation, float(relation.weight))
            if relation.max_degree is not None:
                self.max_degree.setdefault(relation.relation, int(relation.max_degree))
            if relation.relation not in relations_by_label[relation.label]:
                relations_by_label[relation.label].append(relation.relation)
        # Labels reached by one relation type only: the edge type is known without asking.
        self.only_relation: dict[str, str] = {
            label: rels[0] for label, rels in relations_by_label.items() if len(rels) == 1
        }

    def usable(self, link: Link) -> bool:
        limit = self.max_degree.get(link.relation)
        return limit is None or link.degree <= limit

    def strength(self, relation: str, degree: int) -> float:
        return self.weight.get(relation, 0.0) / math.log1p(max(degree, 2))

    def pick_relation(self, preferred: str, types: Sequence[str]) -> str:
        """The relation to show for an edge found with ``types``: ``preferred`` if among them, else the weightiest."""
        if preferred in types or not types:
            return preferred
        return max(types, key=lambda t: (self.weight.get(t, 0.0), t))


@dataclass
class SourceAttribute:
    """An attribute reached from the liked items, with its usable links and per-edge contribution ``f``."""

    index: int
    eid: str
    label: str
    key: str
    name: str
    degree: int
    links: list[Link] = field(default_factory=list)
    f: float = 0.0

    def node(self) -> PathNode:
        return PathNode(self.label, self.key, self.name)


def source_attributes(links: Iterable[Link], weights: Weights) -> list[SourceAttribute]:
    """Group usable links by attribute node and compute each attribute's contribution ``f``."""
    by_eid: dict[str, SourceAttribute] = {}
    for link in links:
        if not weights.usable(link):
            continue
        attribute = by_eid.get(link.eid)
        if attribute is None:
            attribute = by_eid[link.eid] = SourceAttribute(
                len(by_eid), link.eid, link.label, link.key, link.name, link.degree
            )
        attribute.links.append(link)
    for attribute in by_eid.values():
        best = max(weights.strength(link.relation, attribute.degree) for link in attribute.links)
        n_items = len({link.item_id for link in attribute.links})
        attribute.f = best * (1.0 + math.log(n_items))
        attribute.links.sort(
            key=lambda link: (-weights.strength(link.relation, attribute.degree), link.item_id, link.relation)
        )
    return list(by_eid.values())


@dataclass(frozen=True)
class _Planned:
    """A path chosen for a candidate before the candidate-side edge type is known."""

    link: Link
    attribute: SourceAttribute
    strength: float


def plan_paths(via: Sequence[int], attributes: Sequence[SourceAttribute], weights: Weights) -> list[_Planned]:
    """The strongest paths (<= 5) of one candidate: one per attribute first, then more liked items through them."""
    firsts: list[_Planned] = []
    rest: list[_Planned] = []
    for index in dict.fromkeys(via):
        attribute = attributes[index]
        seen: set[str] = set()
        for link in attribute.links:  # strongest first
            if link.item_id in seen:
                continue
            planned = _Planned(link, attribute, weights.strength(link.relation, attribute.degree))
            (rest if seen else firsts).append(planned)
            seen.add(link.item_id)
    order = lambda p: (-p.strength, p.attribute.label, p.attribute.key, p.link.item_id)  # noqa: E731
    return (sorted(firsts, key=order) + sorted(rest, key=order))[:MAX_PATHS_PER_CANDIDATE]


def needs_edge_type(attribute_label: str, weights: Weights) -> bool:
    return attribute_label not in weights.only_relation


def build_candidate(
    item_id: str,
    title: str,
    score: float,
    planned: Sequence[_Planned],
    edge_types: Mapping[tuple[str, str], Sequence[str]],
    weights: Weights,
) -> GraphCandidate:
    target = PathNode(ITEM_KIND, item_id, title)
    paths = []
    for plan in planned:
        label = plan.attribute.label
        t1 = plan.link.relation
        if label in weights.only_relation:
            t2 = weights.only_relation[label]
        else:
            t2 = weights.pick_relation(t1, edge_types.get((item_id, plan.attribute.eid), ()))
        paths.append(
            GraphPath(
                nodes=(plan.link.item_node(), plan.attribute.node(), target), relations=(t1, t2), strength=plan.strength
            )
        )
    return GraphCandidate(item_id=item_id, score=float(score), paths=tuple(paths))


def two_hop_paths(from_links: Iterable[Link], to_links: Iterable[Link], weights: Weights) -> list[GraphPath]:
    """Paths through one attribute shared by a source item and the target (strongest role per pair)."""
    to_by_eid: dict[str, list[Link]] = defaultdict(list)
    for link in to_links:
        if weights.usable(link):
            to_by_eid[link.eid].append(link)
    best: dict[tuple[str, str], GraphPath] = {}
    for link in from_links:
        if not weights.usable(link) or link.eid not in to_by_eid:
            continue
        for end in to_by_eid[link.eid]:
            if end.item_id == link.item_id:
                continue
            path = GraphPath(
                nodes=(link.item_node(), link.node(), end.item_node()),
                relations=(link.relation, end.relation),
                strength=weights.strength(link.relation, link.degree),
            )
            key = (link.item_id, link.eid)
            if key not in best or _path_order(path) < _path_order(best[key]):
                best[key] = path
    return list(best.values())


def narrow(links: Iterable[Link], weights: Weights) -> dict[str, Link]:
    """Usable links through attributes narrow enough for four-hop paths, strongest link per attribute."""
    chosen: dict[str, Link] = {}
    for link in links:
        if not weights.usable(link) or link.degree > FOUR_HOP_MAX_DEGREE:
            continue
        current = chosen.get(link.eid)
        if current is None or weights.strength(link.relation, link.degree) > weights.strength(
            current.relation, current.degree
        ):
            chosen[link.eid] = link
    return chosen


def plan_four_hop(
    from_links: Sequence[Link],
    to_links: Sequence[Link],
    neighbours: Mapping[str, Sequence[str]],
    weights: Weights,
    limit: int,
) -> list[tuple[Link, str, Link, float]]:
    """(source link, middle item id, target link, strength) for the strongest four-hop paths.

    ``neighbours`` maps an attribute's element id to the ids of the items it links to.
    """
    sources: dict[str, list[Link]] = defaultdict(list)
    for link in from_links:
        if weights.usable(link) and link.degree <= FOUR_HOP_MAX_DEGREE:
            sources[link.eid].append(link)
    targets = narrow(to_links, weights)
    target_id = next(iter(targets.values())).item_id if targets else None
    middle_to_target: dict[str, list[Link]] = defaultdict(list)
    for eid, link in targets.items():
        for middle in neighbours.get(eid, ()):
            middle_to_target[middle].append(link)
    found: list[tuple[float, tuple, tuple[Link, str, Link, float]]] = []
    for eid, links in sources.items():
        for middle in neighbours.get(eid, ()):
            for end in middle_to_target.get(middle, ()):
                if end.eid == eid or middle == target_id:
                    continue
                for link in links:
                    if middle == link.item_id:
                        continue
                    strength = FOUR_HOP_FACTOR * min(
                        weights.strength(link.relation, link.degree), weights.strength(end.relation, end.degree)
                    )
                    order = (-strength, link.item_id, link.key, middle, end.key)
                    found.append((strength, order, (link, middle, end, strength)))
    best = heapq.nsmallest(limit, found, key=lambda entry: entry[1])
    return [entry[2] for entry in best]


def _path_order(path: GraphPath) -> tuple:
    return (path.hops, -path.strength, tuple(node.key for node in path.nodes), path.relations)


def sort_paths(paths: Iterable[GraphPath]) -> list[GraphPath]:
    """Shortest first, then strongest, then by node keys (deterministic)."""
    return sorted(paths, key=_path_order)
