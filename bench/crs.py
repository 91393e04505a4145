"""The conversational benchmark: recommend at each recommendation turn of a CRS data set.

Run as ``python -m bench.crs --dataset redial --turns DIR/redial/valid_turns.jsonl --json OUT [--plot PNG]``.

For every turn the ``context`` is replayed as the dialogue so far: each seeker
utterance goes through the assistant's turn interpreter (with the items the
recommender named just before as what "that one" points at), and the
resulting profile, with everything the seeker said as the query, is ranked
by the assistant.  The top 50 after removing every item mentioned earlier in the
dialogue are scored against the turn's ``rec`` movies: Recall@1/10/50 and
NDCG@10 per (turn, recommended movie) pair, as CRSLab and the published
figures count them.  Every suggested id is checked against the catalogue
(``out_of_catalogue`` must be 0).  The catalogue is the data set's movie
universe (ReDial: its mentioned movies joined to MovieLens and DBpedia;
OpenDialKG: the movies and books of its knowledge graph; INSPIRED: the
movies its dialogues link and the films of its DBpedia subgraph), built once
into the work directory (:mod:`bench.crs_catalogue`).  INSPIRED ships
dialogues rather than turns; :mod:`bench.crs_turns` cuts them.

What the assistant learns from conversations comes from the data sets'
training splits only (ReDial's partial training dialogues, OpenDialKG's and
INSPIRED's training turns, MovieLens tags) and is built on first use: the
retriever (``concierge train-retriever``, one checkpoint shared by the three
data sets, as its heads act on text, not on item ids) and the co-mention
counts (``concierge learn-comentions``, per catalogue); with
``--fit-training-turns``, also the weighted sum's weights, fitted on the
training turns (as ``concierge fit-ranking`` does) and saved in the work
directory.  ``--cross-validate`` reports, beside the fitted weights, the
learned per-feature curves (:mod:`retrieval.curves`), cross-validated the
same way.  ``metrics`` counts
every (turn, movie) pair; ``metrics_reachable`` drops the pairs whose movie
was mentioned earlier in the dialogue, which no product that never repeats
what the person named can hit (Kostric & Balog's protocol).  The ablation
re-ranks the same candidate pools with one feature's weight at zero.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from assistant.learning.comentions import count_comentions
from assistant.learning.fit_ranking import (
    NotAWeightedSum,
    cross_validated,
    cross_validated_curves,
    starting_weights,
    turn_pools,
)
from assistant.learning.replay import TurnReplayer, title_index
from assistant.learning.retriever_pairs import training_pairs
from assistant.learning.train_retriever import RetrieverTraining, train_retriever
from assistant.learning.turns import ConversationTurn, read_turns
from assistant.settings import COMENTIONS_FILE, Settings
from bench.crs_catalogue import (
    REPORT_FILE,
    build_inspired_catalogue,
    build_opendialkg_catalogue,
    build_redial_catalogue,
)
from bench.crs_turns import read_dataset_turns, read_inspired_turns, write_turns
from bench.plotting import pyplot, save
from bench.timing import percentile
from kg.catalogue import load_catalogue
from retrieval.embeddings import retriever_manifest
from retrieval.fusion import (
    CUTOFFS,
    TurnPool,
    fit_weights,
    load_fusion_weights,
    rank_metrics,
    recall_metrics,
    save_fusion_weights,
    turn_pool,
    weight_vector,
)
from retrieval.ranking import WeightedSumRanker

ANCHORS: dict[str, dict[str, dict[str, float]]] = {
    "redial": {
        "GPT-4 zero-shot, mentioned removed": {"recall@1": 0.050, "recall@10": 0.201},
        "UniCRS (as published)": {"recall@1": 0.050, "recall@10": 0.215, "recall@50": 0.413},
        "KBRD (as published)": {"recall@1": 0.028, "recall@10": 0.169, "recall@50": 0.366},
    },
    "inspired": {"GPT-4 zero-shot, mentioned removed": {"recall@1": 0.066, "recall@10": 0.185}},
    "opendialkg": {
        "KBRD": {"recall@1": 0.231, "recall@10": 0.423, "recall@50": 0.492},
        "UniCRS": {"recall@1": 0.308, "recall@10": 0.513, "recall@50": 0.574},
        "ChatGPT zero-shot": {"recall@1": 0.310, "recall@10": 0.539},
    },
}
"""Published figures with every turn counted (the data README says which removed the mentioned movies)."""
REACHABLE_ANCHORS: dict[str, dict[str, dict[str, float]]] = {
    "redial": {
        "UniCRS": {"recall@1": 0.024, "recall@10": 0.180, "recall@50": 0.335},
        "ReFICR (7B LLM)": {"recall@1": 0.018, "recall@10": 0.213, "recall@50": 0.465},
    },
}
"""Published figures with the turns whose movie was mentioned earlier dropped (Kostric & Balog)."""
BARS = {
    "redial": {"recall@10": 0.20, "recall@50": 0.42},
    "inspired": {"recall@10": 0.19},
    "opendialkg": {"recall@10": 0.50},
}
BUILDERS = {
    "redial": build_redial_catalogue,
    "opendialkg": build_opendialkg_catalogue,
    "inspired": build_inspired_catalogue,
}


ABLATED = ("comention", "mood", "vector", "collaborative", "graph", "mentions")
"""Features whose weight the ablation sets to zero, one at a time, on the same pools."""


def score(ranked: list[str], target: str) -> dict[str, float]:
    return rank_metrics(ranked.index(target) + 1 if target in ranked else None)


def mean_metrics(totals: dict[str, float], pairs: int) -> dict[str, float]:
    return {name: total / pairs for name, total in totals.items()} if pairs else dict(totals)


def evaluate(
    replayer: TurnReplayer, turns: list[ConversationTurn], feature_names: list[str]
) -> tuple[dict[str, Any], list[TurnPool]]:
    """Every turn ranked as the assistant ranks it, and its pool over ``feature_names`` kept for the ablation.

    ``pair_ranks`` holds, per (turn, movie) pair, the turn's position in ``turns``, the movie's rank (None
    outside the list) and whether it was mentioned earlier: runs on different settings compare on any subset.
    """
    catalogue = replayer.pipeline.catalogue.items
    totals = dict.fromkeys(rank_metrics(None), 0.0)
    reachable = dict.fromkeys(rank_metrics(None), 0.0)
    pairs = suggested = out_of_catalogue = unknown_targets = mentioned_targets = 0
    seconds: list[float] = []
    pools: list[TurnPool] = []
    ranks: list[tuple[int, int | None, bool]] = []
    for number, turn in enumerate(tqdm(turns, desc="turns", unit="turn")):
        replayer.prepared(turn)
        started = time.perf_counter()
        allowed = replayer.allowed(turn)
        ranked, mentioned = replayer.ranked(turn, allowed)
        seconds.append(time.perf_counter() - started)
        targets = replayer.targets(turn)
        pools.append(turn_pool(allowed, feature_names, mentioned, targets, turn.dialog_id))
        suggested += len(ranked)
        out_of_catalogue += sum(item_id not in catalogue for item_id in ranked)
        for target in targets:
            unknown_targets += not target
            mentioned_targets += target in mentioned
            figures = score(ranked, target)
            ranks.append((number, ranked.index(target) + 1 if target in ranked else None, target in mentioned))
            for name, value in figures.items():
                totals[name] += value
                if target not in mentioned:
                    reachable[name] += value
            pairs += 1
    metrics: dict[str, Any] = mean_metrics(totals, pairs)
    metrics.update(
        out_of_catalogue=out_of_catalogue,
        turns=len(turns),
        pairs=pairs,
        targets_not_in_catalogue=unknown_targets,
        targets_mentioned_before=mentioned_targets,
        suggested=suggested,
        turn_p50_ms=statistics.median(seconds) * 1000 if seconds else 0.0,
        turn_p95_ms=percentile(seconds, 0.95) * 1000 if seconds else 0.0,
    )
    evaluated = {
        "metrics": metrics,
        "metrics_reachable": mean_metrics(reachable, pairs - mentioned_targets),
        "pair_ranks": ranks,
    }
    return evaluated, pools


def reachable_pools(pools: list[TurnPool], turns: list[ConversationTurn], replayer: TurnReplayer) -> list[TurnPool]:
    """The pools with every target that was mentioned earlier in its dialogue dropped."""
    kept = []
    for pool, turn in zip(pools, turns, strict=True):
        _, mentioned = replayer.prepared(turn)
        kept.append(replace(pool, targets=tuple(target for target in pool.targets if target not in mentioned)))
    return kept


def ablation(pools: list[TurnPool], feature_names: list[str], weights: dict[str, float]) -> dict[str, Any]:
    """Reachable-protocol metrics with each ablated feature's weight at zero, beside all features."""
    rows = {"all features": recall_metrics(weight_vector(weights, feature_names), pools)}
    for feature in ABLATED:
        if weights.get(feature, 0.0) > 0:
            rows[f"without {feature}"] = recall_metrics(weight_vector({**weights, feature: 0.0}, feature_names), pools)
    return rows


