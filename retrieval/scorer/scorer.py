"""The profile scorer the assistant ranks with, and its checkpoint format.

It scores every item of an ``ItemSide`` for a user history: the sequence
model's next-item log-probability plus the heuristic features, blended by
learned weights.  Items the sequence model never saw (new items, or a
catalogue wider than the training data) get the blend's mean for that
feature, so they are neither helped nor hurt by it: their content,
attributes and era still rank them.  A checkpoint is a directory holding the
sequence model's weights and one JSON file with its configuration, item
vocabulary, blend and training metrics.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from retrieval.scorer.blend import LinearBlend
from retrieval.scorer.features import History, heuristic_features
from retrieval.scorer.item_side import ItemSide
from retrieval.scorer.sequence_model import SequenceModel, SequenceModelConfig
from retrieval.scorer.sequence_training import next_item_scores

WEIGHTS_FILE = "sequence_model.pt"
CONFIG_FILE = "scorer.json"
FORMAT_VERSION = 1


class ScorerCheckpointError(ValueError):
    """A scorer directory that is missing, incomplete or from another format."""


@dataclass(frozen=True)
class ScoredItem:
    item_id: str
    score: float
    contributions: dict[str, float]


class ProfileScorer:
    """Learned scores of (history, item) pairs over one item universe."""

    def __init__(
        self,
        model: SequenceModel,
        vocabulary: Sequence[str],
        blend: LinearBlend | None,
        side: ItemSide,
    ) -> None:
        """``blend`` is None only while it is being fitted: features work, scores do not."""
        self.model = model.eval()
        self.vocabulary = tuple(vocabulary)
        self.blend = blend
        self.side = side
        model_index = {item_id: index for index, item_id in enumerate(self.vocabulary, start=1)}
        self._to_model = np.array(
            [0] + [model_index.get(item_id, 0) for item_id in side.item_ids],
            dtype=np.int64,
        )
        self._side_index = side.index_of()
        self._sequence_mean = blend.means[blend.names.index("sequence")] if blend and "sequence" in blend.names else 0.0
        counts = side.interaction_counts[1:].astype(np.float64)
        self._log_prior = np.concatenate([[0.0], np.log((counts + 1.0) / (counts.sum() + len(counts)))]).astype(
            np.float32
        )

    @property
    def fitted_blend(self) -> LinearBlend:
        if self.blend is None:
            raise RuntimeError("this scorer's blend has not been fitted yet")
        return self.blend

    def with_side(self, side: ItemSide) -> ProfileScorer:
        """The same trained scorer over another item universe (e.g. the whole catalogue)."""
        return ProfileScorer(self.model, self.vocabulary, self.blend, side)

    def history(
        self,
        item_ids: Sequence[str],
        liked_attributes: Mapping[str, Sequence[str]] | None = None,
        query_vector: NDArray[np.float32] | None = None,
    ) -> History:
        """A history from catalogue ids in the order they were liked; unknown ids are ignored."""
        indices = tuple(self._side_index[item_id] for item_id in item_ids if item_id in self._side_index)
        attributes = {key: tuple(values) for key, values in (liked_attributes or {}).items()}
        return History(items=indices, liked_attributes=attributes, query_vector=query_vector)

    def sequence_feature(self, histories: Sequence[History]) -> NDArray[np.float32]:
        """Next-item log-probabilities; with no known item yet, the log of how often each item comes at all.

        That prior is what a next-item model knows before the first item, so a
        first message ("films by Christopher Nolan") still favours the ones
        people actually watch among those that match.
        """
        model_histories = [
            [int(self._to_model[item]) for item in history.items if self._to_model[item]] for history in histories
        ]
        model_scores = next_item_scores(self.model, model_histories)
        feature = np.full((len(histories), self.side.n_items + 1), self._sequence_mean, dtype=np.float32)
        known = self._to_model > 0
        feature[:, known] = model_scores[:, self._to_model[known]]
        for row, model_history in enumerate(model_histories):
            if not model_history:
                feature[row] = self._log_prior
        return feature

    def features(self, histories: Sequence[History]) -> dict[str, NDArray[np.float32]]:
        """Every feature for every item; a feature equal for all items of a user becomes the blend's mean.

        Such a feature (no years known, no liked items yet) says nothing about
        that user, so it should neither add to nor subtract from any score.
        """
        features = heuristic_features(histories, self.side)
        features["sequence"] = self.sequence_feature(histories)
        if self.blend is not None:
            for name, mean in zip(self.blend.names, self.blend.means, strict=True):
                values = features[name]
                constant = values[:, 1:].max(axis=1) == values[:, 1:].min(axis=1)
                values[constant] = mean
        return features

    def score_all(self, histories: Sequence[History]) -> NDArray[np.float32]:
        """``[users, n_items + 1]`` blended scores over the item side (column 0 is padding)."""
        return self.fitted_blend.score(self.features(histories))

    def item_features(self, history: History, item_ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """Every feature's value for some catalogue items, in ``item_ids`` order, for one history."""
        columns = []
        for item_id in item_ids:
            column = self._side_index.get(item_id)
            if column is None:
                raise KeyError(f"item {item_id!r} is not in the scorer's item universe")
            columns.append(column)
        return {name: values[0, columns] for name, values in self.features([history]).items()}

    def score_items(self, history: History, item_ids: Sequence[str]) -> list[ScoredItem]:
        """Scores and per-feature contributions of some catalogue items for one history."""
        contributions = self.fitted_blend.contributions(self.item_features(history, item_ids))
        scored = []
        for index, item_id in enumerate(item_ids):
            parts = {name: round(float(values[index]), 4) for name, values in contributions.items()}
            scored.append(ScoredItem(item_id, round(sum(parts.values()), 4), parts))
        return scored

    def save(self, directory: Path, metadata: Mapping[str, Any]) -> None:
        """Write the weights and ``scorer.json`` (configuration, vocabulary, blend and ``metadata``)."""
        directory.mkdir(parents=True, exist_ok=True)
        torch.save(self.model.state_dict(), directory / WEIGHTS_FILE)
        document = {
            "format": FORMAT_VERSION,
            "sequence_model": self.model.config.to_dict(),
            "vocabulary": list(self.vocabulary),
            "blend": self.fitted_blend.to_dict(),
            **metadata,
        }
        (directory / CONFIG_FILE).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def read_checkpoint(
    directory: Path,
) -> tuple[SequenceModel, tuple[str, ...], LinearBlend, dict[str, Any]]:
    """Load a saved scorer's parts; the caller supplies the item side it should score."""
    config_path, weights_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
    if not config_path.is_file() or not weights_path.is_file():
        raise ScorerCheckpointError(f"{directory} is not a scorer checkpoint (needs {CONFIG_FILE} and {WEIGHTS_FILE})")
    document = json.loads(config_path.read_text(encoding="utf-8"))
    if document.get("format") != FORMAT_VERSION:
        raise ScorerCheckpointError(f"{config_path}: format {document.get('format')!r}, expected {FORMAT_VERSION}")
    model = SequenceModel(SequenceModelConfig(**document["sequence_model"]))
    model.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
    return (
        model.eval(),
        tuple(document["vocabulary"]),
        LinearBlend.from_dict(document["blend"]),
        document,
    )
