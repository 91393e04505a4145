"""The whole scorer training run: split, item side, sequence model, blend, test.

The sequence model learns from the training histories and stops early on the
validation items; the blend is then fitted on those same validation items
(whose sequence scores are honest, since the model never trained on them);
the test items, never touched before, give the reported metrics.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kg.catalogue import Item
from kg.schema import CatalogueSchema
from retrieval.scorer.blend import fit_blend
from retrieval.scorer.features import FEATURE_NAMES, History
from retrieval.scorer.interactions import Event, LeaveOneOutSplit, leave_one_out
from retrieval.scorer.item_side import build_item_side
from retrieval.scorer.metrics import held_out_metrics, ranking_metrics, target_ranks
from retrieval.scorer.scorer import ProfileScorer
from retrieval.scorer.sequence_model import SequenceModelConfig
from retrieval.scorer.sequence_training import (
    SequenceTrainingConfig,
    train_sequence_model,
)
from retrieval.scorer.vectors import VectorLookup


@dataclass(frozen=True)
class ScorerTrainingConfig:
    seed: int = 0
    min_count: int = 5
    sequence_model: Mapping[str, Any] = field(default_factory=lambda: {"max_length": 100})
    sequence_training: Mapping[str, Any] = field(
        default_factory=lambda: {
            "max_epochs": 120,
            "batch_size": 128,
            "learning_rate": 2e-3,
        }
    )


@dataclass(frozen=True)
class TrainedScorer:
    scorer: ProfileScorer
    split: LeaveOneOutSplit
    metrics: dict[str, Any]
    test_scores: NDArray[np.float32]


def histories_for_validation(split: LeaveOneOutSplit) -> list[History]:
    """Each user's training items, predicting their validation item, as of the last training event."""
    return [
        History(split.train[user], last_time=split.times[user][len(split.train[user]) - 1])
        for user in range(len(split.users))
    ]


def histories_for_test(split: LeaveOneOutSplit) -> list[History]:
    """Training items plus the validation item, predicting the test item, as of the validation event."""
    return [History(split.test_history(user), last_time=split.times[user][-2]) for user in range(len(split.users))]


def train_scorer(
    events: Sequence[Event],
    items: Mapping[str, Item],
    schema: CatalogueSchema,
    vectors: VectorLookup,
    config: ScorerTrainingConfig = ScorerTrainingConfig(),
    progress: bool = True,
) -> TrainedScorer:
    """Train on ``events`` with the LlamaRec split; report validation and test metrics."""
    started = time.perf_counter()
    split = leave_one_out(events, config.min_count)
    side = build_item_side(split.item_ids, items, vectors(split.item_ids), schema, split.train, split.times)
    model_config = SequenceModelConfig(n_items=split.n_items, **config.sequence_model)
    training_config = SequenceTrainingConfig(seed=config.seed, **config.sequence_training)
    sequence = train_sequence_model(split.train, split.valid, model_config, training_config, progress=progress)
    valid_features = ProfileScorer(sequence.model, split.item_ids, None, side).features(histories_for_validation(split))
    blend = fit_blend(
        valid_features,
        split.train,
        split.valid,
        FEATURE_NAMES,
        seed=config.seed,
        progress=progress,
    )
    scorer = ProfileScorer(sequence.model, split.item_ids, blend, side)
    valid_scores = blend.score(valid_features)
    test_history = histories_for_test(split)
    test_scores = scorer.score_all(test_history)
    metrics = {
        "users": len(split.users),
        "items": split.n_items,
        "valid": ranking_metrics(target_ranks(valid_scores, split.train, split.valid)),
        "test": held_out_metrics(test_scores, split),
        "sequence_epochs": sequence.epochs,
        "sequence_best_epoch": sequence.best_epoch,
        "sequence_epoch_losses": [round(loss, 4) for loss in sequence.epoch_losses],
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    return TrainedScorer(scorer, split, metrics, test_scores)
