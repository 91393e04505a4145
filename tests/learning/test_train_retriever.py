"""The retriever trainer: batches without false negatives, nearest items, and checkpoints the assistant loads."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.learning.retriever_pairs import RetrievalPair
from assistant.learning.train_retriever import RetrieverTraining, batches, nearest_items, train_retriever
from kg.catalogue import Catalogue
from retrieval.embeddings import Embedder, model_fingerprint, retriever_manifest, shared_embedder
from retrieval.item_text import item_text
from retrieval.projection import ProjectionHeads

PACKAGED = "packaged:all-MiniLM-L6-v2"


@pytest.mark.fast
def test_no_batch_holds_an_item_or_a_query_twice() -> None:
    pairs = [RetrievalPair(f"q{index % 7}", f"i{index % 5}", "s", f"g{index}") for index in range(60)]
    planned = batches(pairs, 4, random.Random(0))
    assert planned and all(len(batch) > 1 for batch in planned)
    for batch in planned:
        assert len({pairs[index].query for index in batch}) == len(batch)
        assert len({pairs[index].item_id for index in batch}) == len(batch)


@pytest.mark.fast
def test_nearest_items_are_ordered_by_similarity() -> None:
    items = np.eye(4, dtype=np.float32)
    queries = np.array([[0.1, 0.9, 0.3, 0.0], [0.05, 0.0, 0.2, 0.8]], dtype=np.float32)
    assert nearest_items(queries, items, 3).tolist() == [[1, 2, 0], [3, 2, 0]]


@pytest.mark.fast
def test_identity_heads_change_nothing() -> None:
    vectors = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    heads = ProjectionHeads.identity(8)
    np.testing.assert_allclose(heads.queries(vectors), vectors, atol=1e-6)
    np.testing.assert_allclose(heads.items(vectors), vectors, atol=1e-6)


@pytest.fixture(scope="module")
def films(small_catalogue: Catalogue) -> Catalogue:
    """A hundred and fifty films, the animated and horror ones first: enough to learn from, quick to embed."""
    ordered = sorted(
        small_catalogue.items.values(),
        key=lambda item: not ({"Animation", "Horror"} & set(item.values("genres"))),
    )
    return replace(small_catalogue, items={item.id: item for item in ordered[:150]}, interactions=())


REQUESTS = {
    "Animation": ("something to watch with my little ones", "a film for the kids", "what can my children watch"),
    "Horror": ("I want to be terrified tonight", "something to keep me up at night", "a really frightening one"),
}


def genre_pairs(catalogue: Catalogue, films_per_genre: int = 8) -> list[RetrievalPair]:
    """Requests in words no item text holds ("my little ones") for a few films of one genre, in every wording."""
    pairs = []
    for genre, wordings in REQUESTS.items():
        members = [item.id for item in catalogue.items.values() if genre in item.values("genres")][:films_per_genre]
        pairs += [
            RetrievalPair(wording, film, "test", f"{genre}-{wording}-{film}")
            for wording in wordings
            for film in members
        ]
    return pairs


def test_trained_heads_bring_described_requests_to_their_films(films: Catalogue, tmp_path: Path) -> None:
    out = tmp_path / "retriever"
    report = train_retriever(genre_pairs(films), films, PACKAGED, out, RetrieverTraining(epochs=6), progress=False)
    assert report["kind"] == "head" and report["held_out_pairs"] > 0
    assert report["held_out_after"]["recall@10"] > report["held_out_before"]["recall@10"]
    manifest = retriever_manifest(str(out))
    assert manifest is not None and model_fingerprint(str(out)) == f"{out}#{manifest['run_id']}"
    assert json.loads((out / "retriever.json").read_text())["pairs"] == {"test": len(genre_pairs(films))}

    ids = list(films.items)
    texts = [item_text(films.items[item_id], films.schema) for item_id in ids]
    animated = {pair.item_id for pair in genre_pairs(films) if pair.query in REQUESTS["Animation"]}

    def animated_in_top(embedder: Embedder) -> int:
        scores = embedder.encode(texts) @ embedder.encode_query("something to watch with my little ones")
        return len(animated & {ids[row] for row in np.argsort(-scores)[:10]})

    assert animated_in_top(Embedder(str(out))) > animated_in_top(shared_embedder(PACKAGED))


def test_a_full_fine_tune_writes_a_model_the_embedder_loads(films: Catalogue, tmp_path: Path) -> None:
    pairs = genre_pairs(films, films_per_genre=2)
    out = tmp_path / "full"
    report = train_retriever(pairs, films, PACKAGED, out, RetrieverTraining(mode="full", batch_size=4), progress=False)
    assert report["kind"] == "full" and report["steps"] >= 1
    text = "a really frightening one"
    assert not np.allclose(Embedder(str(out)).encode_query(text), shared_embedder(PACKAGED).encode_query(text))


def test_no_pair_in_the_catalogue_is_a_clear_error(films: Catalogue, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="none of the data sets' items"):
        train_retriever(
            [RetrievalPair("q", "no-such-item", "s", "g")],
            films,
            PACKAGED,
            tmp_path / "r",
            RetrieverTraining(),
        )
