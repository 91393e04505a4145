"""The scorer's features of (history, item) pairs, for every item at once.

A user's history is an ordered tuple of item indices (most recent last), plus
what they said in the chat: stated attributes join the attribute profiles
(weighing as much as ``STATED_ATTRIBUTE_WEIGHT`` liked items) and the
message's embedding joins the content taste, so a user with no history at
all is still scored by what they asked for.  Each feature is a dense ``[users,
n_items + 1]`` matrix so a whole catalogue is scored with a few matrix
products.  The names are what explanations show as contributions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from retrieval.scorer.item_side import ATTRIBUTE_GROUPS, ItemSide

FEATURE_NAMES: tuple[str, ...] = (
    "sequence",
    "transitions",
    "co_liked",
    "content",
    *ATTRIBUTE_GROUPS,
    "era",
    "popularity",
    "trend",
)

RECENT_ITEMS = 10
RECENCY_DECAY = 0.8
PROFILE_ITEMS = 50
PROFILE_DECAY = 0.95
STATED_ATTRIBUTE_WEIGHT = 3.0
QUERY_WEIGHT = 1.0


@dataclass(frozen=True)
class History:
    """What the scorer sees of one user: ordered item indices and stated attribute values."""

    items: tuple[int, ...]
    liked_attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    last_time: int | None = None
    query_vector: NDArray[np.float32] | None = None


def recency_weights(length: int, decay: float) -> NDArray[np.float32]:
    """Weights of a history's items, the most recent weighing 1."""
    return (decay ** np.arange(length)[::-1]).astype(np.float32)


def _weighted_rows(histories: Sequence[History], n_items: int, keep: int, decay: float) -> sparse.csr_matrix:
    rows, columns, values = [], [], []
    for row, history in enumerate(histories):
        recent = history.items[-keep:]
        weights = recency_weights(len(recent), decay)
        for item, weight in zip(recent, weights, strict=True):
            rows.append(row)
            columns.append(item)
            values.append(weight)
    return sparse.csr_matrix((values, (rows, columns)), shape=(len(histories), n_items + 1), dtype=np.float32)


def _cosine_rows(profile: NDArray[np.float32], matrix: sparse.csr_matrix) -> NDArray[np.float32]:
    """Cosine between each profile row and each item's attribute row."""
    item_norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()) + 1e-6
    profile_norms = np.linalg.norm(profile, axis=1, keepdims=True) + 1e-6
    return np.asarray(matrix @ (profile / profile_norms).T).T / item_norms


def _attribute_profiles(
    histories: Sequence[History], weighted_history: sparse.csr_matrix, side: ItemSide, group: str
) -> NDArray[np.float32]:
    matrix = side.attributes[group]
    profile = np.asarray((weighted_history @ matrix).todense(), dtype=np.float32)
    column_of = {name: column for column, name in enumerate(side.attribute_names[group])}
    for row, history in enumerate(histories):
        for field_name in side.attribute_fields[group]:
            for value in history.liked_attributes.get(field_name, ()):
                column = column_of.get(value.casefold())
                if column is not None:
                    profile[row, column] += STATED_ATTRIBUTE_WEIGHT
    return _cosine_rows(profile, matrix)


def heuristic_features(histories: Sequence[History], side: ItemSide) -> dict[str, NDArray[np.float32]]:
    """Every feature except ``sequence`` (which needs the neural model)."""
    n = side.n_items
    recent = _weighted_rows(histories, n, RECENT_ITEMS, RECENCY_DECAY)
    profile = _weighted_rows(histories, n, PROFILE_ITEMS, PROFILE_DECAY)
    features: dict[str, NDArray[np.float32]] = {
        "transitions": np.asarray((recent @ side.transitions).todense(), dtype=np.float32),
        "co_liked": np.asarray((recent @ side.co_occurrence).todense(), dtype=np.float32),
    }
    taste = np.asarray(profile @ side.vectors, dtype=np.float32)
    taste /= np.linalg.norm(taste, axis=1, keepdims=True) + 1e-6
    for row, history in enumerate(histories):
        if history.query_vector is not None:
            taste[row] += QUERY_WEIGHT * history.query_vector
    taste /= np.linalg.norm(taste, axis=1, keepdims=True) + 1e-6
    features["content"] = taste @ side.vectors.T
    for group in ATTRIBUTE_GROUPS:
        features[group] = _attribute_profiles(histories, profile, side, group)
    known_years = profile.multiply(side.years > 0)
    year_weight = np.asarray(known_years.sum(axis=1)).ravel()
    mean_year = np.asarray(known_years @ side.years).ravel() / np.maximum(year_weight, 1e-6)
    gap = np.abs(side.years[None, :] - mean_year[:, None]) / 10.0
    features["era"] = np.where((side.years[None, :] > 0) & (year_weight[:, None] > 0), -gap, 0.0).astype(np.float32)
    features["popularity"] = np.broadcast_to(side.popularity, (len(histories), n + 1)).astype(np.float32)
    features["trend"] = np.stack(
        [
            side.trend(history.last_time) if history.last_time is not None else np.zeros(n + 1, np.float32)
            for history in histories
        ]
    )
    return features
