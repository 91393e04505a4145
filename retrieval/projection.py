"""A trained retriever's projection heads: one linear map for queries, one for items, over a frozen encoder.

Learned by ``concierge train-retriever --mode head`` from what people asked
for and were recommended.  Two maps rather than one, because a seeker's words
and an item's catalogue text are different kinds of text: the score
``<Wq q + bq, Wi i + bi>`` is a general bilinear form of the frozen vectors.
Both maps start as the identity, so an untrained head changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

HEADS_FILE = "heads.safetensors"


def unit_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    return (vectors / (np.linalg.norm(vectors, axis=-1, keepdims=True) + 1e-9)).astype(np.float32)


@dataclass(frozen=True)
class ProjectionHeads:
    query_weight: NDArray[np.float32]
    query_bias: NDArray[np.float32]
    item_weight: NDArray[np.float32]
    item_bias: NDArray[np.float32]

    @classmethod
    def identity(cls, width: int) -> ProjectionHeads:
        eye, zero = np.eye(width, dtype=np.float32), np.zeros(width, dtype=np.float32)
        return cls(eye, zero, eye.copy(), zero.copy())

    def queries(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        return unit_rows(vectors @ self.query_weight.T + self.query_bias)

    def items(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        return unit_rows(vectors @ self.item_weight.T + self.item_bias)

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        save_file(
            {
                "query_weight": self.query_weight,
                "query_bias": self.query_bias,
                "item_weight": self.item_weight,
                "item_bias": self.item_bias,
            },
            str(folder / HEADS_FILE),
        )

    @classmethod
    def load(cls, folder: Path) -> ProjectionHeads:
        from safetensors.numpy import load_file

        tensors = load_file(str(folder / HEADS_FILE))
        return cls(
            tensors["query_weight"].astype(np.float32),
            tensors["query_bias"].astype(np.float32),
            tensors["item_weight"].astype(np.float32),
            tensors["item_bias"].astype(np.float32),
        )
