"""The trained scorer over a whole catalogue, as the assistant uses it.

The checkpoint carries the sequence model and the blend; the item side is
rebuilt here over every catalogue item from the catalogue's own interaction
log and the vector store's item vectors, so items the training data never
had are still scored by content, attributes and era.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kg.catalogue import Catalogue
from retrieval.reranking import LIST_SIZE, list_counts
from retrieval.scorer.features import History
from retrieval.scorer.interactions import Event, user_sequences
from retrieval.scorer.item_side import build_item_side
from retrieval.scorer.scorer import ProfileScorer, read_checkpoint

EXPOSURE_BATCH = 64


def load_catalogue_scorer(
    directory: Path, catalogue: Catalogue, vectors: Mapping[str, NDArray[np.float32]]
) -> ProfileScorer:
    """The checkpoint in ``directory`` scoring every item of ``catalogue``."""
    model, vocabulary, blend, _ = read_checkpoint(directory)
    item_ids = tuple(catalogue.items)
    histories, times = _catalogue_histories(catalogue)
    side = build_item_side(item_ids, catalogue.items, vectors, catalogue.schema, histories, times)
    return ProfileScorer(model, vocabulary, blend, side)


def _catalogue_histories(catalogue: Catalogue) -> tuple[list[list[int]], list[list[int]]]:
    """Every user's items (as 1-based catalogue positions) and their times, in the order they came."""
    index = {item_id: position for position, item_id in enumerate(catalogue.items, start=1)}
    events = (Event(i.user_id, i.item_id, i.rating, i.timestamp) for i in catalogue.interactions)
    sequences = list(user_sequences(events).values())
    histories = [[index[event.item_id] for event in sequence] for sequence in sequences]
    times = [[event.timestamp for event in sequence] for sequence in sequences]
    return histories, times


def scorer_exposure(scorer: ProfileScorer, catalogue: Catalogue, n: int = LIST_SIZE) -> dict[str, int]:
    """How many of the catalogue's users, each with their whole history, the scorer lists each item to in its top
    ``n``: the exposure that re-ranking spreads (:mod:`retrieval.reranking`)."""
    histories, times = _catalogue_histories(catalogue)
    counts = np.zeros(scorer.side.n_items + 1, dtype=np.int64)
    for start in range(0, len(histories), EXPOSURE_BATCH):
        batch = histories[start : start + EXPOSURE_BATCH]
        stamps = times[start : start + EXPOSURE_BATCH]
        scores = scorer.score_all([History(tuple(h), last_time=t[-1]) for h, t in zip(batch, stamps, strict=True)])
        counts += list_counts(scores, batch, n)
    return {item_id: int(counts[position]) for position, item_id in enumerate(scorer.side.item_ids, start=1)}
