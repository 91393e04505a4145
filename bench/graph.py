"""Graph scale: ingest time and ``candidates()`` / ``paths()`` latency, on the demo and a synthetic catalogue.

Run as ``python -m bench.graph --json OUT [--synthetic-items 1000000] [--queries 200] [--plot PNG]``.

Each data set goes into a fresh embedded ArcadeDB in a temporary directory
(never a configured Neo4j: the bench writes a million throw-away items), so
the figures say what a user of the default setup gets.  The synthetic
catalogue is generated from a seed, with the long-tailed attribute degrees of
a real film catalogue (a few people in hundreds of films, most in a handful;
genres and countries shared by a large share of all items), because query cost
is set by the degrees of the attributes that a query fans out from.

Absolute times on shared machines are noisy, so every latency is also given
as a ratio to a baseline measured in the same process: the round trip of a
trivial ``RETURN 1`` through the same driver, session and managed
transaction that every graph call pays for.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from assistant.settings import DEMO_CATALOGUE, Settings
from bench.plotting import pyplot, save
from bench.timing import percentile, timed
from kg import embedded
from kg.catalogue import Item, load_catalogue
from kg.constraints import Constraints
from kg.paths import GraphCandidate
from kg.store import GraphStore

WARMUP_CALLS = 30
K = 100
SEED = 20240601
BASELINE_CALLS = 200
POPULAR_DEMO_ITEMS = 300
# Constraints cycled through the candidate queries: most calls have none, as in a first turn.
CONSTRAINTS: tuple[Constraints | None, ...] = (
    None,
    None,
    Constraints(year_min=1990),
    None,
    Constraints(exclude={"genres": ("Horror",)}),
    Constraints(include={"genres": ("Comedy", "Drama")}, year_max=2010),
)
LATENCY_KEYS = ("candidates_p50_ms", "candidates_p95_ms", "paths_p50_ms", "paths_p95_ms")

GENRES = (
    "Drama", "Comedy", "Thriller", "Action", "Romance", "Adventure", "Crime", "Sci-Fi", "Horror", "Fantasy",
    "Children", "Animation", "Mystery", "Documentary", "War", "Musical", "Western", "IMAX", "Film-Noir", "Biography",
)  # fmt: skip
COUNTRIES = tuple(f"Country {n}" for n in range(30))
LANGUAGES = tuple(f"Language {n}" for n in range(20))


# ------------------------------------------------------------------ synthetic catalogue


class ZipfSampler:
    """Draws ranks ``0..size-1`` with probability proportional to ``(rank + 1 + offset) ** -exponent``.

    The offset flattens the head, so that the most common value is linked to
    hundreds of items rather than a fixed share of the whole catalogue (as
    with people, where the busiest actor has a few hundred films at most).
    """

    def __init__(self, size: int, exponent: float, offset: float = 0.0) -> None:
        weights = (np.arange(1, size + 1, dtype=np.float64) + offset) ** -exponent
        self._cdf = np.cumsum(weights / weights.sum())
        self._cdf[-1] = 1.0

    def __call__(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return np.searchsorted(self._cdf, rng.random(count), side="right")


@dataclass(frozen=True)
class FieldShape:
    """How one attribute field is filled: values per item (choice and weights), and which value is drawn."""

    field: str
    names: Sequence[str]
    counts: tuple[int, ...]
    count_weights: tuple[float, ...]
    sampler: ZipfSampler


class SyntheticCatalogue:
    """A seeded, deterministic catalogue of ``size`` items, generated in chunks.

    Pool sizes grow with the catalogue (0.3 people and 0.02 tags per item,
    5,000 studios per million) so that degree distributions look alike at
    every size and a small run predicts a large one; genres, countries and
    languages stay fixed sets.  About 13 attribute edges per item.
    ``popular`` lists items whose director or lead actor is among the
    best-known 0.1 % of people (about 8 % of items): the kind of item users
    like, and among the heaviest to answer queries about.
    """

    def __init__(self, size: int, seed: int = SEED, chunk: int = 20_000) -> None:
        if size < 1:
            raise ValueError("size must be positive")
        self.size = size
        self.seed = seed
        self.chunk = chunk
        people = max(1_000, int(0.3 * size))
        self._people = [f"Person {n}" for n in range(people)]
        self._famous = max(1, people // 1000)
        person = ZipfSampler(people, 1.2, offset=people / 150)
        tags = [f"tag {n}" for n in range(max(200, size // 50))]
        studios = [f"Studio {n}" for n in range(max(100, size // 200))]
        self._fields = (
            FieldShape("genres", GENRES, (1, 2, 3), (0.35, 0.45, 0.2), ZipfSampler(len(GENRES), 1.0)),
            FieldShape("directors", self._people, (1, 2), (0.9, 0.1), person),
            FieldShape("cast", self._people, (2, 3, 4, 5), (0.25, 0.3, 0.25, 0.2), person),
            FieldShape("writers", self._people, (1, 2), (0.6, 0.4), person),
            FieldShape("composers", self._people, (0, 1), (0.4, 0.6), person),
            FieldShape("studios", studios, (1, 2), (0.9, 0.1), ZipfSampler(len(studios), 1.0, offset=5)),
            FieldShape("countries", COUNTRIES, (1, 2), (0.9, 0.1), ZipfSampler(len(COUNTRIES), 1.5)),
            FieldShape("languages", LANGUAGES, (1, 2), (0.9, 0.1), ZipfSampler(len(LANGUAGES), 1.5)),
            FieldShape(
                "tags", tags, (0, 1, 2, 3, 4), (0.3, 0.25, 0.2, 0.15, 0.1), ZipfSampler(len(tags), 1.0, offset=2)
            ),
        )
        self.popular: list[str] = []

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[Item]:
        self.popular = []
        for start in range(0, self.size, self.chunk):
            yield from self._chunk(start, min(self.size, start + self.chunk))

    def _chunk(self, start: int, stop: int) -> list[Item]:
        """Items ``start..stop-1``; each chunk has its own random stream, so any chunk can be rebuilt alone."""
        rng = np.random.default_rng([self.seed, start])
        count = stop - start
        years = np.clip(np.round(2024 - rng.gamma(2.0, 12.0, count)), 1900, 2024).astype(int)
        per_field = {shape.field: self._draw(shape, rng, count) for shape in self._fields}
        items = []
        for offset in range(count):
            attributes = {}
            for shape in self._fields:
                ranks = per_field[shape.field][offset]
                if ranks:
                    attributes[shape.field] = tuple(dict.fromkeys(shape.names[r] for r in ranks))
            item_id = f"s{start + offset:07d}"
            leads = (per_field["directors"][offset][0], per_field["cast"][offset][0])
            if min(leads) < self._famous:
                self.popular.append(item_id)
            items.append(Item(item_id, f"Synthetic Film {start + offset}", int(years[offset]), attributes))
        return items

    @staticmethod
    def _draw(shape: FieldShape, rng: np.random.Generator, count: int) -> list[list[int]]:
        """Per item, the ranks of its values in ``shape``'s pool (duplicates collapse when the item is built)."""
        counts = rng.choice(shape.counts, size=count, p=shape.count_weights)
        ranks = shape.sampler(rng, int(counts.sum())).tolist()
        bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
        return [ranks[bounds[i] : bounds[i + 1]] for i in range(count)]


