"""Ingest on a real slice of the demo catalogue: builds, is idempotent, and keeps the old index on bad input."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest

from assistant.ingest import ingest, read_manifest, vector_location
from assistant.settings import DEMO_CATALOGUE, Settings
from kg.catalogue import Catalogue, CatalogueError
from kg.store import GraphStore
from retrieval.embeddings import shared_embedder
from retrieval.vector_store import VectorIndex

SLICE = 300


def write_slice(catalogue: Catalogue, directory: Path, extra_line: str | None = None) -> Path:
    """The first SLICE demo items and their interactions, in the catalogue format."""
    directory.mkdir(parents=True, exist_ok=True)
    items = list(catalogue.items.values())[:SLICE]
    with gzip.open(DEMO_CATALOGUE / "items.jsonl.gz", "rt", encoding="utf-8") as source:
        lines = [line for line, _ in zip(source, range(SLICE), strict=False)]
    if extra_line is not None:
        lines.append(extra_line + "\n")
    (directory / "items.jsonl").write_text("".join(lines), encoding="utf-8")
    kept = {item.id for item in items}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["user_id", "item_id", "rating", "timestamp"])
    for interaction in catalogue.interactions:
        if interaction.item_id in kept:
            writer.writerow([interaction.user_id, interaction.item_id, interaction.rating, interaction.timestamp])
    (directory / "interactions.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def slice_settings(tmp_path_factory: pytest.TempPathFactory, demo_catalogue: Catalogue) -> Settings:
    root = tmp_path_factory.mktemp("ingest")
    return Settings(data_dir=root / "data", catalogue=write_slice(demo_catalogue, root / "catalogue"))


def test_ingest_builds_both_stores_and_is_idempotent(slice_settings: Settings) -> None:
    first = ingest(slice_settings, progress=False)
    assert not first.skipped and first.items == SLICE
    manifest = read_manifest(slice_settings)
    assert manifest is not None and manifest.items == SLICE
    index = VectorIndex(vector_location(slice_settings, manifest), shared_embedder(slice_settings.embedding_model))
    assert index.count() == SLICE
    toy_story = index.search("Toy Story (1995). Animation, Children, Comedy", 3)
    assert toy_story[0][0] == "1"
    with GraphStore.from_config(slice_settings.graph_config()) as graph:
        assert graph.item_count() == SLICE

    second = ingest(slice_settings, progress=False)
    assert second.skipped
    assert read_manifest(slice_settings) == manifest


def test_malformed_row_stops_ingest_and_keeps_the_index(
    slice_settings: Settings, demo_catalogue: Catalogue, tmp_path: Path
) -> None:
    ingest(slice_settings, progress=False)
    before = read_manifest(slice_settings)
    broken = write_slice(
        demo_catalogue, tmp_path / "broken", extra_line=json.dumps({"id": "x1", "title": "Bad", "year": "soon"})
    )
    with pytest.raises(CatalogueError) as error:
        ingest(slice_settings.model_copy(update={"catalogue": broken}), progress=False)
    assert error.value.line == SLICE + 1
    assert "items.jsonl" in str(error.value) and "'year'" in str(error.value)
    assert read_manifest(slice_settings) == before
    assert (slice_settings.index_dir / str(before.vector_dir)).is_dir()


def test_changed_catalogue_swaps_to_a_new_index(
    slice_settings: Settings, demo_catalogue: Catalogue, tmp_path: Path
) -> None:
    ingest(slice_settings, progress=False)
    before = read_manifest(slice_settings)
    grown = write_slice(
        demo_catalogue,
        tmp_path / "grown",
        extra_line=json.dumps({"id": "new-1", "title": "A New Film", "year": 2024, "genres": ["Drama"]}),
    )
    settings = slice_settings.model_copy(update={"catalogue": grown})
    report = ingest(settings, progress=False)
    after = read_manifest(settings)
    assert not report.skipped and after.fingerprint != before.fingerprint and after.items == SLICE + 1
    assert not (slice_settings.index_dir / str(before.vector_dir)).exists()
    assert (settings.index_dir / str(after.vector_dir)).is_dir()
