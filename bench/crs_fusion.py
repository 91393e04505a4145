"""Fitting the weighted-sum ranker to a turns file, scored honestly by cross-validation over dialogues.

Each turn's candidate pool is retrieved once.  The turns are split into
``folds`` groups by dialogue (every turn of a dialogue in the same group, so
no dialogue is scored with weights fitted on its own turns); each group is
ranked with weights fitted on the others, which gives the figure to expect
on dialogues the weights have never seen.  The weights fitted on all turns
are then saved where the assistant reads them (``Settings.fusion_path``), for
the next run and for other splits.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from tqdm.auto import tqdm

from retrieval.fusion import TurnPool, fit_weights, recall_metrics, save_fusion_weights, turn_pool, weight_vector


def turn_pools(replayer: Any, turns: Sequence[Any], feature_names: Sequence[str]) -> list[TurnPool]:
    """Every turn's candidates as the ranker sees them, with the mentioned items removed."""
    pipeline = replayer.assistant.pipeline
    pools = []
    for turn in tqdm(turns, desc="candidate pools", unit="turn"):
        request, mentioned = replayer.prepared(turn)
        allowed = pipeline.filter.run(pipeline.retrieve.run(request).pool, request).allowed
        pools.append(turn_pool(allowed, feature_names, mentioned, replayer.targets(turn), turn.dialog_id))
    return pools


def dialogue_folds(pools: Sequence[TurnPool], folds: int, seed: int = 0) -> list[set[str]]:
    """Dialogue ids dealt into ``folds`` groups after a seeded shuffle."""
    dialogues = sorted({pool.group for pool in pools})
    random.Random(seed).shuffle(dialogues)
    return [set(dialogues[index::folds]) for index in range(folds)]


def cross_validate(pools: Sequence[TurnPool], folds: int, start: dict[str, float]) -> dict[str, Any]:
    """Metrics of every fold ranked with weights fitted on the other folds, pooled over all (turn, target) pairs."""
    names = list(start)
    totals: dict[str, float] = {}
    pairs = 0
    fitted: list[dict[str, float]] = []
    for held_out in tqdm(dialogue_folds(pools, folds), desc="folds", unit="fold"):
        train = [pool for pool in pools if pool.group not in held_out]
        test = [pool for pool in pools if pool.group in held_out]
        weights = fit_weights(train, names, start)
        fitted.append(weights)
        count = sum(len(pool.targets) for pool in test)
        metrics = recall_metrics(weight_vector(weights, names), test)
        for name, value in metrics.items():
            totals[name] = totals.get(name, 0.0) + value * count
        pairs += count
    return {
        **{name: total / max(pairs, 1) for name, total in totals.items()},
        "folds": folds,
        "pairs": pairs,
        "fold_weights": fitted,
    }


def fit_and_save(
    replayer: Any, turns: Sequence[Any], folds: int, start: dict[str, float], turns_file: str
) -> dict[str, Any]:
    """Cross-validated metrics of fitted weights; the weights fitted on every turn are saved for the assistant."""
    pools = turn_pools(replayer, turns, list(start))
    report = {
        "as_configured": recall_metrics(weight_vector(start, list(start)), pools),
        "cross_validated": cross_validate(pools, folds, start),
    }
    weights = fit_weights(pools, list(start), start)
    path = replayer.assistant.settings.fusion_path
    save_fusion_weights(path, weights, {"turns_file": turns_file, "turns": len(turns), "folds": folds})
    report.update(weights=weights, saved_to=str(path))
    return report