def degree_summary(items: Sequence[Item]) -> dict[str, dict[str, float]]:
    """Per field: how many values, and the median / p99 / max number of items a value links to."""
    summary = {}
    fields = sorted({name for item in items for name in item.attributes})
    for name in fields:
        degrees = np.array(list(Counter(v for item in items for v in item.values(name)).values()))
        summary[name] = {
            "values": len(degrees),
            "median": float(np.median(degrees)),
            "p99": float(np.percentile(degrees, 99)),
            "max": int(degrees.max()),
        }
    edges = sum(len(values) for item in items for values in item.attributes.values())
    summary["edges_per_item"] = {"mean": edges / max(1, len(items))}
    return summary


# ------------------------------------------------------------------ measurement


@dataclass(frozen=True)
class PathQuery:
    """A ``paths()`` call known to connect: a candidate reached from some of the liked items."""

    from_ids: tuple[str, ...]
    to_id: str


def path_query(liked: Sequence[str], found: Sequence[GraphCandidate], rng: random.Random) -> PathQuery | None:
    """From the first 1-3 liked items to a candidate whose evidence starts at one of them."""
    sources = tuple(liked[: rng.randint(1, 3)])
    reachable = [c.item_id for c in found if any(p.start.key in sources for p in c.paths)]
    return PathQuery(sources, rng.choice(reachable)) if reachable else None


