"""``concierge fit-ranking``: fit the weighted-sum ranker's weights to the recommendation turns of real conversations.

Each turn's candidate pool (after the law) is retrieved once; the weights are
fitted by coordinate ascent on recall (:mod:`retrieval.fusion`), reported
cross-validated by dialogue so the figure is one to expect on dialogues the
weights never saw, and the weights fitted on every turn are saved where the
assistant reads them (``Settings.fusion_path``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from assistant.learning.replay import TurnReplayer
from assistant.learning.turns import ConversationTurn
from retrieval.fusion import (
    TurnPool,
    cross_validate,
    fit_weights,
    recall_metrics,
    save_fusion_weights,
    turn_pool,
    weight_vector,
)
from retrieval.ranking import DEFAULT_WEIGHTS, WeightedSumRanker


class NotAWeightedSum(ValueError):
    """The assistant ranks with a trained scorer, whose blend ``concierge train-scorer`` fits instead."""


def turn_pools(
    replayer: TurnReplayer, turns: Sequence[ConversationTurn], feature_names: Sequence[str]
) -> list[TurnPool]:
    """Every turn's allowed candidates as the ranker sees them, with the mentioned items removed."""
    pools = []
    for turn in tqdm(turns, desc="candidate pools", unit="turn"):
        _, mentioned = replayer.prepared(turn)
        pools.append(
            turn_pool(replayer.allowed(turn), feature_names, mentioned, replayer.targets(turn), turn.dialog_id)
        )
    return pools


def starting_weights(replayer: TurnReplayer) -> dict[str, float]:
    """The weights the assistant ranks with now, every default feature included."""
    ranker = replayer.pipeline.rank.ranker
    if not isinstance(ranker, WeightedSumRanker):
        raise NotAWeightedSum("this catalogue ranks with a trained scorer; fit-ranking fits the weighted sum")
    return {**DEFAULT_WEIGHTS, **ranker.weights}


def cross_validated(
    replayer: TurnReplayer,
    turns: Sequence[ConversationTurn],
    folds: int,
    pools: Sequence[TurnPool] | None = None,
) -> dict[str, Any]:
    """The figures fitted weights reach on held-out dialogues, and those of the weights in use; nothing is saved.

    ``pools``: the turns' pools over :func:`starting_weights`' features, when the caller has them already.
    """
    start = starting_weights(replayer)
    pools = list(pools) if pools is not None else turn_pools(replayer, turns, list(start))
    return {
        "as_configured": recall_metrics(weight_vector(start, list(start)), pools),
        "cross_validated": cross_validate(pools, folds, start),
        "pools": pools,
    }


def fit_ranking(
    replayer: TurnReplayer, turns: Sequence[ConversationTurn], folds: int, source: str, path: Path
) -> dict[str, Any]:
    """Cross-validated figures, then the weights fitted on every turn, saved at ``path`` for the assistant."""
    report = cross_validated(replayer, turns, folds)
    pools = report.pop("pools")
    start = starting_weights(replayer)
    weights = fit_weights(pools, list(start), start)
    save_fusion_weights(path, weights, {"turns_file": source, "turns": len(turns), "folds": folds})
    report.update(weights=weights, saved_to=str(path))
    return report
