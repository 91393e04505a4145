"""The item vector store: ChromaDB, embedded by default, a server when configured.

Chroma's default embedding function would download a model, so vectors are
always computed here with the packaged sentence-transformers model and handed
to Chroma.  Each catalogue version gets its own collection (and, embedded, its
own directory), so a new index is built beside the old one and switched to
only when complete.

A :class:`VectorIndex` is supervised (:mod:`kg.supervision`): a Chroma server
that stops answering fails the calls at once while the index reconnects in the
background, and no call waits longer than its timeout.  An embedded index whose
directory is missing or unreadable raises :class:`VectorIndexDamaged`, whose
message names ``concierge ingest``, the command that rebuilds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from kg.catalogue import Item
from kg.schema import CatalogueSchema
from kg.supervision import Backoff, Supervisor
from retrieval.embeddings import Embedder
from retrieval.item_text import item_text

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

T = TypeVar("T")

WRITE_BATCH = 2000
REPAIR = "run `concierge ingest` to rebuild it"
SERVER_CALLS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="chroma-call")
"""Runs the calls to a Chroma server, so that a caller stops waiting at its timeout (Chroma's client waits forever)."""


class VectorStoreUnavailable(RuntimeError):
    """The vector store cannot be opened or queried."""


class VectorIndexDamaged(VectorStoreUnavailable):
    """The index is missing or unreadable (a deleted or corrupted directory, a server that lost the collection)."""


@dataclass(frozen=True)
class VectorLocation:
    """Where one built collection lives: a directory (embedded) or host:port (server)."""

    collection: str
    path: Path | None = None
    host: str | None = None
    port: int = 8000

    def __str__(self) -> str:
        where = f"the Chroma server at {self.host}:{self.port}" if self.host else f"{self.path}"
        return f"vector collection {self.collection!r} in {where}"


_CLIENT_REGISTRY = threading.Lock()
"""Chroma keeps one shared system per path in a class-level dict that a failed open also edits; clients are made
one at a time, or a supervisor's retry in the background can drop the system another thread is being handed."""


def _client(location: VectorLocation) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        with _CLIENT_REGISTRY:
            if location.host:
                return chromadb.HttpClient(host=location.host, port=location.port, settings=chroma_settings)
            if location.path is None:
                raise VectorStoreUnavailable("an embedded vector store needs a directory")
            return chromadb.PersistentClient(path=str(location.path), settings=chroma_settings)
    except VectorStoreUnavailable:
        raise
    except Exception as exc:
        raise VectorStoreUnavailable(f"cannot open {location}: {_one_line(exc)}") from exc


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


def damage(location: VectorLocation, items: int, timeout_s: float = 5.0) -> str | None:
    """Why the collection at ``location`` cannot serve (missing, unreadable, or not holding ``items`` items); None
    when it can.  A server that does not answer raises :class:`VectorStoreUnavailable`: that says nothing of the index.
    """
    try:
        collection = open_collection(location, timeout_s)
        count = bounded(location, timeout_s, collection.count, "count")
    except VectorIndexDamaged as exc:
        return str(exc)
    except VectorStoreUnavailable:
        if location.host is not None:
            raise
        return f"{location} cannot be read"
    return None if count == items else f"{location} holds {count} items, not {items}"


def open_collection(location: VectorLocation, timeout_s: float) -> Collection:
    """The collection, or a clear error: :class:`VectorIndexDamaged` names the repair when the index is lost."""
    path = location.path
    if location.host is None and (path is None or not path.is_dir()):
        raise VectorIndexDamaged(f"{location} is missing: {REPAIR}")
    try:
        return bounded(location, timeout_s, lambda: _client(location).get_collection(location.collection), "open")
    except VectorStoreUnavailable as exc:
        cause = exc.__cause__
        if location.host is None or type(cause).__name__ in ("NotFoundError", "InvalidCollectionException"):
            raise VectorIndexDamaged(f"{exc}: {REPAIR}") from exc
        raise


def bounded(location: VectorLocation, timeout_s: float, work: Callable[[], T], what: str) -> T:
    """``work()``, within ``timeout_s`` on a server, every failure raised as :class:`VectorStoreUnavailable`."""
    try:
        if location.host is None:
            return work()
        return SERVER_CALLS.submit(work).result(timeout=timeout_s)
    except FutureTimeout as exc:
        raise VectorStoreUnavailable(f"{location}: {what} took over {timeout_s:g} s") from exc
    except VectorStoreUnavailable:
        raise
    except Exception as exc:
        raise VectorStoreUnavailable(f"{location}: {what} failed ({_one_line(exc)})") from exc


def drop_collection(location: VectorLocation) -> None:
    """Delete a superseded collection (server mode; embedded directories are removed whole)."""
    client = _client(location)
    if location.collection in {collection.name for collection in client.list_collections()}:
        client.delete_collection(location.collection)


class VectorIndex:
    """Nearest-item search over one built collection, supervised (see the module docstring).

    ``timeout_s`` bounds every call to a Chroma server; ``backoff`` paces the
    reconnection attempts after one failed; ``locate``, when given, says where
    the collection is at each attempt (an index rebuilt by ``concierge ingest``
    since moved).  ``require=False`` starts an index that cannot be opened yet
    (a server not up, a damaged directory) as down, recovering like any other.
    """

    def __init__(
        self,
        location: VectorLocation,
        embedder: Embedder,
        timeout_s: float = 5.0,
        backoff: Backoff | None = None,
        locate: Callable[[], VectorLocation] | None = None,
        require: bool = True,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.location = location
        self.embedder = embedder
        self.timeout_s = timeout_s
        self._locate = locate
        part = f"Chroma server {location.host}:{location.port}" if location.host else f"vector index {location.path}"
        self.supervisor = Supervisor(part, self._reopen, VectorStoreUnavailable, backoff)
        self._collection: Collection | None = None
        try:
            self._collection = open_collection(location, timeout_s)
        except VectorStoreUnavailable as exc:
            if require:
                raise
            self.supervisor.trip(exc)

    def close(self) -> None:
        self.supervisor.close()

    def count(self) -> int:
        return self._call(lambda: self.collection.count(), "count")

    def search(self, text: str, k: int) -> list[tuple[str, float]]:
        """Items nearest to ``text`` as (item id, cosine similarity), best first."""
        return self.search_vector(self.embedder.encode_query(text), k)

    def search_vector(self, vector: NDArray[np.float32], k: int) -> list[tuple[str, float]]:
        result = self._call(
            lambda: self.collection.query(query_embeddings=vector[None, :], n_results=k, include=["distances"]),
            "search",
        )
        ids = result["ids"][0]
        distances = result["distances"][0] if result["distances"] else [1.0] * len(ids)
        return [(item_id, 1.0 - float(distance)) for item_id, distance in zip(ids, distances, strict=True)]

    def vectors(self, item_ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """Stored vectors of ``item_ids`` (to build a query from liked items without re-embedding)."""
        if not item_ids:
            return {}
        result = self._call(lambda: self.collection.get(ids=list(item_ids), include=["embeddings"]), "lookup")
        embeddings = result["embeddings"]
        if embeddings is None:
            raise VectorStoreUnavailable("the vector store returned no embeddings")
        return {
            item_id: np.asarray(vector, dtype=np.float32)
            for item_id, vector in zip(result["ids"], list(embeddings), strict=True)
        }

    def _call(self, work: Callable[[], T], what: str) -> T:
        """``work()`` unless the store is known to be down (then at once); a failure starts reconnecting."""
        return self.supervisor.call(
            lambda: bounded(self.location, self.timeout_s, work, what),
            lambda exc: isinstance(exc, VectorStoreUnavailable),
        )

    @property
    def collection(self) -> Collection:
        """The open collection; only an index that has never opened lacks one, and it is down until it does."""
        if self._collection is None:
            raise VectorStoreUnavailable(f"{self.location} has not been opened")
        return self._collection

    def _reopen(self) -> None:
        """One reconnection attempt: the collection again, counted, so a server that lost it is not taken as back."""
        location = self._locate() if self._locate is not None else self.location
        collection = open_collection(location, self.timeout_s)
        bounded(location, self.timeout_s, collection.count, "count")
        self.location, self._collection = location, collection


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