def measure_latency(store: GraphStore, liked_pool: Sequence[str], queries: int, seed: int = SEED) -> dict[str, float]:
    """p50/p95 of ``candidates()`` and ``paths()`` after a warm-up, plus the ``RETURN 1`` baseline.

    Path queries are taken from the candidate calls' own results, so every
    one asks for a pair the graph connects (an empty answer would be
    unrealistically fast).
    """
    rng = random.Random(seed)
    baseline = [timed(store.health) for _ in range(BASELINE_CALLS)]
    candidate_s: list[float] = []
    path_queries: list[PathQuery] = []
    for index in tqdm(range(WARMUP_CALLS + queries), desc="candidates()", unit="call"):
        liked = rng.sample(list(liked_pool), rng.randint(1, 5))
        constraints = CONSTRAINTS[index % len(CONSTRAINTS)]
        started = time.perf_counter()
        found = store.candidates(liked, constraints=constraints, k=K)
        elapsed = time.perf_counter() - started
        if index >= WARMUP_CALLS:
            candidate_s.append(elapsed)
        query = path_query(liked, found, rng)
        if query is not None:
            path_queries.append(query)
    path_s: list[float] = []
    for index, query in enumerate(tqdm(path_queries, desc="paths()", unit="call")):
        elapsed = timed(partial(store.paths, query.from_ids, query.to_id, max_hops=2))
        if index >= WARMUP_CALLS:
            path_s.append(elapsed)
    if not candidate_s or not path_s:
        raise RuntimeError("no timed calls: raise --queries")
    base_ms = statistics.median(baseline) * 1000
    results = {
        "candidates_p50_ms": statistics.median(candidate_s) * 1000,
        "candidates_p95_ms": percentile(candidate_s, 0.95) * 1000,
        "paths_p50_ms": statistics.median(path_s) * 1000,
        "paths_p95_ms": percentile(path_s, 0.95) * 1000,
        "baseline_ms": base_ms,
    }
    for key in LATENCY_KEYS:
        results[f"{key}_x_baseline"] = results[key] / base_ms
    return results


def open_graph(graph_dir: Path, settings: Settings) -> GraphStore:
    """A fresh embedded server with the settings' heap (raise it for large catalogues) and timeouts."""
    return GraphStore.embedded(
        graph_dir,
        timeout_s=settings.graph_timeout_s,
        heap_mb=settings.arcadedb_heap_mb,
        startup_timeout_s=settings.arcadedb_startup_timeout_s,
    )


def ingest(store: GraphStore, items: Sequence[Item]) -> float:
    """Seconds for ``ensure_schema`` plus ``upsert_items`` of every item, as a first ingest would take."""
    started = time.perf_counter()
    store.ensure_schema()
    store.upsert_items(items, progress=True)
    return time.perf_counter() - started


def bench_demo(work_dir: Path, settings: Settings, catalogue_dir: Path, queries: int) -> dict[str, float]:
    """The shipped catalogue, liked sets drawn from its most-rated items (what demo users pick)."""
    catalogue = load_catalogue(catalogue_dir)
    ratings = Counter(interaction.item_id for interaction in catalogue.interactions)
    popular = [item_id for item_id, _ in ratings.most_common(POPULAR_DEMO_ITEMS)]
    graph_dir = work_dir / "demo-graph"
    try:
        with open_graph(graph_dir, settings) as store:
            ingest_s = ingest(store, list(catalogue.items.values()))
            results = {"ingest_s": ingest_s, **measure_latency(store, popular, queries), "items": len(catalogue)}
    finally:
        embedded.shutdown(graph_dir)
    return results


