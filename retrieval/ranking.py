"""A transparent ranker: a weighted sum of normalised source signals.

Every score is the sum of per-feature contributions, which are kept as
evidence, so "why is this first?" has an exact answer.  The fine-tuned scorer
replaces the weights with a learned model behind the same interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from retrieval.candidates import Candidate

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "vector": 1.0,
    "graph": 1.2,
    "collaborative": 1.2,
    "attributes": 1.5,
    "popularity": 0.3,
}


@dataclass(frozen=True)
class RankedCandidate:
    candidate: Candidate
    score: float
    contributions: dict[str, float]


class WeightedSumRanker:
    """Normalise each feature by its maximum over the pool, then weight and add."""

    def __init__(self, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> None:
        self.weights = dict(weights)

    def rank(self, candidates: Sequence[Candidate], n: int) -> list[RankedCandidate]:
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