def training_turn_files(datasets: Path, work_root: Path) -> list[Path]:
    """The data sets' training conversations as turns files (INSPIRED's dialogues cut into turns once)."""
    inspired = work_root / "inspired-train-turns.jsonl"
    if not inspired.is_file():
        write_turns(read_inspired_turns(datasets / "inspired" / "train_data_dbpedia.jsonl"), inspired)
    return [
        datasets / "redial" / "train_dialogues_partial.jsonl",
        datasets / "opendialkg" / "train_data_processed.jsonl",
        inspired,
    ]


def learn_from_conversations(
    catalogue_dir: Path, datasets: Path, work_root: Path, retriever: Path | None, comentions: Path
) -> dict[str, Any]:
    """Train the retriever and count the co-mentions from the training splits, each only when missing."""
    catalogue = load_catalogue(catalogue_dir)
    files = training_turn_files(datasets, work_root)
    built: dict[str, Any] = {}
    if retriever is not None and retriever_manifest(str(retriever)) is None:
        pairs = training_pairs(files, datasets / "movielens-latest-small", catalogue)
        built["retriever"] = train_retriever(
            pairs, catalogue, Settings().embedding_model, retriever, RetrieverTraining()
        )
    if not comentions.is_file():
        comentions.parent.mkdir(parents=True, exist_ok=True)
        index = count_comentions((turn for path in files for turn in read_turns(path)), title_index(catalogue))
        index.save(comentions)
        built["comentions"] = len(index)
    return built


