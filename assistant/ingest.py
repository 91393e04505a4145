"""Ingest: load a catalogue into the vector store and the knowledge graph.

The whole catalogue is read and validated first, so a malformed row stops the
ingest before any index is touched.  The vector collection is built beside the
current one and switched to by rewriting a small manifest atomically at the
end; graph writes are MERGEs, so re-running them changes nothing.  A second
run on an unchanged catalogue finds the same fingerprint and returns at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.settings import Settings
from kg.catalogue import INTERACTIONS_FILE, ITEMS_FILE, Catalogue, find_file, load_catalogue
from kg.embedded import GraphDatabaseDamaged, set_aside_database
from kg.schema import CatalogueSchema
from kg.store import GraphStore
from retrieval.embeddings import model_fingerprint, shared_embedder
from retrieval.vector_store import VectorLocation, VectorStoreUnavailable, build_collection, damage, drop_collection

LOGGER = logging.getLogger(__name__)

INDEX_FORMAT = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """Which built indexes belong to which catalogue version."""

    fingerprint: str
    catalogue: str
    items: int
    collection: str
    vector_dir: str | None
    built_at: float


@dataclass(frozen=True)
class IngestReport:
    fingerprint: str
    items: int
    interactions: int
    skipped: bool
    seconds: float


def catalogue_fingerprint(directory: Path, settings: Settings, schema: CatalogueSchema) -> str:
    """Hash of the catalogue files plus everything that changes the built indexes."""
    digest = hashlib.sha256()
    for name in (ITEMS_FILE, INTERACTIONS_FILE):
        with open(find_file(directory, name), "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    digest.update(f"{INDEX_FORMAT}|{model_fingerprint(settings.embedding_spec)}|{schema!r}".encode())
    return digest.hexdigest()


def read_manifest(settings: Settings) -> Manifest | None:
    path = settings.index_dir / MANIFEST
    if not path.is_file():
        return None
    return Manifest(**json.loads(path.read_text(encoding="utf-8")))


def vector_location(settings: Settings, manifest: Manifest) -> VectorLocation:
    if settings.chroma_host:
        return VectorLocation(collection=manifest.collection, host=settings.chroma_host, port=settings.chroma_port)
    return VectorLocation(collection=manifest.collection, path=settings.index_dir / str(manifest.vector_dir))


def _write_manifest(settings: Settings, manifest: Manifest) -> None:
    path = settings.index_dir / MANIFEST
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
    os.replace(temporary, path)


def _build_vectors(settings: Settings, catalogue: Catalogue, fingerprint: str, progress: bool) -> Manifest:
    collection = f"{settings.chroma_collection}-{fingerprint[:12]}"
    embedder = shared_embedder(settings.embedding_spec, settings.embedding_batch_size)
    items = list(catalogue.items.values())
    if settings.chroma_host:
        location = VectorLocation(collection=collection, host=settings.chroma_host, port=settings.chroma_port)
        build_collection(location, items, catalogue.schema, embedder, progress)
        vector_dir = None
    else:
        vector_dir = f"vectors-{fingerprint[:12]}-{secrets.token_hex(3)}"  # never the name of a damaged one
        building = settings.index_dir / f"{vector_dir}.building"
        shutil.rmtree(building, ignore_errors=True)
        build_collection(
            VectorLocation(collection=collection, path=building), items, catalogue.schema, embedder, progress
        )
        final = settings.index_dir / vector_dir
        shutil.rmtree(final, ignore_errors=True)
        os.replace(building, final)
    return Manifest(
        fingerprint=fingerprint,
        catalogue=str(catalogue.directory.resolve()),
        items=len(catalogue),
        collection=collection,
        vector_dir=vector_dir,
        built_at=time.time(),
    )


def _vectors_current(settings: Settings, manifest: Manifest | None, fingerprint: str, repair: bool) -> bool:
    """True when the manifest's vectors were built from this very catalogue and (with ``repair``) still serve all
    its items: a deleted, corrupted or emptied index is logged and rebuilt, which is how ``concierge ingest``
    repairs one.  Without ``repair`` it is left for the store's own clear error.
    """
    if manifest is None or manifest.fingerprint != fingerprint:
        return False
    if not repair:
        return True
    try:
        damaged = damage(vector_location(settings, manifest), manifest.items, settings.chroma_timeout_s)
    except VectorStoreUnavailable as exc:
        LOGGER.warning("could not check the vector index, keeping it: %s", exc)
        return True
    if damaged is not None:
        LOGGER.warning("rebuilding the vector index: %s", damaged)
    return damaged is None


def _retire(settings: Settings, old: Manifest | None, new: Manifest) -> None:
    """Remove the index that the new manifest superseded."""
    if old is None:
        return
    if old.vector_dir and old.vector_dir != new.vector_dir:
        shutil.rmtree(settings.index_dir / old.vector_dir, ignore_errors=True)
    elif not old.vector_dir and settings.chroma_host and old.collection != new.collection:
        drop_collection(vector_location(settings, old))


def _graph_for_ingest(settings: Settings, schema: CatalogueSchema, repair: bool) -> GraphStore:
    """The graph to write to; an embedded database the server cannot open is set aside and rebuilt (``repair``)."""
    try:
        return GraphStore.from_config(settings.graph_config(), schema)
    except GraphDatabaseDamaged as exc:
        if not repair or settings.neo4j_uri:
            raise
        aside = set_aside_database(settings.graph_dir)
        LOGGER.warning("rebuilding the graph database: %s; the damaged copy is in %s", exc, aside)
        return GraphStore.from_config(settings.graph_config(), schema)


def ingest(
    settings: Settings,
    catalogue: Catalogue | None = None,
    progress: bool = True,
    graph: GraphStore | None = None,
    with_graph: bool = True,
    repair: bool = True,
) -> IngestReport:
    """Bring the indexes in line with a catalogue (idempotent).

    ``catalogue`` defaults to the one the settings name; pass an already
    loaded one to avoid reading it twice.  ``with_graph=False`` builds the
    vector index alone (the graph is down); a later run with the graph up
    finds it short of items and fills it.  ``repair=False`` leaves a damaged
    vector index as it is (an app starting up reports it and names this
    command, rather than spend minutes rebuilding it unasked).
    """
    started = time.perf_counter()
    catalogue = catalogue or load_catalogue(settings.catalogue)
    schema = catalogue.schema
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = catalogue_fingerprint(catalogue.directory, settings, schema)
    old = read_manifest(settings)
    if not with_graph:
        graph = None
    owns_graph = with_graph and graph is None
    if owns_graph:
        graph = _graph_for_ingest(settings, schema, repair)
    try:
        if graph is not None:
            graph.migrate()  # every start passes here: an older graph is brought up to date, a newer one refused
        current = old if _vectors_current(settings, old, fingerprint, repair) else None
        graph_current = graph is None or graph.item_count() == len(catalogue)
        if current is not None and graph_current:
            return IngestReport(
                fingerprint, len(catalogue), len(catalogue.interactions), True, time.perf_counter() - started
            )
        manifest = current or _build_vectors(settings, catalogue, fingerprint, progress)
        if graph is not None:
            graph.ensure_schema()
            graph.upsert_items(catalogue.items.values(), progress=progress)
            graph.prune_items(catalogue.items.keys())
        _write_manifest(settings, manifest)
        _retire(settings, old, manifest)
    finally:
        if owns_graph and graph is not None:
            graph.close()
    return IngestReport(fingerprint, len(catalogue), len(catalogue.interactions), False, time.perf_counter() - started)
