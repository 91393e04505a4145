"""Turn latency: model load, first (cold) turn, warm turns, and retrieval + ranking alone.

Run as ``python -m bench.latency --json OUT [--data-dir DIR] [--turns N] [--plot PNG]``.

Absolute times on shared machines are noisy, so every figure is also given
as a ratio to a baseline measured in the same process: embedding one short
query with the packaged sentence model, the smallest unit of work every turn
must do.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from functools import partial
from pathlib import Path

from tqdm.auto import tqdm

from assistant.settings import Settings
from bench.plotting import pyplot, save
from bench.timing import percentile, timed

MESSAGES = [
    "I loved The Matrix and Blade Runner",
    "Something like Arrival, but not horror, after 2010",
    "A comedy from the 90s with Jim Carrey",
    "I liked Heat and The Godfather, nothing before 1970",
    "Movies by Christopher Nolan please",
    "I want an animated film for kids",
]


def measure(settings: Settings, turns: int) -> dict[str, float]:
    """All figures from one process, in the order a user meets them."""
    from assistant.api import Assistant
    from assistant.llm import chat_model_from_settings
    from assistant.sessions.profile import UserProfile
    from retrieval.embeddings import shared_embedder

    results: dict[str, float] = {}
    started = time.perf_counter()
    chat_model = chat_model_from_settings(settings)
    results["llm_load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    assistant = Assistant.from_settings(settings, chat_model=chat_model)
    results["open_stores_s"] = time.perf_counter() - started
    embedder = shared_embedder(settings.embedding_spec, settings.embedding_batch_size)
    baseline = [timed(lambda: embedder.encode_query("a quiet science fiction film about language")) for _ in range(20)]
    results["baseline_embed_ms"] = statistics.median(baseline) * 1000
    results["first_turn_s"] = timed(lambda: assistant.chat(f"bench-{uuid.uuid4().hex}", MESSAGES[0]))
    warm: list[float] = []
    retrieval: list[float] = []
    for index in tqdm(range(turns), desc="turns", unit="turn"):
        message = MESSAGES[index % len(MESSAGES)]
        warm.append(timed(partial(assistant.chat, f"bench-{uuid.uuid4().hex}", message)))
        profile = UserProfile().apply(assistant.pipeline.understand.run(message).delta)
        retrieval.append(timed(partial(assistant.recommend, profile, message)))
    assistant.close()
    results["warm_turn_p50_s"] = statistics.median(warm)
    results["warm_turn_p95_s"] = percentile(warm, 0.95)
    results["retrieval_rank_p50_ms"] = statistics.median(retrieval) * 1000
    results["retrieval_rank_p95_ms"] = percentile(retrieval, 0.95) * 1000
    baseline_s = results["baseline_embed_ms"] / 1000
    for key in ("llm_load_s", "open_stores_s", "first_turn_s", "warm_turn_p50_s", "warm_turn_p95_s"):
        results[f"{key}_x_baseline"] = results[key] / baseline_s
    for key in ("retrieval_rank_p50_ms", "retrieval_rank_p95_ms"):
        results[f"{key}_x_baseline"] = results[key] / results["baseline_embed_ms"]
    return results


def print_table(results: dict[str, float]) -> None:
    print(f"{'measure':<28}{'value':>12}{'x baseline':>14}")
    for key, value in results.items():
        if key.endswith("_x_baseline") or key == "baseline_embed_ms":
            continue
        ratio = results.get(f"{key}_x_baseline")
        print(f"{key:<28}{value:>12.3f}{(f'{ratio:.1f}' if ratio is not None else ''):>14}")
    print(f"{'baseline_embed_ms':<28}{results['baseline_embed_ms']:>12.3f}{'1.0':>14}")


def plot(results: dict[str, float], path: Path) -> None:
    plt = pyplot()

    keys = ["retrieval_rank_p50_ms", "retrieval_rank_p95_ms", "warm_turn_p50_s", "warm_turn_p95_s", "first_turn_s"]
    ratios = [results[f"{key}_x_baseline"] for key in keys]
    figure, axis = plt.subplots(figsize=(8, 4))
    axis.barh(keys, ratios, color="#e8590c")
    axis.set_xscale("log")
    axis.set_xlabel("time as a multiple of one query embedding (log scale)")
    axis.set_title("Concierge turn latency")
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True, help="where to write the results")
    parser.add_argument("--data-dir", type=Path, help="data directory (default: the settings')")
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--plot", type=Path, help="optional PNG of the ratios")
    args = parser.parse_args(argv)
    settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    results = measure(settings, args.turns)
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"settings": {"llm_model": settings.llm_model}, "metrics": results}, indent=2))
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
