"""``concierge train-scorer``: train on a log, save the checkpoint with its config and metrics.

The checkpoint records what it was trained on (file names and SHA-256
digests), the full training configuration and seed, the library versions and
the metrics, so a number in a report can be traced to one directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import torch
from accelerate import PartialState

from kg.catalogue import load_catalogue
from retrieval.embeddings import shared_embedder
from retrieval.scorer.interactions import read_events
from retrieval.scorer.training import ScorerTrainingConfig, train_scorer
from retrieval.scorer.vectors import embedded_item_vectors


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def train_and_save(
    interactions: Path,
    catalogue_dir: Path,
    out: Path,
    embedding_model: str,
    seed: int = 0,
    max_epochs: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train a scorer and write it to ``out``; returns its metrics.

    Under ``accelerate launch`` every process trains its share and only the
    main one writes the checkpoint.
    """
    catalogue = load_catalogue(catalogue_dir)
    events = read_events(interactions)
    config = ScorerTrainingConfig(seed=seed)
    if max_epochs is not None:
        config = dataclasses.replace(
            config,
            sequence_training={**config.sequence_training, "max_epochs": max_epochs},
        )
    vectors = embedded_item_vectors(catalogue.items, catalogue.schema, shared_embedder(embedding_model), progress)
    trained = train_scorer(events, catalogue.items, catalogue.schema, vectors, config, progress=progress)
    if not PartialState().is_main_process:
        return trained.metrics
    trained.scorer.save(
        out,
        {
            "trained_on": {
                "interactions": interactions.name,
                "interactions_sha256": file_digest(interactions),
            },
            "embedding_model": embedding_model,
            "training": {
                "seed": config.seed,
                "min_count": config.min_count,
                **dict(config.sequence_training),
            },
            "versions": {"torch": torch.__version__},
            "metrics": trained.metrics,
        },
    )
    return trained.metrics
