"""Rankers of the candidate pool: the trained scorer, or a transparent weighted sum.

Both read one feature contract, ``Candidate.features`` (see
:mod:`retrieval.features`), and give every score as the sum of per-feature
contributions, which are kept as evidence, so "why is this first?" has an
exact answer.  The trained scorer first adds its profile features to each
candidate; the weighted sum of the sources' normalised signals ranks when no
scorer checkpoint is configured (a new catalogue before ``concierge
train-scorer`` has run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.candidates import Candidate
from retrieval.curves import RankingCurves
from retrieval.fusion import normalised_features
from retrieval.request import RetrievalRequest
from retrieval.scorer.scorer import ProfileScorer

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "vector": 1.0,
    "graph": 1.2,
    "collaborative": 1.2,
    "attributes": 1.5,
    "popularity": 0.3,
    "mentions": 0.3,
    "mood": 1.0,
    "comention": 1.2,
}
REQUEST_WEIGHTS: Mapping[str, float] = {"mood": DEFAULT_WEIGHTS["mood"], "comention": DEFAULT_WEIGHTS["comention"]}
"""Features newer than some fitted weights (the request's moods, conversation co-mentions): weighted even when
fitted weights predate them and leave them out."""
SCORER_REQUEST_WEIGHTS: Mapping[str, float] = {"mood": 1.5, "comention": 1.0}
"""The same on the trained scorer's scale, where a standardised feature moves a score by about its weight
per standard deviation; a mood fit lies in (-1, 1), a co-mention share in [0, 1]."""


@dataclass(frozen=True)
class Discovery:
    """Why a pick is listed although its score alone would not have listed it (see :mod:`retrieval.reranking`)."""

    score_position: int
    """Its place (1-based) in the score order."""
    likes: int
    """People who liked it."""
    typical_likes: int
    """The median of the same count over the films the score alone would have listed; always above ``likes``."""
    diversity: float
    """The re-ranking setting it was brought in at."""


@dataclass(frozen=True)
class PolicyChoice:
    """How the learning policy (:mod:`retrieval.policy`) placed an item: what it logs and what "why" shows."""

    context: dict[str, float]
    """The policy's feature vector of the item in its list (the ranking features scaled over the pool)."""
    propensity: float
    """The probability that the policy put this item at this position, given the positions before it."""
    explored: bool
    """Placed by an exploration draw rather than by the learned order."""


@dataclass(frozen=True)
class RankedCandidate:
    candidate: Candidate
    score: float
    contributions: dict[str, float]
    discovery: Discovery | None = None
    """Set when exposure-aware re-ranking brought the item into the list."""
    policy: PolicyChoice | None = None
    """Set when the learning policy ranked the list (its share is ``contributions["policy"]``)."""


class Ranker(Protocol):
    @property
    def feature_names(self) -> tuple[str, ...]:
        """The features of ``Candidate.features`` this ranker weighs."""
        ...

    def rank(self, candidates: Sequence[Candidate], request: RetrievalRequest, n: int) -> list[RankedCandidate]: ...


def _top(ranked: list[RankedCandidate], n: int) -> list[RankedCandidate]:
    ranked.sort(key=lambda entry: (-entry.score, entry.candidate.item_id))
    return ranked[:n]


class WeightedSumRanker:
    """Normalise each feature by its largest size over the pool, then weight and add.

    Source signals are never negative; a mood fit is negative for an item at the mood's far end, and its
    contribution then lowers the score.
    """

    def __init__(self, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> None:
        self.weights = {**weights, **{name: w for name, w in REQUEST_WEIGHTS.items() if name not in weights}}

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def rank(self, candidates: Sequence[Candidate], request: RetrievalRequest, n: int) -> list[RankedCandidate]:
        """The top ``n``; ``request`` is not needed, the sources already used it."""
        peaks = {
            feature: max((abs(c.features.get(feature, 0.0)) for c in candidates), default=0.0)
            for feature in self.weights
        }
        ranked: list[RankedCandidate] = []
        for candidate in candidates:
            contributions = {
                feature: round(weight * candidate.features[feature] / peaks[feature], 4)
                for feature, weight in self.weights.items()
                if candidate.features.get(feature, 0.0) != 0 and peaks[feature] > 0
            }
            ranked.append(RankedCandidate(candidate, round(sum(contributions.values()), 4), contributions))
        return _top(ranked, n)


class CurvesRanker:
    """Normalise each feature by its largest size over the pool (as the weighted sum does), then add each
    feature's learned curve at the item's value (:mod:`retrieval.curves`, ``concierge fit-ranking --model curves``).

    The request's soft preferences (moods) keep their fixed weights: conversations rarely carry them, so curves
    fitted on conversations must not be the reason a mood stops counting.
    """

    def __init__(self, curves: RankingCurves, request_weights: Mapping[str, float] = REQUEST_WEIGHTS) -> None:
        self.curves = curves
        self.request_weights = {name: w for name, w in request_weights.items() if name not in curves.curves}

    @property
    def feature_names(self) -> tuple[str, ...]:
        return (*self.curves.feature_names, *self.request_weights)

    def rank(self, candidates: Sequence[Candidate], request: RetrievalRequest, n: int) -> list[RankedCandidate]:
        """The top ``n``; ``request`` is not needed, the sources already used it."""
        if not candidates:
            return []
        names = self.feature_names
        matrix = normalised_features(candidates, names)
        learned = len(self.curves.curves)
        gains = self.curves.gains(matrix[:, :learned])
        weights = np.array(list(self.request_weights.values()))
        ranked = []
        for row, candidate in enumerate(candidates):
            parts = {
                name: round(float(gains[row, column]), 4)
                for column, name in enumerate(names[:learned])
                if matrix[row, column] != 0
            }
            parts.update(
                (name, round(float(weight * matrix[row, learned + column]), 4))
                for column, (name, weight) in enumerate(zip(names[learned:], weights, strict=True))
                if matrix[row, learned + column] != 0
            )
            ranked.append(RankedCandidate(candidate, round(sum(parts.values()), 4), parts))
        return _top(ranked, n)


class ScorerRanker:
    """The trained scorer over the candidate pool.

    The user's history is their liked items in the order they liked them, with
    the attributes they asked for and the embedding of the message, so that a
    first message with nothing liked yet is still ranked by what it asks.
    """

    def __init__(self, scorer: ProfileScorer, request_weights: Mapping[str, float] = SCORER_REQUEST_WEIGHTS) -> None:
        """``request_weights``: the request's soft preferences (moods), which no checkpoint was trained on."""
        self.scorer = scorer
        self.request_weights = dict(request_weights)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return (*self.scorer.fitted_blend.names, *self.request_weights)

    def add_profile_features(self, candidates: Sequence[Candidate], request: RetrievalRequest) -> None:
        """Write the scorer's features of the user's history into each candidate's ``features``."""
        query = request.query_vector if request.query_text.strip() else None
        history = self.scorer.history(request.liked_ids, request.liked_attributes, query)
        values = self.scorer.item_features(history, [candidate.item_id for candidate in candidates])
        for index, candidate in enumerate(candidates):
            for name in self.scorer.fitted_blend.names:
                candidate.features[name] = float(values[name][index])

    def rank(self, candidates: Sequence[Candidate], request: RetrievalRequest, n: int) -> list[RankedCandidate]:
        if not candidates:
            return []
        self.add_profile_features(candidates, request)
        columns = {
            name: np.array([candidate.features[name] for candidate in candidates], dtype=np.float32)
            for name in self.scorer.fitted_blend.names
        }
        contributions = self.scorer.fitted_blend.contributions(columns)
        ranked = []
        for index, candidate in enumerate(candidates):
            parts = {name: round(float(values[index]), 4) for name, values in contributions.items()}
            parts.update(
                (name, round(weight * candidate.features[name], 4))
                for name, weight in self.request_weights.items()
                if candidate.features.get(name, 0.0) != 0
            )
            ranked.append(RankedCandidate(candidate, round(sum(parts.values()), 4), parts))
        return _top(ranked, n)