TRAINING_TURNS = {
    "redial": ("redial", "train_dialogues_partial.jsonl"),
    "opendialkg": ("opendialkg", "train_data_processed.jsonl"),
    "inspired": ("inspired", "train_data_dbpedia.jsonl"),
}


def fitted_weights(
    replayer: TurnReplayer, dataset: str, datasets: Path, path: Path, fit_turns: int
) -> dict[str, float]:
    """The weights saved at ``path``; else, when ``fit_turns`` > 0, fitted on that many of the data set's
    training turns and saved there; else the defaults."""
    saved = load_fusion_weights(path)
    start = starting_weights(replayer)
    if saved is not None:
        return {**start, **saved}
    if fit_turns <= 0:
        return start
    folder, name = TRAINING_TURNS[dataset]
    turns = list(read_dataset_turns(dataset, datasets / folder / name))[:fit_turns]
    weights = fit_weights(turn_pools(replayer, turns, list(start)), list(start), start)
    save_fusion_weights(path, weights, {"turns_file": str(datasets / folder / name), "turns": len(turns)})
    return weights


def open_assistant(
    dataset: str, datasets: Path, work: Path, retriever: Path | None, misspelt_titles: bool = True
) -> Any:
    """The assistant on the data set's catalogue, building, learning and ingesting what it needs on first use."""
    from assistant.api import Assistant

    catalogue_dir = work / "catalogue"
    if not (catalogue_dir / REPORT_FILE).is_file():
        BUILDERS[dataset](datasets, catalogue_dir)
    settings = Settings(
        catalogue=catalogue_dir,
        data_dir=work / ("data" if retriever is not None else "data-packaged-retriever"),
        retriever_dir=retriever,
        llm_model="smollm2-135m",
        justifications="template",
        extraction="rules",
    )
    learn_from_conversations(catalogue_dir, datasets, work.parent, retriever, settings.data_dir / COMENTIONS_FILE)
    assistant = Assistant.from_settings(settings, progress=True)
    assistant.pipeline.understand.interpreter.linker.misspelt_titles = misspelt_titles
    return assistant


