"""Weights of the weighted-sum ranker, fitted to recommendation turns of real conversations.

The weighted sum (:class:`retrieval.ranking.WeightedSumRanker`) ranks when no
scorer checkpoint exists, for instance on a catalogue that has conversations
but few ratings.  Its hand-set defaults suit a catalogue with a rich rating
log; on another catalogue the sources deserve other weights (ReDial's
recommenders follow what people talk about far more than MovieLens ratings).
Candidate pools do not depend on the weights, so a pool is retrieved once per
turn and every trial weighting re-ranks it with one matrix product; the fit is
a coordinate ascent on recall, which needs no gradient and keeps the weights
non-negative, so "why" still reads every contribution as a reason for.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from retrieval.candidates import Candidate

CUTOFFS = (1, 10, 50)
PoolScorer = Callable[[np.ndarray], np.ndarray]
"""Scores a pool's normalised feature matrix, one score per candidate."""
STEP_FACTORS = (0.0, 0.25, 0.5, 2.0, 4.0)
"""Each coordinate step tries the weight times these (a zero weight tries these times half the largest weight)."""


@dataclass(frozen=True)
class TurnPool:
    """One turn's candidates as features normalised as the ranker normalises them, and the items people chose."""

    item_ids: tuple[str, ...]
    features: np.ndarray
    targets: tuple[str, ...]
    group: str


def turn_pool(
    candidates: Sequence[Candidate],
    feature_names: Sequence[str],
    excluded: set[str],
    targets: Sequence[str],
    group: str,
) -> TurnPool:
    """Normalise each feature by its largest size over the whole pool (as the ranker does), then drop ``excluded``."""
    matrix = normalised_features(candidates, feature_names)
    keep = [row for row, candidate in enumerate(candidates) if candidate.item_id not in excluded]
    return TurnPool(
        item_ids=tuple(candidates[row].item_id for row in keep),
        features=matrix[keep],
        targets=tuple(targets),
        group=group,
    )


def normalised_features(candidates: Sequence[Candidate], feature_names: Sequence[str]) -> np.ndarray:
    """Each candidate's ``feature_names`` (rows, columns), each divided by its largest size over the pool: how the
    rankers that learn from conversations see a pool, when fitted and when ranking alike."""
    matrix = np.array(
        [[candidate.features.get(name, 0.0) for name in feature_names] for candidate in candidates], dtype=np.float64
    ).reshape(len(candidates), len(feature_names))
    peaks = np.abs(matrix).max(axis=0) if len(candidates) else np.ones(len(feature_names))
    return matrix / np.where(peaks > 0, peaks, 1.0)


def rank_metrics(rank: int | None) -> dict[str, float]:
    """Recall@1/10/50 and NDCG@10 of one recommended item found at ``rank`` (1-based; None: not in the list)."""
    scores = {f"recall@{k}": float(rank is not None and rank <= k) for k in CUTOFFS}
    scores["ndcg@10"] = 1 / math.log2(rank + 1) if rank is not None and rank <= 10 else 0.0
    return scores


def weight_vector(weights: Mapping[str, float], feature_names: Sequence[str]) -> np.ndarray:
    """The weights in ``feature_names`` order, 0 for a feature they do not name."""
    return np.array([float(weights.get(name, 0.0)) for name in feature_names])


def recall_metrics(weights: np.ndarray, pools: Sequence[TurnPool], depth: int = 50) -> dict[str, float]:
    """Recall@1/10/50 and NDCG@10 over every (turn, target) pair of ``pools`` ranked by ``weights``."""
    return scored_metrics(lambda features: features @ weights, pools, depth)


def scored_metrics(score: PoolScorer, pools: Sequence[TurnPool], depth: int = 50) -> dict[str, float]:
    """Recall@1/10/50 and NDCG@10 over every (turn, target) pair of ``pools`` ranked by ``score``."""
    totals = dict.fromkeys(rank_metrics(None), 0.0)
    pairs = 0
    for pool in pools:
        scores = score(pool.features)
        order = np.lexsort((np.array(pool.item_ids), -scores))[:depth]
        position = {pool.item_ids[row]: rank for rank, row in enumerate(order, start=1)}
        for target in pool.targets:
            pairs += 1
            for name, value in rank_metrics(position.get(target)).items():
                totals[name] += value
    return {name: total / max(pairs, 1) for name, total in totals.items()}


