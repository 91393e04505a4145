"""Ranking benchmark: the Concierge scorer against baselines and real peers, LlamaRec protocol.

Run as ``python -m bench.ranking --data ../shared/data/movielens-latest-small --json OUT``.

Every model is trained and scored on one leave-one-out split (ratings as
implicit feedback, one pass of 5-core filtering, last item for test,
second-last for validation) and judged by the same code: every item ranked,
the user's history excluded, Recall and NDCG at 5, 10 and 20 over all users.
Seeded models run once per seed; the table gives means and standard
deviations.  Popularity and ItemKNN are deterministic, so their spread is 0.
The scorer's latency for 500 candidates is measured in the same process,
with embedding one short query as the baseline.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.plotting import pyplot, save
from bench.timing import percentile, timed
from kg.catalogue import load_catalogue
from retrieval.embeddings import shared_embedder
from retrieval.scorer.features import History
from retrieval.scorer.interactions import LeaveOneOutSplit, leave_one_out, read_events
from retrieval.scorer.item_side import co_occurrence_matrix
from retrieval.scorer.metrics import DEFAULT_KS, held_out_metrics
from retrieval.scorer.scorer import ProfileScorer
from retrieval.scorer.training import ScorerTrainingConfig, train_scorer
from retrieval.scorer.vectors import embedded_item_vectors

METRICS = tuple(f"{kind}@{k}" for k in DEFAULT_KS for kind in ("recall", "ndcg"))
PUBLISHED = {  # LlamaRec paper, Table 1 ("ML-100k" is this data set): recall@10, ndcg@10
    "llamarec (published)": (0.1524, 0.0759),
    "lrurec (published)": (0.1426, 0.0705),
    "sasrec (published)": (0.0993, 0.0522),
}
LATENCY_CANDIDATES = 500
METRIC_TITLES = {"recall": "Recall", "ndcg": "NDCG"}


def popularity_scores(split: LeaveOneOutSplit) -> np.ndarray:
    counts = np.bincount(
        [item for history in split.train for item in history],
        minlength=split.n_items + 1,
    )
    return np.tile(counts.astype(np.float32), (len(split.users), 1))


def item_knn_scores(split: LeaveOneOutSplit) -> np.ndarray:
    """Classic ItemKNN: sum of cosine co-occurrence with every history item."""
    similarity = co_occurrence_matrix(split.train, split.n_items)
    rows = [
        np.asarray(similarity[list(split.test_history(user))].sum(axis=0)).ravel() for user in range(len(split.users))
    ]
    return np.stack(rows).astype(np.float32)


def scoring_latency(
    scorer: ProfileScorer,
    split: LeaveOneOutSplit,
    baseline: Callable[[], object],
    users: int,
) -> dict[str, float]:
    """p50/p95 of scoring 500 candidates for one profile, and the same-process baseline."""
    rng = random.Random(0)
    ids = scorer.side.item_ids
    timings = []
    for user in rng.sample(range(len(split.users)), min(users, len(split.users))):
        history = History(split.test_history(user))
        candidates = rng.sample(ids, min(LATENCY_CANDIDATES, len(ids)))
        timings.append(timed(partial(scorer.score_items, history, candidates)))
    baseline_times = [timed(baseline) for _ in range(50)]
    base = statistics.median(baseline_times)
    p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
    return {
        "candidates": LATENCY_CANDIDATES,
        "p50_ms": round(p50 * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "baseline_ms": round(base * 1000, 2),
        "p50_x_baseline": round(p50 / base, 2),
        "p95_x_baseline": round(p95 / base, 2),
    }


def summarise(model: str, runs: Sequence[dict[str, float]], extra: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"model": model, "seeds": len(runs)}
    for metric in METRICS:
        values = [run[metric] for run in runs]
        row[metric] = round(statistics.fmean(values), 4)
        row[f"{metric}_std"] = round(statistics.pstdev(values), 4)
    row.update(extra)
    return row


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    header = f"{'model':24s} " + " ".join(f"{metric:>15s}" for metric in METRICS) + "  training"
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = " ".join(f"{row[m]:.4f} ±{row[m + '_std']:.4f}".rjust(15) if m in row else " " * 15 for m in METRICS)
        print(f"{row['model']:24s} {cells}  {row.get('train_seconds_mean', '-')}")
    for model, (recall, ndcg) in PUBLISHED.items():
        print(f"{model:24s} {'':>15s} {'':>15s} {recall:>15.4f} {ndcg:>15.4f}")


def plot(rows: Sequence[dict[str, Any]], path: Path) -> None:
    plt = pyplot()

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, kind in zip(axes, ("recall", "ndcg"), strict=True):
        width = 0.8 / len(rows)
        for offset, row in enumerate(rows):
            keys = [f"{kind}@{k}" for k in DEFAULT_KS]
            positions = np.arange(len(keys)) + offset * width
            axis.bar(
                positions,
                [row[key] for key in keys],
                width,
                yerr=[row[f"{key}_std"] for key in keys],
                label=row["model"],
                capsize=2,
            )
        axis.set_xticks(np.arange(len(DEFAULT_KS)) + 0.4 - width / 2, [f"@{k}" for k in DEFAULT_KS])
        axis.set_title(f"{ {'recall': 'Recall', 'ndcg': 'NDCG'}[kind] } (MovieLens latest-small, leave-one-out)")
        axis.grid(axis="y", alpha=0.3)
    axes[0].axhline(
        PUBLISHED["llamarec (published)"][0],
        color="grey",
        linestyle="--",
        linewidth=1,
        label="LlamaRec @10 (published)",
    )
    axes[1].axhline(PUBLISHED["llamarec (published)"][1], color="grey", linestyle="--", linewidth=1)
    axes[0].legend(fontsize=8)
    save(figure, path)


def run_concierge(
    ratings: Path, split: LeaveOneOutSplit, catalogue_dir: Path, seeds: Sequence[int], latency_users: int
) -> tuple[dict[str, Any], dict[str, float]]:
    """Train the scorer once per seed; its summary row and the scoring latency of the first one."""
    catalogue = load_catalogue(catalogue_dir)
    embedder = shared_embedder("packaged:all-MiniLM-L6-v2")
    vectors = embedded_item_vectors(catalogue.items, catalogue.schema, embedder)
    runs: list[dict[str, Any]] = []
    seconds: list[float] = []
    epochs: list[int] = []
    latency: dict[str, float] = {}
    for seed in seeds:
        config = ScorerTrainingConfig(seed=seed)
        trained = train_scorer(read_events(ratings), catalogue.items, catalogue.schema, vectors, config)
        runs.append(trained.metrics["test"])
        seconds.append(trained.metrics["train_seconds"])
        epochs.append(trained.metrics["sequence_epochs"])
        print(f"concierge seed {seed}: {trained.metrics['test']} in {trained.metrics['train_seconds']} s", flush=True)
        if not latency:
            latency = scoring_latency(
                trained.scorer, split, lambda: embedder.encode_query("a funny heist film"), latency_users
            )
    budget = (
        f"sequence model: at most {config.sequence_training['max_epochs']} epochs, stopped after 4 evaluations "
        f"(every 5 epochs) without a better valid NDCG@10, at epochs {epochs}; blend: 300 Adam steps"
    )
    row = summarise("concierge", runs, {"train_seconds_mean": round(statistics.fmean(seconds), 1), "budget": budget})
    return row, latency


def run_peers(
    names: Sequence[str], caps: dict[str, int], split: LeaveOneOutSplit, seeds: Sequence[int]
) -> list[dict[str, Any]]:
    """Each RecBole model once per seed on the same split, scored by our metric code."""
    from bench.peers import run_recbole

    rows = []
    with tempfile.TemporaryDirectory(prefix="recbole-") as workdir:
        for name in names:
            runs, seconds, budget, label = [], [], "", name
            for seed in seeds:
                run = run_recbole(name, split, seed, Path(workdir) / f"{name}-{seed}", max_epochs=caps.get(name))
                runs.append(held_out_metrics(run.test_scores, split))
                seconds.append(run.train_seconds)
                budget, label = run.budget, run.model
                print(f"{label} seed {seed}: {runs[-1]} in {run.train_seconds:.0f} s", flush=True)
            rows.append(
                summarise(label, runs, {"train_seconds_mean": round(statistics.fmean(seconds), 1), "budget": budget})
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="MovieLens folder holding ratings.csv")
    parser.add_argument("--catalogue", type=Path, default=Path("data/demo"), help="items' text and facts")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--plot", type=Path, help="PNG of the metrics (default: beside the JSON)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--peers", nargs="*", default=["SASRec", "LightGCN"], help="RecBole models (none: skip)")
    parser.add_argument("--peer-epochs", type=int, nargs="*", default=[], help="epoch caps, in --peers order")
    parser.add_argument("--latency-users", type=int, default=200)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    ratings = args.data / "ratings.csv"
    split = leave_one_out(read_events(ratings))
    print(f"{len(split.users)} users, {split.n_items} items, seeds {args.seeds}", flush=True)
    concierge, latency = run_concierge(ratings, split, args.catalogue, args.seeds, args.latency_users)
    rows = [
        concierge,
        summarise("popularity", [held_out_metrics(popularity_scores(split), split)], {}),
        summarise("itemknn", [held_out_metrics(item_knn_scores(split), split)], {}),
    ]
    rows += run_peers(args.peers, dict(zip(args.peers, args.peer_epochs, strict=False)), split, args.seeds)
    print_table(rows)
    print(
        f"scoring {LATENCY_CANDIDATES} candidates: p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms "
        f"({latency['p50_x_baseline']}x / {latency['p95_x_baseline']}x one query embedding of "
        f"{latency['baseline_ms']} ms)"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "protocol": "LlamaRec leave-one-out, 5-core, all items ranked, history excluded",
        "users": len(split.users),
        "items": split.n_items,
        "seeds": args.seeds,
        "rows": rows,
        "published": {model: {"recall@10": r, "ndcg@10": n} for model, (r, n) in PUBLISHED.items()},
        "scoring_latency": latency,
    }
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    plot_path = args.plot or args.json.with_suffix(".png")
    plot(rows, plot_path)
    print(f"wrote {args.json} and {plot_path}")


if __name__ == "__main__":
    main()
