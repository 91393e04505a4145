"""Evidence for one ranked candidate: the facts it was chosen on, as stored for "why?".

Graph paths come from the candidate's own graph source, or, when another
source proposed it, are looked up from the user's liked items; a graph that
is down leaves the paths empty rather than failing the turn.
"""

from __future__ import annotations

from kg.catalogue import Catalogue
from kg.store import GraphPath, GraphStore, GraphUnavailable
from retrieval.candidates import Candidate
from retrieval.evidence import (
    AttributeMatch,
    CollaborativeEvidence,
    ConversationEvidence,
    DiscoveryEvidence,
    Evidence,
    LearningEvidence,
    PathEvidence,
    PathNodeEvidence,
)
from retrieval.features import evidence_sources
from retrieval.ranking import RankedCandidate
from retrieval.request import RetrievalRequest

EVIDENCE_PATHS = 5


def _discovery(ranked: RankedCandidate) -> DiscoveryEvidence | None:
    found = ranked.discovery
    if found is None:
        return None
    return DiscoveryEvidence(
        score_position=found.score_position,
        likes=found.likes,
        typical_likes=found.typical_likes,
        diversity=found.diversity,
    )


def _learning(ranked: RankedCandidate) -> LearningEvidence | None:
    choice = ranked.policy
    if choice is None:
        return None
    return LearningEvidence(
        policy_share=ranked.contributions.get("policy", 0.0), explored=choice.explored, propensity=choice.propensity
    )


class EvidenceBuilder:
    """Turns a ranked candidate into :class:`~retrieval.evidence.Evidence` with display names from the catalogue."""

    def __init__(self, catalogue: Catalogue, graph: GraphStore | None) -> None:
        self.catalogue = catalogue
        self.graph = graph

    def build(self, ranked: RankedCandidate, request: RetrievalRequest) -> Evidence:
        candidate = ranked.candidate
        item = self.catalogue.items[candidate.item_id]
        return Evidence(
            sources=evidence_sources(candidate.features),
            paths=self._paths(candidate, request),
            collaborative=self._collaborative(candidate),
            conversations=self._conversations(candidate),
            discovery=_discovery(ranked),
            attribute_matches=tuple(AttributeMatch(field=f, value=v) for f, v in candidate.attribute_matches),
            vector_similarity=round(candidate.features["vector"], 4) if "vector" in candidate.features else None,
            constraints_met=tuple(request.constraints.satisfied_by(item)),
            contributions=ranked.contributions,
            learning=_learning(ranked),
        )

    def _paths(self, candidate: Candidate, request: RetrievalRequest) -> tuple[PathEvidence, ...]:
        paths: tuple[GraphPath, ...] = candidate.paths
        if not paths and request.liked_ids and self.graph is not None:
            try:
                paths = tuple(self.graph.paths(request.liked_ids, candidate.item_id, max_hops=2, limit=EVIDENCE_PATHS))
            except GraphUnavailable:
                paths = ()
        return tuple(self._path(path) for path in paths[:EVIDENCE_PATHS])

    def _path(self, path: GraphPath) -> PathEvidence:
        nodes = []
        for node in path.nodes:
            item = self.catalogue.get(node.key) if node.kind == "item" else None
            name = item.display_title if item is not None else node.name
            nodes.append(PathNodeEvidence(kind=node.kind, key=node.key, name=name))
        return PathEvidence(nodes=tuple(nodes), relations=tuple(path.relations))

    def _collaborative(self, candidate: Candidate) -> CollaborativeEvidence | None:
        signal = candidate.colike
        if signal is None or signal.co_likers == 0:
            return None
        return CollaborativeEvidence(
            source_item_id=signal.source_item_id,
            source_title=self.catalogue.items[signal.source_item_id].display_title,
            co_likers=signal.co_likers,
            mean_rating=signal.mean_rating,
        )

    def _conversations(self, candidate: Candidate) -> ConversationEvidence | None:
        signal = candidate.comention
        if signal is None or signal.people == 0 or signal.source_item_id not in self.catalogue.items:
            return None
        return ConversationEvidence(
            source_item_id=signal.source_item_id,
            source_title=self.catalogue.items[signal.source_item_id].display_title,
            people=signal.people,
        )
