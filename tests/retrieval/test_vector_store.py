"""The vector store contract, run against both places an index can live: a directory, and a real Chroma server.

The server is ``chroma run`` of the installed chromadb package on loopback,
one for the whole test session (the ``chroma_server`` fixture); each test
writes collections of its own names into it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.ingest import ingest, read_manifest, vector_location
from assistant.settings import Settings
from kg.catalogue import Catalogue, load_catalogue
from kg.constraints import Constraints
from retrieval.embeddings import Embedder, shared_embedder
from retrieval.filters import ConstraintFilter
from retrieval.item_text import item_text
from retrieval.request import RetrievalRequest
from retrieval.vector_store import (
    VectorIndex,
    VectorIndexDamaged,
    VectorLocation,
    VectorStoreUnavailable,
    build_collection,
    damage,
)
from tests.catalogues import demo_head, write_catalogue
from tests.servers import ChromaServer

ITEMS = 60
CATALOGUE_ITEMS = 40
Place = Callable[[str], VectorLocation]


@pytest.fixture(scope="module")
def embedder(small_settings: Settings) -> Embedder:
    return shared_embedder(small_settings.embedding_model, small_settings.embedding_batch_size)


@pytest.fixture(scope="module")
def catalogue(small_catalogue: Catalogue) -> Catalogue:
    kept = dict(list(small_catalogue.items.items())[:ITEMS])
    return replace(small_catalogue, items=kept)


@pytest.fixture(scope="module", params=["directory", "server"])
def place(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Place:
    """Where a named collection lives: its own directory, or the session's Chroma server."""
    if request.param == "directory":
        root = tmp_path_factory.mktemp("vectors")
        return lambda name: VectorLocation(collection=name, path=root / name)
    server: ChromaServer = request.getfixturevalue("chroma_server")
    return lambda name: VectorLocation(collection=name, host="127.0.0.1", port=server.port)


@pytest.fixture(scope="module")
def index(place: Place, catalogue: Catalogue, embedder: Embedder) -> Iterator[VectorIndex]:
    location = place(f"contract-{uuid.uuid4().hex[:8]}")
    assert build_collection(location, list(catalogue.items.values()), catalogue.schema, embedder, progress=False) == (
        ITEMS
    )
    built = VectorIndex(location, embedder)
    yield built
    built.close()


def test_an_item_is_nearest_to_its_own_text(index: VectorIndex, catalogue: Catalogue) -> None:
    assert index.count() == ITEMS
    for item in list(catalogue.items.values())[:5]:
        best, similarity = index.search(item_text(item, catalogue.schema), 3)[0]
        assert best == item.id and similarity > 0.99


def test_stored_vectors_are_returned_by_id_and_find_their_item(index: VectorIndex, catalogue: Catalogue) -> None:
    first, second = list(catalogue.items)[:2]
    vectors = index.vectors([first, second, "no-such-item"])
    assert set(vectors) == {first, second} and vectors[first].shape == (index.embedder.dimension,)
    assert index.search_vector(vectors[second], 1)[0][0] == second
    assert index.vectors([]) == {}


def test_constraints_filter_what_the_index_found(index: VectorIndex, catalogue: Catalogue) -> None:
    """Chroma's metadata filters are slow on large collections, so the index over-fetches and the filter decides."""
    from retrieval.candidates import Candidate

    found = index.search("a science fiction adventure in space", 60)
    best = catalogue.items[found[0][0]]
    genre, year = best.values("genres")[0], best.year or 0
    request = RetrievalRequest(
        query_text="science fiction",
        query_vector=index.embedder.encode_query("science fiction"),
        constraints=Constraints(year_min=year, include={"genres": (genre,)}),
    )
    pool = ConstraintFilter(catalogue).apply([Candidate(item_id) for item_id, _ in found], request)
    kept = [catalogue.items[candidate.item_id] for candidate in pool.allowed]
    assert best in kept and all(item.year is not None and item.year >= year for item in kept)
    assert all(genre in item.values("genres") for item in kept)
    assert len(kept) < len(found)


def test_an_unknown_collection_is_a_damaged_index_that_names_the_repair(place: Place, embedder: Embedder) -> None:
    with pytest.raises(VectorIndexDamaged, match="concierge ingest"):
        VectorIndex(place(f"never-built-{uuid.uuid4().hex[:6]}"), embedder)


def test_a_collection_short_of_items_is_damaged(index: VectorIndex) -> None:
    assert damage(index.location, ITEMS) is None
    assert "holds 60 items, not 61" in str(damage(index.location, ITEMS + 1))


@pytest.fixture(scope="module")
def demo_lines() -> tuple[list[str], list[str]]:
    return demo_head(CATALOGUE_ITEMS)


def test_ingest_drops_an_item_removed_from_the_catalogue(
    place: Place, demo_lines: tuple[list[str], list[str]], tmp_path: Path, embedder: Embedder
) -> None:
    lines, interactions = demo_lines
    slice_catalogue = write_catalogue(tmp_path / "catalogue", lines, interactions)
    server = place("probe").host is not None
    update: dict[str, object] = {"data_dir": tmp_path / "data", "catalogue": slice_catalogue}
    if server:
        update.update(chroma_host="127.0.0.1", chroma_port=place("probe").port)
        update["chroma_collection"] = f"removal-{uuid.uuid4().hex[:6]}"
    settings = Settings(**update)  # type: ignore[arg-type]
    ingest(settings, progress=False, with_graph=False)
    before = read_manifest(settings)
    assert before is not None
    full = load_catalogue(slice_catalogue)
    gone = item_text(full.items["1"], full.schema)
    assert VectorIndex(vector_location(settings, before), embedder).search(gone, 1)[0][0] == "1"

    shrunk = write_catalogue(
        tmp_path / "shrunk", [line for line in lines if json.loads(line)["id"] != "1"], interactions
    )
    settings = settings.model_copy(update={"catalogue": shrunk})
    report = ingest(settings, progress=False, with_graph=False)
    after = read_manifest(settings)
    assert after is not None and not report.skipped and after.items == CATALOGUE_ITEMS - 1
    index = VectorIndex(vector_location(settings, after), embedder)
    assert index.count() == CATALOGUE_ITEMS - 1
    assert "1" not in {item_id for item_id, _ in index.search(gone, 20)}
    with pytest.raises(VectorStoreUnavailable):  # the superseded collection is gone from the server or the disk
        VectorIndex(vector_location(settings, before), embedder)
