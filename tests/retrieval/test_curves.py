"""Ranking curves learned from conversations: their fit, their file, and the ranker that adds them up."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from retrieval.candidates import Candidate
from retrieval.curves import CurveFitting, FeatureCurve, RankingCurves, cross_validate_curves, fit_curves
from retrieval.fusion import TurnPool, recall_metrics
from retrieval.ranking import CurvesRanker
from retrieval.request import RetrievalRequest

FAST = CurveFitting(rounds=40, shrinkage=0.2, smoothing=1.0, negatives_per_turn=30)


def peaked_pools(turns: int, seed: int = 0) -> list[TurnPool]:
    """Pools where the item people were recommended is the one whose first feature sits near 0.6, not at the top.

    A weighted sum can only rank that feature up or down; a curve can learn its peak.  The second feature is
    noise.
    """
    generator = np.random.default_rng(seed)
    pools = []
    for turn in range(turns):
        features = generator.uniform(0, 1, size=(40, 2))
        features[0, 0] = 0.6 + generator.uniform(-0.03, 0.03)
        features[1:, 0] = np.where(np.abs(features[1:, 0] - 0.6) < 0.1, 0.95, features[1:, 0])
        ids = tuple(f"{turn}-{row}" for row in range(40))
        pools.append(TurnPool(ids, features, (ids[0],), f"dialogue {turn % 10}"))
    return pools


def test_a_curve_learns_a_peak_that_no_weight_can() -> None:
    pools = peaked_pools(60)
    curves = fit_curves(pools, ["closeness", "noise"], FAST)
    closeness = curves.curves["closeness"]
    assert closeness.gain(np.array([0.6]))[0] > closeness.gain(np.array([0.95]))[0]
    test = peaked_pools(30, seed=1)
    learned = recall_metrics_of(curves, test)
    best_weight = max(recall_metrics(np.array([w, 0.0]), test)["recall@1"] for w in (-1.0, 1.0))
    assert learned["recall@1"] >= 0.8 and best_weight <= 0.2


def recall_metrics_of(curves: RankingCurves, pools: list[TurnPool]) -> dict[str, float]:
    hits = [pool.item_ids[int(np.argmax(curves.score(pool.features)))] in pool.targets for pool in pools]
    return {"recall@1": float(np.mean(hits))}


def test_cross_validation_holds_out_whole_dialogues_and_reports_each_folds_spans() -> None:
    report = cross_validate_curves(peaked_pools(60), 3, ["closeness", "noise"], FAST)
    assert report["folds"] == 3 and report["pairs"] == 60 and report["recall@1"] >= 0.8
    assert all(spans["closeness"] > spans["noise"] for spans in report["fold_weights"])


def test_no_target_in_any_pool_is_a_clear_error() -> None:
    empty = TurnPool(("a",), np.ones((1, 1)), ("elsewhere",), "d")
    with pytest.raises(ValueError, match="nothing to learn curves from"):
        fit_curves([empty], ["vector"], FAST)


def test_curves_survive_their_file_and_a_damaged_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "ranking-curves.json"
    assert RankingCurves.load(path) is None
    curves = fit_curves(peaked_pools(20), ["closeness", "noise"], FAST)
    curves.save(path, {"turns": 20})
    assert RankingCurves.load(path) == curves
    assert json.loads(path.read_text())["fitted_on"] == {"turns": 20}
    data = json.loads(path.read_text())
    data["curves"]["closeness"]["values"].pop()
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="not a ranking curves file"):
        RankingCurves.load(path)
    path.write_text("{")
    with pytest.raises(ValueError, match="not a ranking curves file"):
        RankingCurves.load(path)


def test_a_curve_rejects_edges_that_do_not_rise() -> None:
    with pytest.raises(ValueError, match="rise"):
        FeatureCurve((0.5, 0.2), (0.0, 1.0, 2.0))


def test_the_ranker_adds_each_features_gain_over_the_pool_normalised_values() -> None:
    curves = RankingCurves(
        {
            "mentions": FeatureCurve((0.0, 0.5), (0.0, 0.2, 1.0)),
            "vector": FeatureCurve((0.0, 0.9), (0.0, 0.5, 0.1)),
        }
    )
    candidates = [
        Candidate("loud", {"mentions": 10.0, "vector": 0.95}),
        Candidate("close", {"mentions": 2.0, "vector": 0.7}),
        Candidate("moody", {"vector": 0.1, "mood": 0.5}),
    ]
    ranked = CurvesRanker(curves).rank(
        candidates, RetrievalRequest(query_text="x", query_vector=np.zeros(3, dtype=np.float32)), 3
    )
    parts = {entry.candidate.item_id: entry.contributions for entry in ranked}
    assert parts["loud"] == {"mentions": 1.0, "vector": 0.1}
    assert parts["close"] == {"mentions": 0.2, "vector": 0.5}
    assert parts["moody"] == {"vector": 0.5, "mood": 1.0}
    assert [entry.candidate.item_id for entry in ranked] == ["moody", "loud", "close"]
    assert all(entry.score == pytest.approx(sum(entry.contributions.values())) for entry in ranked)