def print_table(
    dataset: str,
    metrics: dict[str, Any],
    fusion: dict[str, Any] | None = None,
    anchors: dict[str, dict[str, dict[str, float]]] = ANCHORS,
    curves: dict[str, Any] | None = None,
) -> None:
    columns = ("recall@1", "recall@10", "recall@50", "ndcg@10")
    print(f"{'model':<40}" + "".join(f"{name:>11}" for name in columns))
    print(f"{'concierge':<40}" + "".join(f"{metrics[name]:>11.3f}" for name in columns))
    if fusion:
        cross = fusion["cross_validated"]
        label = f"concierge, fitted ({cross['folds']}-fold)"
        print(f"{label:<40}" + "".join(f"{cross[name]:>11.3f}" for name in columns))
    if curves:
        label = f"concierge, curves ({curves['folds']}-fold)"
        print(f"{label:<40}" + "".join(f"{curves[name]:>11.3f}" for name in columns))
    for model, figures in anchors.get(dataset, {}).items():
        print(
            f"{model + ' (published)':<40}"
            + "".join(f"{figures[c]:>11.3f}" if c in figures else f"{'':>11}" for c in columns)
        )
    bars = BARS.get(dataset)
    if bars:
        print(f"{'target':<40}" + "".join(f"{bars[c]:>11.3f}" if c in bars else f"{'':>11}" for c in columns))
    if "turns" in metrics:
        print(
            f"\n{metrics['turns']} turns, {metrics['pairs']} (turn, movie) pairs, "
            f"{metrics['targets_not_in_catalogue']} targets not in the catalogue, "
            f"{metrics['targets_mentioned_before']} targets mentioned earlier (never hits: the protocol removes "
            f"mentioned movies), out of catalogue suggestions: {metrics['out_of_catalogue']}; "
            f"per turn p50 {metrics['turn_p50_ms']:.0f} ms, p95 {metrics['turn_p95_ms']:.0f} ms"
        )


def print_ablation(rows: dict[str, dict[str, float]]) -> None:
    columns = ("recall@1", "recall@10", "recall@50", "ndcg@10")
    print("\nablation, reachable protocol, same pools:")
    print(f"{'weights':<40}" + "".join(f"{name:>11}" for name in columns))
    for label, figures in rows.items():
        print(f"{label:<40}" + "".join(f"{figures[name]:>11.3f}" for name in columns))


