"""``concierge fit-ranking``: fit the ranking to the recommendation turns of real conversations.

Each turn's candidate pool (after the law) is retrieved once.  Two models:
the weighted sum's weights, fitted by coordinate ascent on recall
(:mod:`retrieval.fusion`), or one learned curve per feature
(:mod:`retrieval.curves`).  Either is reported cross-validated by dialogue,
so the figure is one to expect on dialogues the fit never saw, then fitted on
every turn and saved where the assistant reads it (``Settings.fusion_path``,
``Settings.curves_path``; curves, when present, rank instead of the weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from tqdm.auto import tqdm

from assistant.learning.replay import TurnReplayer
from assistant.learning.turns import ConversationTurn
from retrieval.curves import cross_validate_curves, fit_curves
from retrieval.features import FEATURES
from retrieval.fusion import (
    TurnPool,
    cross_validate,
    fit_weights,
    recall_metrics,
    save_fusion_weights,
    scored_metrics,
    turn_pool,
    weight_vector,
)
from retrieval.ranking import DEFAULT_WEIGHTS, CurvesRanker, ScorerRanker, WeightedSumRanker

CURVE_FEATURES = tuple(name for name in DEFAULT_WEIGHTS if FEATURES[name].origin in ("source", "prior"))
"""What curves are learned for: what the sources found and the priors. A request's moods keep their fixed
weight (conversations rarely carry one, so a curve for them would learn to ignore them)."""


RankingModel = Literal["weights", "curves"]


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
    """The weighted sum's weights now (the defaults when curves rank), every default feature included."""
    ranker = replayer.pipeline.rank.ranker
    if isinstance(ranker, ScorerRanker):
        raise NotAWeightedSum("this catalogue ranks with a trained scorer; fit-ranking fits the conversation ranking")
    return {**DEFAULT_WEIGHTS, **(ranker.weights if isinstance(ranker, WeightedSumRanker) else {})}


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
        "as_configured": as_configured(replayer, pools, list(start)),
        "cross_validated": cross_validate(pools, folds, start),
        "pools": pools,
    }


def as_configured(replayer: TurnReplayer, pools: Sequence[TurnPool], feature_names: Sequence[str]) -> dict[str, Any]:
    """The figures of the ranking in use: its curves when curves rank, else its weights."""
    ranker = replayer.pipeline.rank.ranker
    if isinstance(ranker, CurvesRanker):
        columns = [feature_names.index(name) for name in ranker.curves.feature_names]
        return scored_metrics(lambda features: ranker.curves.score(features[:, columns]), pools)
    return recall_metrics(weight_vector(starting_weights(replayer), feature_names), pools)


def cross_validated_curves(pools: Sequence[TurnPool], feature_names: Sequence[str], folds: int) -> dict[str, Any]:
    """Curves fitted on all folds but one, scored on that one, over pools whose columns are ``feature_names``."""
    return cross_validate_curves(curve_pools(pools, feature_names), folds, CURVE_FEATURES)


def curve_pools(pools: Sequence[TurnPool], feature_names: Sequence[str]) -> list[TurnPool]:
    """The pools (columns ``feature_names``) with only the ``CURVE_FEATURES`` columns, in that order."""
    columns = [list(feature_names).index(name) for name in CURVE_FEATURES]
    return [replace(pool, features=pool.features[:, columns]) for pool in pools]


def fit_ranking(
    replayer: TurnReplayer,
    turns: Sequence[ConversationTurn],
    folds: int,
    source: str,
    path: Path,
    model: RankingModel = "weights",
) -> dict[str, Any]:
    """Cross-validated figures, then the ``model`` fitted on every turn, saved at ``path`` for the assistant."""
    fitted_on = {"turns_file": source, "turns": len(turns), "folds": folds}
    if model == "weights":
        report = cross_validated(replayer, turns, folds)
        pools = report.pop("pools")
        start = starting_weights(replayer)
        weights = fit_weights(pools, list(start), start)
        save_fusion_weights(path, weights, fitted_on)
        report.update(weights=weights, saved_to=str(path))
        return report
    names = list(starting_weights(replayer))
    pools = turn_pools(replayer, turns, names)
    selected = curve_pools(pools, names)
    curves = fit_curves(selected, CURVE_FEATURES)
    curves.save(path, fitted_on)
    return {
        "as_configured": as_configured(replayer, pools, names),
        "cross_validated": cross_validate_curves(selected, folds, CURVE_FEATURES),
        "spans": curves.spans(),
        "saved_to": str(path),
    }
