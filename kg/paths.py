"""Plain result types of graph queries: paths between items and scored candidates.

They carry no driver objects, so they can be stored in a session, pickled and
compared in tests.
"""

from __future__ import annotations

from dataclasses import dataclass

ITEM_KIND = "item"


@dataclass(frozen=True)
class PathNode:
    """One node on a path.

    ``kind``: ``"item"`` or the attribute label (``"Person"``, ``"Genre"``);
    ``key``: the item id, or the attribute's ``name_key`` (its casefolded
    name, the attribute's identity in the graph); ``name``: what to show, the
    item title as stored or the attribute name as first ingested.
    """

    kind: str
    key: str
    name: str

    @property
    def is_item(self) -> bool:
        return self.kind == ITEM_KIND


@dataclass(frozen=True)
class GraphPath:
    """Nodes from a liked item to another item, and the relation types between them.

    ``relations[i]`` joins ``nodes[i]`` and ``nodes[i + 1]`` (direction as in the
    schema: ``DIRECTED`` points from the person to the item); ``strength`` is
    the path's evidence weight (see
    :meth:`kg.graph.recommendation_reads.RecommendationReader.candidates`).
    """

    nodes: tuple[PathNode, ...]
    relations: tuple[str, ...]
    strength: float = 0.0

    def __post_init__(self) -> None:
        if len(self.relations) != max(len(self.nodes) - 1, 0):
            raise ValueError("a path has one relation between each pair of consecutive nodes")

    @property
    def hops(self) -> int:
        return len(self.relations)

    @property
    def start(self) -> PathNode:
        return self.nodes[0]

    @property
    def end(self) -> PathNode:
        return self.nodes[-1]

    @property
    def attributes(self) -> tuple[PathNode, ...]:
        """The attribute (non-item) nodes the path goes through."""
        return tuple(node for node in self.nodes if not node.is_item)


@dataclass(frozen=True)
class GraphCandidate:
    """An item reached from the liked items, its score and its strongest paths (<= 5)."""

    item_id: str
    score: float
    paths: tuple[GraphPath, ...]