def plot(dataset: str, result: dict[str, Any], path: Path) -> None:
    """Both protocols side by side, each against its published anchors, with the targets dashed."""
    plt = pyplot()
    columns = ("recall@1", "recall@10", "recall@50")
    figure, panels = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
    protocols = (
        ("every turn counted", result["metrics"], result.get("fusion"), result.get("curves"), ANCHORS),
        (
            "mentioned targets dropped",
            result["metrics_reachable"],
            result.get("fusion_reachable"),
            result.get("curves_reachable"),
            REACHABLE_ANCHORS,
        ),
    )
    for axes, (title, metrics, fusion, curves, anchors) in zip(panels, protocols, strict=True):
        models = {"concierge": metrics}
        if fusion:
            models[f"concierge, fitted ({fusion['cross_validated']['folds']}-fold)"] = fusion["cross_validated"]
        if curves:
            models[f"concierge, curves ({curves['folds']}-fold)"] = curves
        models.update(anchors.get(dataset, {}))
        width = 0.8 / len(models)
        for offset, (model, figures) in enumerate(models.items()):
            axes.bar(
                [i + (offset - (len(models) - 1) / 2) * width for i in range(len(columns))],
                [figures.get(c, 0.0) for c in columns],
                width,
                label=model,
            )
        for index, column in enumerate(columns):
            if column in BARS.get(dataset, {}):
                axes.hlines(BARS[dataset][column], index - 0.45, index + 0.45, colors="black", linestyles="dashed")
        axes.set_xticks(range(len(columns)), columns)
        axes.set_title(f"{dataset}, {title}")
        axes.legend(fontsize=7)
    figure.suptitle(f"Conversational recommendation, {result['metrics']['turns']} turns; dashed: the target")
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(BUILDERS), required=True)
    parser.add_argument(
        "--turns",
        type=Path,
        required=True,
        help="a turns file (context, entity, rec per line); for inspired, its dialogues file, cut into turns",
    )
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--datasets", type=Path, help="the research data sets folder (default: the settings')")
    parser.add_argument("--work-dir", type=Path, help="where the catalogue and its indexes are built")
    parser.add_argument("--limit", type=int, help="only the first N turns")
    parser.add_argument(
        "--cross-validate",
        type=int,
        metavar="FOLDS",
        help="also report the weighted sum fitted on these turns, cross-validated by dialogue over FOLDS folds "
        "(nothing is saved; `concierge fit-ranking` fits and saves the weights)",
    )
    parser.add_argument(
        "--retriever",
        choices=("trained", "packaged"),
        default="trained",
        help="the retriever learned from the training splits (trained on first use), or the packaged model",
    )
    parser.add_argument("--retriever-dir", type=Path, help="where the trained retriever lives (default: shared)")
    parser.add_argument("--no-typos", action="store_true", help="link titles only as written (ablation)")
    parser.add_argument(
        "--fit-training-turns",
        type=int,
        default=0,
        metavar="N",
        help="fit the weights on the first N training turns when none are saved (default: rank with the defaults; "
        "--cross-validate reports weights fitted on the evaluated turns themselves, held out by dialogue)",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    datasets = args.datasets or settings.datasets_dir
    if datasets is None:
        parser.error("--datasets or CONCIERGE_DATASETS_DIR must name the research data sets folder")
    work = args.work_dir or settings.data_dir / "crs" / args.dataset
    retriever = None
    if args.retriever == "trained":
        retriever = args.retriever_dir or work.parent / "retriever"
    turns = list(read_dataset_turns(args.dataset, args.turns))[: args.limit]
    assistant = open_assistant(args.dataset, Path(datasets), work, retriever, misspelt_titles=not args.no_typos)
    result: dict[str, Any] = {
        "dataset": args.dataset,
        "turns_file": str(args.turns),
        "retriever": str(retriever) if retriever else "packaged",
        "misspelt_titles": not args.no_typos,
    }
    try:
        replayer = TurnReplayer(assistant.pipeline, depth=max(CUTOFFS))
        try:
            weights = fitted_weights(
                replayer, args.dataset, Path(datasets), assistant.settings.fusion_path, args.fit_training_turns
            )
        except NotAWeightedSum as exc:
            parser.error(str(exc))
        assistant.pipeline.rank.ranker = WeightedSumRanker(weights)
        result["weights"] = weights
        names = list(weights)
        figures, pools = evaluate(replayer, turns, names)
        result.update(figures)
        reachable = reachable_pools(pools, turns, replayer)
        result["ablation_reachable"] = ablation(reachable, names, weights)
        if args.cross_validate:
            fitted = cross_validated(replayer, turns, args.cross_validate, pools)
            result["fusion"] = {key: value for key, value in fitted.items() if key != "pools"}
            fitted_reachable = cross_validated(replayer, turns, args.cross_validate, reachable)
            result["fusion_reachable"] = {key: value for key, value in fitted_reachable.items() if key != "pools"}
            result["curves"] = cross_validated_curves(pools, names, args.cross_validate)
            result["curves_reachable"] = cross_validated_curves(reachable, names, args.cross_validate)
    finally:
        assistant.close()
    print_table(args.dataset, result["metrics"], result.get("fusion"), curves=result.get("curves"))
    print("\nreachable protocol (turns whose movie was mentioned earlier dropped):")
    print_table(
        args.dataset,
        result["metrics_reachable"],
        result.get("fusion_reachable"),
        anchors=REACHABLE_ANCHORS,
        curves=result.get("curves_reachable"),
    )
    print_ablation(result["ablation_reachable"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    if args.plot:
        plot(args.dataset, result, args.plot)


if __name__ == "__main__":
    main()
