"""Small catalogue folders cut from the demo catalogue, for tests that ingest from disk in seconds."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from assistant.settings import DEMO_CATALOGUE


def demo_head(items: int) -> tuple[list[str], list[str]]:
    """The demo catalogue's first ``items`` items (lines of its items file) and every interaction row, header first."""
    with gzip.open(DEMO_CATALOGUE / "items.jsonl.gz", "rt", encoding="utf-8") as source:
        lines = [line for line, _ in zip(source, range(items), strict=False)]
    with gzip.open(DEMO_CATALOGUE / "interactions.csv.gz", "rt", encoding="utf-8") as source:
        interactions = source.readlines()
    return lines, interactions


def write_catalogue(directory: Path, lines: list[str], interactions: list[str]) -> Path:
    """A catalogue folder of these item lines and the interaction rows of their items."""
    directory.mkdir(parents=True, exist_ok=True)
    kept = {json.loads(line)["id"] for line in lines}
    (directory / "items.jsonl").write_text("".join(lines), encoding="utf-8")
    rows = [interactions[0], *(row for row in interactions[1:] if row.split(",")[1] in kept)]
    (directory / "interactions.csv").write_text("".join(rows), encoding="utf-8")
    return directory
