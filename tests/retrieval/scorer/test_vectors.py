"""The per-process cache of the scorer's item vectors: reused while the catalogue and model match, never stale."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kg.catalogue import Catalogue
from retrieval.scorer.vectors import CatalogueVectorCache, embedded_item_vectors
from retrieval.vector_store import VectorIndex


def test_vectors_from_the_store_serve_a_later_build_without_the_store(
    small_catalogue: Catalogue, small_vector_index: VectorIndex
) -> None:
    cache = CatalogueVectorCache()
    embedder = small_vector_index.embedder
    from_store = cache.vectors(small_catalogue.items, small_catalogue.schema, embedder, small_vector_index)
    assert set(from_store) == set(small_catalogue.items)
    without_store = cache.vectors(small_catalogue.items, small_catalogue.schema, embedder, None)
    assert without_store is from_store


def test_an_edited_item_is_embedded_afresh(small_catalogue: Catalogue, small_vector_index: VectorIndex) -> None:
    cache = CatalogueVectorCache()
    embedder = small_vector_index.embedder
    first_id, first = next(iter(small_catalogue.items.items()))
    few = dict(list(small_catalogue.items.items())[:3])
    before = cache.vectors(few, small_catalogue.schema, embedder, None)
    edited = {**few, first_id: replace(first, title="A Wholly Different Title About Submarines")}
    after = cache.vectors(edited, small_catalogue.schema, embedder, None)
    assert after is not before
    expected = embedded_item_vectors(edited, small_catalogue.schema, embedder)([first_id])[first_id]
    assert np.allclose(after[first_id], expected, atol=1e-5)
    assert not np.allclose(after[first_id], before[first_id], atol=1e-3)


def test_the_oldest_catalogue_leaves_a_full_cache(small_catalogue: Catalogue, small_vector_index: VectorIndex) -> None:
    cache = CatalogueVectorCache(capacity=1)
    embedder = small_vector_index.embedder
    items = list(small_catalogue.items.items())
    first = cache.vectors(dict(items[:2]), small_catalogue.schema, embedder, None)
    cache.vectors(dict(items[2:4]), small_catalogue.schema, embedder, None)
    assert cache.vectors(dict(items[:2]), small_catalogue.schema, embedder, None) is not first
