"""Fitting the weighted-sum ranker to conversations, and the mention prior that feeds it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.learning.fit_ranking import turn_pools
from assistant.learning.replay import TurnReplayer
from assistant.learning.turns import read_turns
from kg.catalogue import Catalogue, Item
from kg.schema import MOVIE_SCHEMA
from retrieval.candidates import Candidate, CandidateGenerator
from retrieval.collaborative import CoLikeIndex
from retrieval.fusion import (
    TurnPool,
    cross_validate,
    dialogue_folds,
    fit_weights,
    load_fusion_weights,
    recall_metrics,
    save_fusion_weights,
    turn_pool,
)
from retrieval.ranking import WeightedSumRanker
from retrieval.request import RetrievalRequest


def test_a_pool_is_normalised_like_the_ranker_and_mentioned_items_are_dropped() -> None:
    candidates = [
        Candidate("a", {"vector": 0.8, "mentions": 0.5}),
        Candidate("b", {"vector": 0.4}),
        Candidate("c", {"vector": 0.2, "mentions": 1.0}),
    ]
    pool = turn_pool(candidates, ["vector", "mentions"], excluded={"a"}, targets=["c"], group="d1")
    assert pool.item_ids == ("b", "c")
    np.testing.assert_allclose(pool.features, [[0.5, 0.0], [0.25, 1.0]])
    weights = {"vector": 1.0, "mentions": 0.3}
    ranked = WeightedSumRanker(weights).rank(candidates, RetrievalRequest(query_text="", query_vector=np.zeros(3)), 3)
    by_pool = sorted(pool.item_ids, key=lambda item_id: -(pool.features[pool.item_ids.index(item_id)] @ [1.0, 0.3]))
    assert [entry.candidate.item_id for entry in ranked if entry.candidate.item_id != "a"] == by_pool


def test_recall_counts_every_target_at_its_rank() -> None:
    pool = TurnPool(("a", "b", "c"), np.array([[3.0], [2.0], [1.0]]), targets=("b", "z"), group="d")
    metrics = recall_metrics(np.array([1.0]), [pool])
    assert metrics["recall@1"] == 0.0 and metrics["recall@10"] == 0.5 and metrics["recall@50"] == 0.5
    assert metrics["ndcg@10"] == pytest.approx(0.5 / np.log2(3))


def synthetic_pools(count: int, seed: int) -> list[TurnPool]:
    """Pools whose target is the item highest on feature 1; feature 0 is noise that is larger on average."""
    rng = random.Random(seed)
    pools = []
    for turn in range(count):
        ids = tuple(f"i{n}" for n in range(30))
        features = np.array([[rng.random() * 2, rng.random()] for _ in ids])
        target = ids[int(np.argmax(features[:, 1]))]
        pools.append(TurnPool(ids, features, (target,), group=f"d{turn % 10}"))
    return pools


def test_fitting_moves_the_weight_to_the_feature_that_predicts_the_choice() -> None:
    pools = synthetic_pools(60, seed=1)
    start = {"noise": 1.0, "signal": 0.2}
    before = recall_metrics(np.array([1.0, 0.2]), pools)["recall@1"]
    weights = fit_weights(pools, list(start), start)
    after = recall_metrics(np.array([weights["noise"], weights["signal"]]), pools)["recall@1"]
    assert weights["signal"] > weights["noise"] >= 0
    assert before < 0.5 < after


def test_cross_validation_keeps_each_dialogue_in_one_fold() -> None:
    pools = synthetic_pools(60, seed=2)
    folds = dialogue_folds(pools, 5)
    assert sorted(len(fold) for fold in folds) == [2, 2, 2, 2, 2]
    assert set().union(*folds) == {pool.group for pool in pools}
    report = cross_validate(pools, 5, {"noise": 1.0, "signal": 0.2})
    assert report["pairs"] == 60 and len(report["fold_weights"]) == 5
    assert report["recall@1"] > 0.5


def test_weights_are_saved_and_read_back_and_a_damaged_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fusion.json"
    assert load_fusion_weights(path) is None
    save_fusion_weights(path, {"vector": 0.25, "mentions": 1.0}, {"turns": 12})
    assert load_fusion_weights(path) == {"vector": 0.25, "mentions": 1.0}
    assert json.loads(path.read_text())["fitted_on"] == {"turns": 12}
    path.write_text('{"weights": {"vector": -1}}')
    with pytest.raises(ValueError, match="non-negative"):
        load_fusion_weights(path)
    path.write_text("not json")
    with pytest.raises(ValueError, match="not a fusion weights file"):
        load_fusion_weights(path)


def test_the_most_mentioned_items_always_join_the_pool_with_their_prior() -> None:
    items = {
        str(n): Item(str(n), f"Film {n}", 2000, {"genres": ("Drama",) if n < 3 else ("Comedy",)}) for n in range(6)
    }
    catalogue = Catalogue(Path("."), items, (), MOVIE_SCHEMA, mentions={"4": 100, "5": 9, "1": 0})
    generator = CandidateGenerator(catalogue, CoLikeIndex([], list(items), min_liked_rating=4.0), None, None, pool=10)
    request = RetrievalRequest(query_text="drama", query_vector=np.zeros(3), liked_attributes={"genres": ("Drama",)})
    found = {candidate.item_id: candidate.features for candidate in generator.generate(request).candidates}
    assert {"0", "1", "2", "4", "5"} <= set(found)
    assert found["4"]["mentions"] == 1.0 and 0 < found["5"]["mentions"] < 1.0
    assert "mentions" not in found["1"] and "mentions" not in found["0"]


def test_pools_of_real_turns_match_the_assistants_ranking(fast_assistant: Assistant, datasets_dir: Path) -> None:
    turns = list(read_turns(datasets_dir / "redial" / "valid_turns.jsonl"))[:8]
    replayer = TurnReplayer(fast_assistant.pipeline, depth=50)
    pools = turn_pools(replayer, turns, ["vector", "graph", "collaborative", "attributes", "popularity"])
    assert len(pools) == 8
    for turn, pool in zip(turns, pools, strict=True):
        _, _, mentioned = replayer.replay(turn)
        assert not mentioned & set(pool.item_ids)
        assert pool.features.shape == (len(pool.item_ids), 5) and pool.features.max() <= 1.0
        assert pool.group == turn.dialog_id and len(pool.targets) == len(turn.rec)
