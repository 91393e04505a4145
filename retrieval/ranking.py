"""Rankers of the candidate pool: the trained scorer, or a transparent weighted sum.

Both give every score as the sum of per-feature contributions, which are kept
as evidence, so "why is this first?" has an exact answer.  The trained scorer
is the default; the weighted sum of the candidate sources' normalised signals
ranks when no scorer checkpoint is configured (a new catalogue before
``concierge train-scorer`` has run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from retrieval.candidates import Candidate
from retrieval.request import RetrievalRequest
from retrieval.scorer.scorer import ProfileScorer

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "vector": 1.0,
    "graph": 1.2,
    "collaborative": 1.2,
    "attributes": 1.5,
    "popularity": 0.3,
    "mentions": 0.3,
}


CONTRIBUTION_LABELS: Mapping[str, str] = {
    "sequence": "what people went on to watch after the films you like",
    "transitions": "watched in the same sittings as the films you like",
    "co_liked": "rated by the same people as the films you like",
    "content": "a description close to your films and your words",
    "genres": "your genres",
    "people": "people behind the films you like",
    "tags": "tags of the films you like",
    "era": "from the years of the films you like",
    "popularity": "popularity",
    "trend": "popular in the weeks of your last activity",
    "vector": "a description close to your words",
    "graph": "linked in the graph to what you like",
    "collaborative": "liked by people who liked your films",
    "attributes": "has what you asked for",
    "mentions": "often recommended in conversations",
}
"""Plain words for each ranking feature, for "why" answers; the evidence keeps the feature names."""


def describe_contributions(contributions: Mapping[str, float], most: int = 3) -> str:
    """The features that raised a score most, in plain words with their shares."""
    raised = sorted(((value, name) for name, value in contributions.items() if value > 0), reverse=True)[:most]
    return "; ".join(f"{CONTRIBUTION_LABELS.get(name, name)} (+{value:.2f})" for value, name in raised)


@dataclass(frozen=True)
class RankedCandidate:
    candidate: Candidate
    score: float
    contributions: dict[str, float]


class Ranker(Protocol):
    def rank(self, candidates: Sequence[Candidate], request: RetrievalRequest, n: int) -> list[RankedCandidate]: ...


class WeightedSumRanker:
    """Normalise each feature by its maximum over the pool, then weight and add."""

    def __init__(self, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> None:
        self.weights = dict(weights)

    def rank(self, candidates: Sequence[Candidate], request: RetrievalRequest, n: int) -> list[RankedCandidate]:
        """The top ``n``; ``request`` is not needed, the sources already used it."""
        peaks = {
            feature: max((c.features.get(feature, 0.0) for c in candidates), default=0.0) for feature in self.weights
        }
        ranked: list[RankedCandidate] = []
        for candidate in candidates:
            contributions = {
                feature: round(weight * candidate.features[feature] / peaks[feature], 4)
                for feature, weight in self.weights.items()
                if candidate.features.get(feature, 0.0) > 0 and peaks[feature] > 0
            }
            ranked.append(RankedCandidate(candidate, round(sum(contributions.values()), 4), contributions))
        ranked.sort(key=lambda entry: (-entry.score, entry.candidate.item_id))
        return ranked[:n]


class ScorerRanker:
    """The trained scorer over the candidate pool.

    The user's history is their liked items in the order they liked them, with
    the attributes they asked for and the embedding of the message, so that a
    first message with nothing liked yet is still ranked by what it asks.
    """

    def __init__(self, scorer: ProfileScorer) -> None:
        self.scorer = scorer

    def rank(self, candidates: Sequence[Candidate], request: RetrievalRequest, n: int) -> list[RankedCandidate]:
        if not candidates:
            return []
        query = request.query_vector if request.query_text.strip() else None
        history = self.scorer.history(request.liked_ids, request.liked_attributes, query)
        by_id = {candidate.item_id: candidate for candidate in candidates}
        scored = self.scorer.score_items(history, list(by_id))
        ranked = [RankedCandidate(by_id[entry.item_id], entry.score, entry.contributions) for entry in scored]
        ranked.sort(key=lambda entry: (-entry.score, entry.candidate.item_id))
        return ranked[:n]
