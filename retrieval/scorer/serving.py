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
from retrieval.scorer.interactions import Event, user_sequences
from retrieval.scorer.item_side import build_item_side
from retrieval.scorer.scorer import ProfileScorer, read_checkpoint


def load_catalogue_scorer(
    directory: Path, catalogue: Catalogue, vectors: Mapping[str, NDArray[np.float32]]
) -> ProfileScorer:
    """The checkpoint in ``directory`` scoring every item of ``catalogue``."""
    model, vocabulary, blend, _ = read_checkpoint(directory)
    item_ids = tuple(catalogue.items)
    index = {item_id: position for position, item_id in enumerate(item_ids, start=1)}
    events = (Event(i.user_id, i.item_id, i.rating, i.timestamp) for i in catalogue.interactions)
    sequences = list(user_sequences(events).values())
    histories = [[index[event.item_id] for event in sequence] for sequence in sequences]
    times = [[event.timestamp for event in sequence] for sequence in sequences]
    side = build_item_side(item_ids, catalogue.items, vectors, catalogue.schema, histories, times)
    return ProfileScorer(model, vocabulary, blend, side)
