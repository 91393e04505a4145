"""Query embeddings: turns that wait for the model at the same time share one batch, and get their own vectors."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.settings import Settings
from retrieval.embeddings import Embedder, shared_embedder

pytestmark = pytest.mark.fast
QUERIES = ["a feel-good film for tonight", "something like Heat", "no horror please", "Arrival", "a heist comedy"]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return shared_embedder(Settings().embedding_spec)


def test_queries_waiting_together_are_embedded_in_one_batch_each_getting_its_own_vector(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = {text: embedder.encode_query(text) for text in QUERIES}
    batches: list[int] = []
    encode = embedder._encode_unlocked

    def counted(texts: list[str], progress: bool = False) -> np.ndarray:
        batches.append(len(texts))
        return encode(texts, progress)

    monkeypatch.setattr(embedder, "_encode_unlocked", counted)
    found: dict[str, np.ndarray] = {}

    def ask(text: str) -> None:
        found[text] = embedder.encode_query(text)

    with embedder._lock:  # the model is busy with another turn while five people ask
        workers = [threading.Thread(target=ask, args=(text,)) for text in QUERIES]
        for worker in workers:
            worker.start()
        while len(embedder._waiting) < len(QUERIES):
            time.sleep(0.01)
    for worker in workers:
        worker.join()
    assert batches == [len(QUERIES)]
    for text in QUERIES:
        np.testing.assert_allclose(found[text], alone[text], atol=1e-5)


def test_a_failed_batch_fails_every_turn_that_waited_on_it(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(texts: list[str], progress: bool = False) -> np.ndarray:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(embedder, "_encode_unlocked", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        embedder.encode_query("anything")
    assert embedder._waiting == []
