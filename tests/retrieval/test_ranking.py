"""Collaborative signal and the transparent ranker on small real-shaped data."""

from __future__ import annotations

import numpy as np
import pytest

from kg.catalogue import Interaction
from retrieval.candidates import Candidate
from retrieval.collaborative import CoLikeIndex
from retrieval.features import FEATURES, describe_contributions
from retrieval.ranking import DEFAULT_WEIGHTS, ScorerRanker, WeightedSumRanker
from retrieval.request import RetrievalRequest
from retrieval.scorer.features import FEATURE_NAMES

pytestmark = pytest.mark.fast


def interactions(rows: list[tuple[str, str, float]]) -> list[Interaction]:
    return [Interaction(user, item, rating, index) for index, (user, item, rating) in enumerate(rows)]


def test_co_liked_items_come_first_with_counts_and_ratings() -> None:
    rows = [
        ("u1", "a", 5),
        ("u1", "b", 5),
        ("u1", "c", 2),
        ("u2", "a", 4),
        ("u2", "b", 4.5),
        ("u3", "a", 5),
        ("u3", "c", 5),
        ("u4", "d", 5),
    ]
    index = CoLikeIndex(interactions(rows), ["a", "b", "c", "d"], min_liked_rating=4.0)
    related = index.related(["a"], k=10)
    assert list(related) == ["b", "c"]
    signal_b = related["b"][1]
    assert signal_b.source_item_id == "a"
    assert signal_b.co_likers == 2
    assert signal_b.mean_rating == 4.8
    assert related["c"][1].co_likers == 1
    assert related["c"][1].mean_rating == 3.5
    assert "d" not in related and "a" not in related
    assert index.like_count("a") == 3
    assert index.related(["unknown"], k=5) == {}


def test_ranker_sums_normalised_contributions() -> None:
    candidates = [
        Candidate("x", {"vector": 0.5, "graph": 2.0, "popularity": 0.2}),
        Candidate("y", {"vector": 0.25, "collaborative": 1.0, "popularity": 1.0}),
    ]
    ranker = WeightedSumRanker({"vector": 1.0, "graph": 1.0, "collaborative": 1.0, "popularity": 0.5})
    ranked = ranker.rank(candidates, RetrievalRequest(query_text="", query_vector=np.zeros(3, np.float32)), n=2)
    assert [entry.candidate.item_id for entry in ranked] == ["x", "y"]
    assert ranked[0].contributions == {"vector": 1.0, "graph": 1.0, "popularity": 0.1}
    assert ranked[0].score == 2.1
    assert ranked[1].contributions == {"vector": 0.5, "collaborative": 1.0, "popularity": 0.5}
    assert sum(ranked[1].contributions.values()) == ranked[1].score


def test_contributions_are_described_in_plain_words_largest_first() -> None:
    text = describe_contributions({"sequence": 1.5, "popularity": -0.4, "genres": 0.25, "people": 2.0})
    assert text == (
        "people behind the films you like (+2.00); what people went on to watch after the films you like (+1.50); "
        "your genres (+0.25)"
    )
    assert set(FEATURES) >= set(FEATURE_NAMES) | set(DEFAULT_WEIGHTS)


def test_a_mood_moves_the_weighted_sum_both_ways() -> None:
    candidates = [
        Candidate("grim", {"vector": 1.0, "mood": -0.8}),
        Candidate("light", {"vector": 0.9, "mood": 0.4}),
        Candidate("plain", {"vector": 0.95}),
    ]
    request = RetrievalRequest(query_text="", query_vector=np.zeros(3, np.float32), moods=(("more", "light"),))
    ranked = WeightedSumRanker({"vector": 1.0, "mood": 1.0}).rank(candidates, request, n=3)
    assert [entry.candidate.item_id for entry in ranked] == ["light", "plain", "grim"]
    assert ranked[-1].contributions["mood"] == -1.0
    assert "fits the mood you asked for" in describe_contributions(ranked[0].contributions)


def test_fitted_weights_that_predate_the_mood_feature_still_weigh_it() -> None:
    fitted = WeightedSumRanker({"vector": 0.7, "graph": 2.0})
    assert fitted.weights["mood"] == DEFAULT_WEIGHTS["mood"] > 0
    assert WeightedSumRanker({"vector": 0.7, "mood": 0.0}).weights["mood"] == 0.0


class _FlatBlend:
    names = ("sequence",)

    def contributions(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"sequence": columns["sequence"]}


class _FlatScorer:
    """A trained scorer stand-in whose only feature gives every candidate the same score."""

    fitted_blend = _FlatBlend()

    def history(self, *_: object) -> None:
        return None

    def item_features(self, _: object, item_ids: list[str]) -> dict[str, np.ndarray]:
        return {"sequence": np.ones(len(item_ids), dtype=np.float32)}


def test_the_trained_scorer_adds_the_mood_on_top_of_its_blend() -> None:
    candidates = [Candidate("grim", {"mood": -0.5}), Candidate("light", {"mood": 0.5}), Candidate("plain")]
    request = RetrievalRequest(query_text="x", query_vector=np.zeros(3, np.float32), moods=(("more", "light"),))
    ranker = ScorerRanker(_FlatScorer(), {"mood": 2.0})  # type: ignore[arg-type]
    ranked = ranker.rank(candidates, request, n=3)
    assert [entry.candidate.item_id for entry in ranked] == ["light", "plain", "grim"]
    assert ranked[0].contributions == {"sequence": 1.0, "mood": 1.0}
    assert "mood" in ranker.feature_names