def bench_synthetic(work_dir: Path, settings: Settings, size: int, queries: int) -> dict[str, float]:
    """The synthetic catalogue, generated before the clock starts so that ``ingest_s`` times the graph alone."""
    catalogue = SyntheticCatalogue(size)
    started = time.perf_counter()
    items = list(tqdm(catalogue, total=size, desc="generate", unit="item"))
    generate_s = time.perf_counter() - started
    graph_dir = work_dir / "synthetic-graph"
    try:
        with open_graph(graph_dir, settings) as store:
            ingest_s = ingest(store, items)
            del items  # a million items hold about 1 GB the queries can use
            results = {"ingest_s": ingest_s, **measure_latency(store, catalogue.popular, queries), "items": size}
    finally:
        embedded.shutdown(graph_dir)
    results["generate_s"] = generate_s
    return results


# ------------------------------------------------------------------ report


def table(results: dict[str, dict[str, float]]) -> str:
    """One row per data set: size, ingest rate, then each latency in ms and as a multiple of the baseline."""
    header = f"{'data set':<14}{'items':>10}{'ingest s':>10}{'items/s':>9}{'RETURN 1 ms':>12}"
    header += "".join(f"{key.removesuffix('_ms').replace('_', ' '):>22}" for key in LATENCY_KEYS)
    lines = [header, "-" * len(header)]
    for name, row in results.items():
        line = f"{name:<14}{row['items']:>10,}{row['ingest_s']:>10.1f}{row['items'] / row['ingest_s']:>9,.0f}"
        line += f"{row['baseline_ms']:>12.2f}"
        line += "".join(f"{row[key]:>9.1f} ms ({row[key + '_x_baseline']:>5.1f}x)" for key in LATENCY_KEYS)
        lines.append(line)
    return "\n".join(lines)


def plot(results: dict[str, dict[str, float]], path: Path) -> None:
    """Grouped bars: p50 and p95 of each call, per data set (log scale: the sets differ a hundredfold in size)."""
    plt = pyplot()

    figure, axis = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(results)
    for offset, (name, row) in enumerate(results.items()):
        positions = [index + offset * width for index in range(len(LATENCY_KEYS))]
        bars = axis.bar(positions, [row[key] for key in LATENCY_KEYS], width, label=f"{name} ({row['items']:,} items)")
        axis.bar_label(bars, fmt="%.3g", fontsize=8)
    axis.set_xticks([index + width * (len(results) - 1) / 2 for index in range(len(LATENCY_KEYS))])
    axis.set_xticklabels([key.removesuffix("_ms").replace("_", " ") for key in LATENCY_KEYS])
    axis.set_yscale("log")
    axis.set_ylabel("ms per call")
    axis.set_title("GraphStore latency, embedded ArcadeDB")
    axis.legend()
    save(figure, path)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options; ``argv`` lets tests call :func:`main` without a subprocess."""
    parser = argparse.ArgumentParser(prog="python -m bench.graph", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, required=True, help="where to write the results")
    parser.add_argument(
        "--synthetic-items", type=int, default=1_000_000, help="size of the synthetic catalogue (0 skips it)"
    )
    parser.add_argument("--queries", type=int, default=200, help="timed calls of each kind, after the warm-up")
    parser.add_argument("--plot", type=Path, help="PNG bar chart of the latencies")
    parser.add_argument("--catalogue", type=Path, default=DEMO_CATALOGUE, help="the demo catalogue directory")
    parser.add_argument(
        "--heap-mb", type=int, help="ArcadeDB heap (default: CONCIERGE_ARCADEDB_HEAP_MB or the settings default)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run both data sets one after the other (never together: each server wants the CPU to itself)."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="concierge-bench-graph-") as tmp:
        overrides: dict[str, Any] = {"data_dir": Path(tmp)}
        if args.heap_mb:
            overrides["arcadedb_heap_mb"] = args.heap_mb
        settings = Settings(**overrides)
        results = {"demo": bench_demo(Path(tmp), settings, args.catalogue, args.queries)}
        if args.synthetic_items > 0:
            results["synthetic_1m"] = bench_synthetic(Path(tmp), settings, args.synthetic_items, args.queries)
    print(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
