"""Item vectors for the scorer's content feature, from the item text the vector store also indexes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from kg.catalogue import Item
from kg.schema import CatalogueSchema
from retrieval.embeddings import Embedder
from retrieval.item_text import item_text
from retrieval.vector_store import VectorIndex, VectorStoreUnavailable

VectorLookup = Callable[[Sequence[str]], Mapping[str, NDArray[np.float32]]]


def embedded_item_vectors(
    items: Mapping[str, Item],
    schema: CatalogueSchema,
    embedder: Embedder,
    progress: bool = False,
) -> VectorLookup:
    """A lookup that embeds the requested catalogue items (ids missing from ``items`` are skipped)."""

    def lookup(item_ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        present = [item_id for item_id in item_ids if item_id in items]
        vectors = embedder.encode(
            [item_text(items[item_id], schema) for item_id in present],
            progress=progress,
        )
        return dict(zip(present, vectors, strict=True))

    return lookup


def stored_vectors(index: VectorIndex, item_ids: Sequence[str], batch: int = 2000) -> dict[str, NDArray[np.float32]]:
    """Item vectors already in the vector store, fetched in batches; empty when the store is down."""
    vectors: dict[str, NDArray[np.float32]] = {}
    try:
        for start in range(0, len(item_ids), batch):
            vectors.update(index.vectors(item_ids[start : start + batch]))
    except VectorStoreUnavailable:
        return {}
    return vectors
