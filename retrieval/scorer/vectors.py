"""Item vectors for the scorer's content feature, from the item text the vector store also indexes."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
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


class CatalogueVectorCache:
    """The scorer's item vectors per catalogue and model, kept for the life of the process.

    Without it, an assistant built while the vector store is down re-embeds
    the whole catalogue (minutes on a CPU), although an assistant built
    earlier in the same process already holds the same vectors.  The key is a
    digest of every item's id and indexed text plus the model's fingerprint,
    so an edited catalogue or a retrained model never gets stale vectors.
    """

    def __init__(self, capacity: int = 4) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, Mapping[str, NDArray[np.float32]]] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(
        self,
        items: Mapping[str, Item],
        schema: CatalogueSchema,
        embedder: Embedder,
        index: VectorIndex | None,
    ) -> Mapping[str, NDArray[np.float32]]:
        """Cached vectors, else the store's, else freshly embedded ones (the slow path)."""
        key = self._key(items, schema, embedder)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        item_ids = list(items)
        found: Mapping[str, NDArray[np.float32]] = stored_vectors(index, item_ids) if index is not None else {}
        if not found:
            found = embedded_item_vectors(items, schema, embedder)(item_ids)
        with self._lock:
            self._entries[key] = found
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return found

    @staticmethod
    def _key(items: Mapping[str, Item], schema: CatalogueSchema, embedder: Embedder) -> str:
        digest = hashlib.sha256(embedder.fingerprint.encode())
        for item_id, item in items.items():
            digest.update(f"\x1e{item_id}\x1f{item_text(item, schema)}".encode())
        return digest.hexdigest()


CATALOGUE_VECTORS = CatalogueVectorCache()
