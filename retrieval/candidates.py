"""Candidate generation: vector, graph, collaborative, co-mention and attribute sources, fused into one pool.

Each source proposes items with a raw score and the facts it used; the
catalogue's most talked-about items (its mention counts, when it has them)
always join the pool, because in conversation people are recommended what
people talk about.  A source that is down (graph or vector store) is skipped
with a note rather than failing the turn.  The pool is not yet filtered:
:mod:`retrieval.filters` applies the law to every candidate, whatever its
source.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from kg.catalogue import Catalogue
from kg.store import GraphCandidate, GraphPath, GraphStore, GraphUnavailable
from retrieval.collaborative import CoLikeIndex, CoLikeSignal
from retrieval.comentions import CoMentionIndex, CoMentionSignal
from retrieval.moods import mood_features
from retrieval.request import RetrievalRequest
from retrieval.vector_store import VectorIndex, VectorStoreUnavailable

GRAPH_DOWN_NOTE = (
    "The knowledge graph is unreachable right now, so these suggestions rest on descriptions and ratings only."
)
VECTOR_DOWN_NOTE = "The text index is unavailable right now, so these suggestions rest on the graph and ratings only."


@dataclass
class Candidate:
    """One proposed item with every source's raw signal."""

    item_id: str
    features: dict[str, float] = field(default_factory=dict)
    paths: tuple[GraphPath, ...] = ()
    colike: CoLikeSignal | None = None
    comention: CoMentionSignal | None = None
    attribute_matches: tuple[tuple[str, str], ...] = ()


@dataclass
class CandidateSet:
    """The fused pool before filtering, notes about sources that were down, and why each was (for the log)."""

    candidates: list[Candidate]
    notes: list[str]
    failures: list[str] = field(default_factory=list)


class AttributeIndex:
    """Inverted index field -> folded value -> item ids, for asked-for attributes."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._index: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for item in catalogue.items.values():
            for field_name, values in item.attributes.items():
                for value in values:
                    self._index[field_name][value.casefold()].add(item.id)

    def items_with(self, field_name: str, value: str) -> set[str]:
        return self._index.get(field_name, {}).get(value.casefold(), set())


def scaled_log_counts(counts: Mapping[str, int]) -> dict[str, float]:
    """log(1 + count) scaled to [0, 1] by the largest; items counted zero times are left out."""
    logs = {item_id: math.log1p(count) for item_id, count in counts.items() if count > 0}
    top = max(logs.values(), default=1.0)
    return {item_id: value / top for item_id, value in logs.items()}


class CandidateGenerator:
    """Collects candidates from every available source for one request."""

    def __init__(
        self,
        catalogue: Catalogue,
        colike: CoLikeIndex,
        vector_index: VectorIndex | None,
        graph: GraphStore | None,
        pool: int,
        comentions: CoMentionIndex | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.colike = colike
        self.comentions = comentions or CoMentionIndex({})
        self.vector_index = vector_index
        self.graph = graph
        self.pool = pool
        self.attributes = AttributeIndex(catalogue)
        self._popularity = colike.popularity()
        self._popular_order = sorted(self._popularity, key=self._popularity.__getitem__, reverse=True)
        self._mentions = scaled_log_counts(catalogue.mentions)
        self._most_mentioned = sorted(self._mentions, key=lambda item_id: (-self._mentions[item_id], item_id))

    def generate(self, request: RetrievalRequest) -> CandidateSet:
        found: dict[str, Candidate] = {}
        notes: list[str] = []
        failures: list[str] = []

        def candidate(item_id: str) -> Candidate:
            return found.setdefault(item_id, Candidate(item_id))

        for item_id, similarity in self._vector(request, notes, failures):
            candidate(item_id).features["vector"] = similarity
        for graph_candidate in self._graph(request, notes, failures):
            entry = candidate(graph_candidate.item_id)
            entry.features["graph"] = graph_candidate.score
            entry.paths = graph_candidate.paths
        for item_id, (score, signal) in self.colike.related(request.liked_ids, self.pool).items():
            entry = candidate(item_id)
            entry.features["collaborative"] = score
            entry.colike = signal
        for item_id, (score, conversation) in self.comentions.related(request.liked_ids, self.pool).items():
            entry = candidate(item_id)
            entry.features["comention"] = score
            entry.comention = conversation
        for item_id, matches in self._attribute_matches(request).items():
            entry = candidate(item_id)
            entry.features["attributes"] = self._attribute_strength(matches)
            entry.attribute_matches = tuple(matches)
        for item_id in self._most_mentioned[: self.pool]:
            candidate(item_id)
        if len(found) < self.pool:
            for item_id in self._popular_order[: self.pool]:
                candidate(item_id)
        moods = mood_features((self.catalogue.items[item_id] for item_id in found), request.moods)
        for entry in found.values():
            entry.features["popularity"] = self._popularity.get(entry.item_id, 0.0)
            if entry.item_id in self._mentions:
                entry.features["mentions"] = self._mentions[entry.item_id]
            if entry.item_id in moods:
                entry.features["mood"] = moods[entry.item_id]
        return CandidateSet(candidates=list(found.values()), notes=notes, failures=failures)

    def _vector(self, request: RetrievalRequest, notes: list[str], failures: list[str]) -> list[tuple[str, float]]:
        if self.vector_index is None:
            notes.append(VECTOR_DOWN_NOTE)
            return []
        try:
            query = request.query_vector
            liked_vectors = list(self.vector_index.vectors(request.liked_ids).values())
            if liked_vectors:
                query = query + np.mean(liked_vectors, axis=0)
                query = query / (np.linalg.norm(query) + 1e-9)
            return self.vector_index.search_vector(query.astype(np.float32), self.pool)
        except VectorStoreUnavailable as exc:
            notes.append(VECTOR_DOWN_NOTE)
            failures.append(f"vector source: {exc}")
            return []

    def _graph(self, request: RetrievalRequest, notes: list[str], failures: list[str]) -> list[GraphCandidate]:
        if not request.liked_ids:
            return []
        if self.graph is None:
            notes.append(GRAPH_DOWN_NOTE)
            return []
        try:
            return self.graph.candidates(
                request.liked_ids, request.disliked_ids, constraints=request.constraints, k=self.pool
            )
        except GraphUnavailable as exc:
            notes.append(GRAPH_DOWN_NOTE)
            failures.append(f"graph source: {exc}")
            return []

    def _attribute_matches(self, request: RetrievalRequest) -> dict[str, list[tuple[str, str]]]:
        wanted = dict(request.liked_attributes)
        for field_name, values in request.constraints.include.items():
            wanted[field_name] = tuple(dict.fromkeys((*wanted.get(field_name, ()), *values)))
        matches: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for field_name, values in wanted.items():
            for value in values:
                for item_id in self.attributes.items_with(field_name, value):
                    matches[item_id].append((field_name, value))
        if len(matches) <= self.pool:
            return matches
        ranked = sorted(
            matches,
            key=lambda item_id: (
                self._attribute_strength(matches[item_id]),
                self._mentions.get(item_id, 0.0) + self._popularity.get(item_id, 0.0),
            ),
            reverse=True,
        )
        return {item_id: matches[item_id] for item_id in ranked[: self.pool]}

    def _attribute_strength(self, matches: list[tuple[str, str]]) -> float:
        """Sum of the schema weights of the matched values: a named director counts more than a genre."""
        return sum(self.catalogue.schema.relation_for(field_name).weight for field_name, _ in matches)
