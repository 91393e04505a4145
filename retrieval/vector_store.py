"""The item vector store: ChromaDB, embedded by default, a server when configured.

Chroma's default embedding function would download a model, so vectors are
always computed here with the packaged sentence-transformers model and handed
to Chroma.  Each catalogue version gets its own collection (and, embedded, its
own directory), so a new index is built beside the old one and switched to
only when complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from kg.catalogue import Item
from kg.schema import CatalogueSchema
from retrieval.embeddings import Embedder
from retrieval.item_text import item_text

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

WRITE_BATCH = 2000


class VectorStoreUnavailable(RuntimeError):
    """The vector store cannot be opened or queried."""


@dataclass(frozen=True)
class VectorLocation:
    """Where one built collection lives: a directory (embedded) or host:port (server)."""

    collection: str
    path: Path | None = None
    host: str | None = None
    port: int = 8000


def _client(location: VectorLocation) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if location.host:
            return chromadb.HttpClient(host=location.host, port=location.port, settings=chroma_settings)
        if location.path is None:
            raise VectorStoreUnavailable("an embedded vector store needs a directory")
        return chromadb.PersistentClient(path=str(location.path), settings=chroma_settings)
    except VectorStoreUnavailable:
        raise
    except Exception as exc:
        raise VectorStoreUnavailable(f"cannot open the vector store: {exc}") from exc


def build_collection(
    location: VectorLocation,
    items: Sequence[Item],
    schema: CatalogueSchema,
    embedder: Embedder,
    progress: bool = True,
) -> int:
    """Embed ``items`` and write them into a fresh collection; returns the count written."""
    client = _client(location)
    existing = {collection.name for collection in client.list_collections()}
    if location.collection in existing:
        client.delete_collection(location.collection)
    collection = client.create_collection(
        location.collection,
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedding_model": embedder.fingerprint},
    )
    bar = tqdm(total=len(items), desc="vector index", unit="item", disable=not progress)
    for start in range(0, len(items), WRITE_BATCH):
        batch = items[start : start + WRITE_BATCH]
        documents = [item_text(item, schema) for item in batch]
        vectors = embedder.encode(documents)
        collection.add(
            ids=[item.id for item in batch],
            embeddings=vectors,
            documents=documents,
            metadatas=[{"year": item.year if item.year is not None else -1} for item in batch],
        )
        bar.update(len(batch))
    bar.close()
    return collection.count()


def drop_collection(location: VectorLocation) -> None:
    """Delete a superseded collection (server mode; embedded directories are removed whole)."""
    client = _client(location)
    if location.collection in {collection.name for collection in client.list_collections()}:
        client.delete_collection(location.collection)


class VectorIndex:
    """Nearest-item search over one built collection."""

    def __init__(self, location: VectorLocation, embedder: Embedder) -> None:
        self.location = location
        self.embedder = embedder
        try:
            self._collection = _client(location).get_collection(location.collection)
        except VectorStoreUnavailable:
            raise
        except Exception as exc:
            raise VectorStoreUnavailable(f"vector collection {location.collection!r} is not available: {exc}") from exc

    def count(self) -> int:
        return self._collection.count()

    def search(self, text: str, k: int) -> list[tuple[str, float]]:
        """Items nearest to ``text`` as (item id, cosine similarity), best first."""
        return self.search_vector(self.embedder.encode_query(text), k)

    def search_vector(self, vector: NDArray[np.float32], k: int) -> list[tuple[str, float]]:
        try:
            result = self._collection.query(query_embeddings=vector[None, :], n_results=k, include=["distances"])
        except Exception as exc:
            raise VectorStoreUnavailable(f"vector search failed: {exc}") from exc
        ids = result["ids"][0]
        distances = result["distances"][0] if result["distances"] else [1.0] * len(ids)
        return [(item_id, 1.0 - float(distance)) for item_id, distance in zip(ids, distances, strict=True)]

    def vectors(self, item_ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """Stored vectors of ``item_ids`` (to build a query from liked items without re-embedding)."""
        if not item_ids:
            return {}
        try:
            result = self._collection.get(ids=list(item_ids), include=["embeddings"])
        except Exception as exc:
            raise VectorStoreUnavailable(f"vector lookup failed: {exc}") from exc
        embeddings = result["embeddings"]
        if embeddings is None:
            raise VectorStoreUnavailable("the vector store returned no embeddings")
        return {
            item_id: np.asarray(vector, dtype=np.float32)
            for item_id, vector in zip(result["ids"], list(embeddings), strict=True)
        }