def objective(metrics: Mapping[str, float]) -> float:
    """Recall at every cut-off, the first place counted twice: what a person sees first matters most."""
    return 2 * metrics["recall@1"] + metrics["recall@10"] + metrics["recall@50"]


def fit_weights(
    pools: Sequence[TurnPool], feature_names: Sequence[str], start: Mapping[str, float], rounds: int = 3
) -> dict[str, float]:
    """Coordinate ascent from ``start``: keep any single-weight change that raises the objective."""
    weights = weight_vector(start, feature_names)
    best = objective(recall_metrics(weights, pools))
    for _ in range(rounds):
        improved = False
        for index in range(len(weights)):
            base = weights[index] if weights[index] > 0 else 0.5 * max(weights.max(), 1.0)
            for factor in STEP_FACTORS:
                trial = weights.copy()
                trial[index] = base * factor
                value = objective(recall_metrics(trial, pools))
                if value > best + 1e-12:
                    weights, best, improved = trial, value, True
        if not improved:
            break
    return {name: round(float(weight), 4) for name, weight in zip(feature_names, weights, strict=True)}


def dialogue_folds(pools: Sequence[TurnPool], folds: int, seed: int = 0) -> list[set[str]]:
    """Dialogue ids dealt into ``folds`` groups after a seeded shuffle."""
    dialogues = sorted({pool.group for pool in pools})
    random.Random(seed).shuffle(dialogues)
    return [set(dialogues[index::folds]) for index in range(folds)]


def cross_validate(pools: Sequence[TurnPool], folds: int, start: Mapping[str, float]) -> dict[str, Any]:
    """Metrics of every fold ranked with weights fitted on the other folds (see :func:`held_out_metrics`)."""
    names = list(start)

    def fit(train: Sequence[TurnPool]) -> tuple[PoolScorer, dict[str, float]]:
        weights = fit_weights(train, names, start)
        vector = weight_vector(weights, names)
        return (lambda features: features @ vector), weights

    return held_out_metrics(pools, folds, fit)


def held_out_metrics(
    pools: Sequence[TurnPool],
    folds: int,
    fit: Callable[[Sequence[TurnPool]], tuple[PoolScorer, Any]],
) -> dict[str, Any]:
    """Metrics of every fold ranked by what ``fit`` learnt on the other folds, pooled over all (turn, target) pairs.

    Every turn of a dialogue falls in the same fold, so no dialogue is scored
    with a ranking fitted on its own turns.  ``fit`` returns the scorer and what to report of it.
    """
    totals: dict[str, float] = {}
    pairs = 0
    fitted: list[Any] = []
    for held_out in tqdm(dialogue_folds(pools, folds), desc="folds", unit="fold"):
        score, report = fit([pool for pool in pools if pool.group not in held_out])
        fitted.append(report)
        test = [pool for pool in pools if pool.group in held_out]
        count = sum(len(pool.targets) for pool in test)
        for name, value in scored_metrics(score, test).items():
            totals[name] = totals.get(name, 0.0) + value * count
        pairs += count
    return {
        **{name: total / max(pairs, 1) for name, total in totals.items()},
        "folds": folds,
        "pairs": pairs,
        "fold_weights": fitted,
    }


def save_fusion_weights(path: Path, weights: Mapping[str, float], fitted_on: Mapping[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"weights": dict(weights), "fitted_on": dict(fitted_on)}, indent=2) + "\n", "utf-8")


def load_fusion_weights(path: Path) -> dict[str, float] | None:
    """The fitted weights at ``path``, or None when there are none; a damaged file is an error, not a default."""
    if not path.is_file():
        return None
    try:
        weights = json.loads(path.read_text("utf-8"))["weights"]
        parsed = {str(name): float(value) for name, value in weights.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a fusion weights file ({exc})") from exc
    if any(value < 0 or not math.isfinite(value) for value in parsed.values()):
        raise ValueError(f"{path}: fusion weights must be finite and non-negative")
    return parsed
