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
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from assistant.learning.fit_ranking import NotAWeightedSum, cross_validated
from assistant.learning.replay import TurnReplayer
from assistant.learning.turns import ConversationTurn
from assistant.settings import Settings
from bench.crs_catalogue import (
    REPORT_FILE,
    build_inspired_catalogue,
    build_opendialkg_catalogue,
    build_redial_catalogue,
)
from bench.crs_turns import read_dataset_turns
from bench.plotting import pyplot, save
from bench.timing import percentile
from retrieval.fusion import CUTOFFS, rank_metrics

ANCHORS = {
    "redial": {
        "KBRD": {"recall@1": 0.028, "recall@10": 0.169, "recall@50": 0.366},
        "UniCRS": {"recall@1": 0.050, "recall@10": 0.215, "recall@50": 0.413},
        "ChatGPT zero-shot": {"recall@1": 0.037, "recall@10": 0.174},
    },
}
ANCHORS["opendialkg"] = {
    "KBRD": {"recall@1": 0.231, "recall@10": 0.423, "recall@50": 0.492},
    "UniCRS": {"recall@1": 0.308, "recall@10": 0.513, "recall@50": 0.574},
    "ChatGPT zero-shot": {"recall@1": 0.310, "recall@10": 0.539},
}
BARS = {
    "redial": {"recall@1": 0.06, "recall@10": 0.25, "recall@50": 0.45},
    "opendialkg": {"recall@1": 0.33, "recall@10": 0.55, "recall@50": 0.62},
}
BUILDERS = {
    "redial": build_redial_catalogue,
    "opendialkg": build_opendialkg_catalogue,
    "inspired": build_inspired_catalogue,
}


def score(ranked: list[str], target: str) -> dict[str, float]:
    return rank_metrics(ranked.index(target) + 1 if target in ranked else None)


def evaluate(replayer: TurnReplayer, turns: list[ConversationTurn]) -> dict[str, Any]:
    catalogue = replayer.pipeline.catalogue.items
    totals = dict.fromkeys(rank_metrics(None), 0.0)
    pairs = suggested = out_of_catalogue = unknown_targets = mentioned_targets = 0
    seconds: list[float] = []
    for turn in tqdm(turns, desc="turns", unit="turn"):
        started = time.perf_counter()
        ranked, mentioned = replayer.ranked(turn)
        seconds.append(time.perf_counter() - started)
        suggested += len(ranked)
        out_of_catalogue += sum(item_id not in catalogue for item_id in ranked)
        for target in replayer.targets(turn):
            unknown_targets += not target
            mentioned_targets += target in mentioned
            for name, value in score(ranked, target).items():
                totals[name] += value
            pairs += 1
    metrics: dict[str, Any] = {name: total / pairs for name, total in totals.items()} if pairs else dict(totals)
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
    return metrics


def open_assistant(dataset: str, datasets: Path, work: Path) -> Any:
    """The assistant on the data set's catalogue, building and ingesting it on first use."""
    from assistant.api import Assistant

    catalogue_dir = work / "catalogue"
    if not (catalogue_dir / REPORT_FILE).is_file():
        BUILDERS[dataset](datasets, catalogue_dir)
    settings = Settings(
        catalogue=catalogue_dir,
        data_dir=work / "data",
        llm_model="smollm2-135m",
        justifications="template",
        extraction="rules",
    )
    return Assistant.from_settings(settings, progress=True)


def print_table(dataset: str, metrics: dict[str, Any], fusion: dict[str, Any] | None = None) -> None:
    columns = ("recall@1", "recall@10", "recall@50", "ndcg@10")
    print(f"{'model':<30}" + "".join(f"{name:>11}" for name in columns))
    print(f"{'concierge':<30}" + "".join(f"{metrics[name]:>11.3f}" for name in columns))
    if fusion:
        cross = fusion["cross_validated"]
        label = f"concierge, fitted ({cross['folds']}-fold)"
        print(f"{label:<30}" + "".join(f"{cross[name]:>11.3f}" for name in columns))
    for model, figures in ANCHORS.get(dataset, {}).items():
        print(
            f"{model + ' (published)':<30}"
            + "".join(f"{figures[c]:>11.3f}" if c in figures else f"{'':>11}" for c in columns)
        )
    bars = BARS.get(dataset)
    if bars:
        print(f"{'bar':<30}" + "".join(f"{bars[c]:>11.3f}" if c in bars else f"{'':>11}" for c in columns))
    print(
        f"\n{metrics['turns']} turns, {metrics['pairs']} (turn, movie) pairs, "
        f"{metrics['targets_not_in_catalogue']} targets not in the catalogue, "
        f"{metrics['targets_mentioned_before']} targets mentioned earlier (removed by the protocol, so never hits), "
        f"out of catalogue suggestions: {metrics['out_of_catalogue']}; "
        f"per turn p50 {metrics['turn_p50_ms']:.0f} ms, p95 {metrics['turn_p95_ms']:.0f} ms"
    )


def plot(dataset: str, metrics: dict[str, Any], path: Path, fusion: dict[str, Any] | None = None) -> None:
    plt = pyplot()
    columns = ("recall@1", "recall@10", "recall@50")
    models = {"concierge": metrics}
    if fusion:
        models[f"concierge, fitted ({fusion['cross_validated']['folds']}-fold)"] = fusion["cross_validated"]
    models.update(ANCHORS.get(dataset, {}))
    figure, axes = plt.subplots(figsize=(8, 3.8))
    width = 0.8 / len(models)
    for offset, (model, figures) in enumerate(models.items()):
        axes.bar(
            [i + (offset - (len(models) - 1) / 2) * width for i in range(len(columns))],
            [figures.get(c, 0.0) for c in columns],
            width,
            label=model,
        )
    bars = BARS.get(dataset, {})
    for index, column in enumerate(columns):
        if column in bars:
            axes.hlines(bars[column], index - 0.45, index + 0.45, colors="black", linestyles="dashed")
    axes.set_xticks(range(len(columns)), columns)
    legend = "; dashed: the bar" if bars else ""
    axes.set_title(f"Conversational recommendation, {dataset} ({metrics['turns']} turns{legend})")
    axes.legend()
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
    args = parser.parse_args(argv)
    settings = Settings()
    datasets = args.datasets or settings.datasets_dir
    if datasets is None:
        parser.error("--datasets or CONCIERGE_DATASETS_DIR must name the research data sets folder")
    work = args.work_dir or settings.data_dir / "crs" / args.dataset
    turns = list(read_dataset_turns(args.dataset, args.turns))[: args.limit]
    assistant = open_assistant(args.dataset, Path(datasets), work)
    result: dict[str, Any] = {"dataset": args.dataset, "turns_file": str(args.turns)}
    try:
        replayer = TurnReplayer(assistant.pipeline, depth=max(CUTOFFS))
        metrics = evaluate(replayer, turns)
        if args.cross_validate:
            try:
                fitted = cross_validated(replayer, turns, args.cross_validate)
            except NotAWeightedSum as exc:
                parser.error(str(exc))
            result["fusion"] = {key: value for key, value in fitted.items() if key != "pools"}
    finally:
        assistant.close()
    result["metrics"] = metrics
    print_table(args.dataset, metrics, result.get("fusion"))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    if args.plot:
        plot(args.dataset, metrics, args.plot, result.get("fusion"))


if __name__ == "__main__":
    main()
