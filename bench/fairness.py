"""Fair exposure: how much of the catalogue Concierge shows, to whom, and at what cost, per re-ranking setting.

Run as ``python -m bench.fairness --json bench/results/fairness.json --plot bench/results/fairness.png``
(the data sets folder from ``--datasets`` or ``CONCIERGE_DATASETS_DIR``).

Two settings, every knob value of ``--knobs`` scored on the same scores (the
re-ranker only reorders them):

- ``movielens``: the LlamaRec protocol of ``bench.ranking`` (MovieLens
  latest-small, 5-core, leave-one-out, every item ranked, history excluded).
  The scorer is the demo catalogue's shipped checkpoint, which
  ``concierge train-scorer`` trained on this very split (checked: its item
  vocabulary must equal the split's, and its recorded test figures are
  reproduced at ``diversity`` 0); ``--train SEED`` trains one instead, as
  ``bench.ranking`` does.  Exposure (how often the scorer lists each item) is
  counted on the un-reranked top 10 of the same histories, which involves no
  held-out item.  The default is chosen on the validation items (second-last):
  the value with the lowest exposure Gini@10 among those whose validation
  NDCG@10 stays at or above 98% of the value at 0; test figures are reported.
- ``redial``: the demo assistant (shipped scorer, template justifications, no
  LLM) on the first recommendation turn of each ReDial validation dialogue,
  scored against the films the human recommender named next, mentioned films
  removed, with the exposure the live assistant uses.

For the top 10 it reports Recall and NDCG, catalogue coverage, exposure Gini
over items, the exposure share per item-popularity decile, novelty,
intra-list diversity (genres, embeddings) and calibration KL
(:mod:`bench.fairness_metrics`), overall and per user group: light, medium and
heavy users (history length tertiles) and niche, middle and mainstream users
(mean popularity of their history, tertiles).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from scipy import sparse
from tqdm.auto import tqdm

from assistant.settings import Settings
from bench.fairness_metrics import (
    calibration_kl,
    coverage,
    decile_shares,
    embedding_diversity,
    exposure_counts,
    genre_diversity,
    gini,
    novelty,
    popularity_deciles,
    tertiles,
)
from bench.plotting import pyplot, save
from kg.catalogue import load_catalogue
from retrieval.embeddings import shared_embedder
from retrieval.reranking import DEPTH, HIDDEN_GEMS_BOOST, LIST_SIZE, list_counts, rerank, rerank_positions
from retrieval.scorer.interactions import LeaveOneOutSplit, leave_one_out, read_events
from retrieval.scorer.item_side import build_item_side
from retrieval.scorer.scorer import ProfileScorer, read_checkpoint
from retrieval.scorer.training import (
    ScorerTrainingConfig,
    histories_for_test,
    histories_for_validation,
    train_scorer,
)
from retrieval.scorer.vectors import CATALOGUE_VECTORS

KNOBS = (0.0, 0.5, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
ACCURACY_FLOOR = 0.98
"""The default must keep validation NDCG@10 at or above this share of its value at 0."""
TARGETS = {"gini_cut": 0.15, "coverage_gain": 0.30, "ndcg_share": ACCURACY_FLOOR}
K = LIST_SIZE
EMBEDDING_MODEL = "packaged:all-MiniLM-L6-v2"
"""What ``bench.ranking`` and the shipped checkpoint embed items with."""
GROUPINGS = {
    "history length": ("light", "medium", "heavy"),
    "history popularity": ("niche", "middle", "mainstream"),
    "named films": ("no film named", "films named"),
}


@dataclass
class Population:
    """What the list metrics need about one set of users and the items they may be shown (0-based item indices)."""

    histories: list[list[int]]
    targets: list[list[int]]
    popularity: NDArray[np.float64]
    """Per item, what its popularity decile and a user's taste are measured by (interactions or likes)."""
    user_share: NDArray[np.float64]
    genres: sparse.csr_matrix
    vectors: NDArray[np.float32]
    groups: dict[str, NDArray[np.int64]]


def user_groups(histories: Sequence[Sequence[int]], popularity: NDArray[np.float64]) -> dict[str, NDArray[np.int64]]:
    """Tertiles of history length and of the history's mean item popularity; -1 for an empty history."""
    lengths = [len(history) for history in histories]
    means = [float(np.mean(popularity[list(history)])) if history else 0.0 for history in histories]
    groups = {"history length": tertiles(lengths), "history popularity": tertiles(means)}
    empty = np.array([not history for history in histories])
    for values in groups.values():
        values[empty] = -1
    return groups


def list_figures(lists: Sequence[Sequence[int]], people: Population, users: Sequence[int]) -> dict[str, Any]:
    """Accuracy and the list measures over ``users`` (positions into ``lists``)."""
    recall, ndcg = [], []
    for user in users:
        for target in people.targets[user]:
            hit = target in lists[user]
            recall.append(float(hit))
            ndcg.append(1.0 / np.log2(list(lists[user]).index(target) + 2.0) if hit else 0.0)
    chosen = [lists[user] for user in users]
    kls = [calibration_kl(people.histories[user], lists[user], people.genres) for user in users]
    kept = [kl for kl in kls if kl is not None]
    return {
        "users": len(users),
        "recall@10": statistics.fmean(recall) if recall else 0.0,
        "ndcg@10": statistics.fmean(ndcg) if ndcg else 0.0,
        "novelty@10": novelty(chosen, people.user_share),
        "ild_genre@10": statistics.fmean(genre_diversity(items, people.genres) for items in chosen if items),
        "ild_embedding@10": statistics.fmean(embedding_diversity(items, people.vectors) for items in chosen if items),
        "calibration_kl@10": statistics.fmean(kept) if kept else None,
    }


def figures(lists: Sequence[Sequence[int]], people: Population) -> dict[str, Any]:
    """Every measure of one set of lists, with the per-group figures."""
    n_items = len(people.popularity)
    row = list_figures(lists, people, range(len(lists)))
    row["coverage@10"] = coverage(lists, n_items)
    row["gini@10"] = gini(exposure_counts(lists, n_items))
    row["exposure_by_popularity_decile"] = decile_shares(lists, popularity_deciles(people.popularity))
    row["groups"] = {
        f"{grouping}: {name}": list_figures(lists, people, [u for u in range(len(lists)) if groups[u] == index])
        for grouping, groups in people.groups.items()
        for index, name in enumerate(GROUPINGS[grouping])
    }
    return row


def reranked_lists(
    scores: NDArray[np.float32],
    histories: Sequence[Sequence[int]],
    exposure: NDArray[np.float64],
    likes: NDArray[np.float64],
    diversity: float,
) -> list[list[int]]:
    """Each user's top 10 (1-based item columns) after re-ranking their ``DEPTH`` best-scored unseen items."""
    lists = []
    for row, history in enumerate(histories):
        values = np.array(scores[row], dtype=np.float64)
        values[0] = -np.inf
        values[list(history)] = -np.inf
        top = np.argpartition(-values, DEPTH)[:DEPTH]
        top = top[np.lexsort((top, -values[top]))]
        positions = rerank_positions(values[top], exposure[top], likes[top], diversity, K)
        lists.append([int(top[position]) for position in positions])
    return lists


def scaled(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """log(1 + count) scaled to [0, 1], as :func:`retrieval.reranking.scaled_exposure` scales it."""
    return np.log1p(counts.astype(np.float64)) / max(float(np.log1p(counts.max())), 1e-12)


def movielens_scorer(
    split: LeaveOneOutSplit, data: Path, catalogue_dir: Path, scorer_dir: Path, seed: int | None
) -> tuple[ProfileScorer, str]:
    """The shipped checkpoint when it was trained on this split, else (or with ``seed``) a newly trained one."""
    catalogue = load_catalogue(catalogue_dir)
    embedder = shared_embedder(EMBEDDING_MODEL)
    vectors = CATALOGUE_VECTORS.vectors(catalogue.items, catalogue.schema, embedder, None)
    if seed is None:
        model, vocabulary, blend, document = read_checkpoint(scorer_dir)
        if vocabulary == tuple(split.item_ids) and document.get("embedding_model") == EMBEDDING_MODEL:
            side = build_item_side(split.item_ids, catalogue.items, vectors, catalogue.schema, split.train, split.times)
            recorded = document.get("metrics", {}).get("test", {})
            return ProfileScorer(model, vocabulary, blend, side), f"checkpoint {scorer_dir} (recorded test {recorded})"
        print(f"{scorer_dir} was not trained on this split; training one (seed 0)", flush=True)
        seed = 0
    trained = train_scorer(
        read_events(data / "ratings.csv"),
        catalogue.items,
        catalogue.schema,
        lambda item_ids: {item_id: vectors[item_id] for item_id in item_ids if item_id in vectors},
        ScorerTrainingConfig(seed=seed),
    )
    return trained.scorer, f"trained here, seed {seed}"


def run_movielens(data: Path, catalogue_dir: Path, scorer_dir: Path, seed: int | None, knobs: Sequence[float]) -> dict:
    split = leave_one_out(read_events(data / "ratings.csv"))
    scorer, source = movielens_scorer(split, data, catalogue_dir, scorer_dir, seed)
    print(f"movielens: {len(split.users)} users, {split.n_items} items; scorer: {source}", flush=True)
    side = scorer.side
    counts = side.interaction_counts.astype(np.float64)
    settings: dict[str, tuple[NDArray[np.float32], list[list[int]], Sequence[int]]] = {
        "valid": (scorer.score_all(histories_for_validation(split)), [list(h) for h in split.train], split.valid),
        "test": (
            scorer.score_all(histories_for_test(split)),
            [list(split.test_history(user)) for user in range(len(split.users))],
            split.test,
        ),
    }
    users = len(split.users)
    result: dict[str, Any] = {"scorer": source, "users": users, "items": split.n_items, "valid": {}, "test": {}}
    for name, (scores, histories, targets) in settings.items():
        exposure = scaled(list_counts(scores, histories, K))
        people = Population(
            histories=[[item - 1 for item in history] for history in histories],
            targets=[[target - 1] for target in targets],
            popularity=counts[1:],
            user_share=counts[1:] / users,
            genres=side.attributes["genres"][1:],
            vectors=side.vectors[1:],
            groups=user_groups([[item - 1 for item in history] for history in histories], counts[1:]),
        )
        for knob in tqdm(knobs, desc=f"movielens {name}", unit="setting"):
            lists = reranked_lists(scores, histories, exposure, counts, knob)
            result[name][knob] = figures([[item - 1 for item in items] for items in lists], people)
    return result


def choose_default(valid: dict[float, dict[str, Any]]) -> float:
    """The lowest validation Gini@10 among the values whose validation NDCG@10 keeps ``ACCURACY_FLOOR`` of 0's."""
    floor = ACCURACY_FLOOR * valid[0.0]["ndcg@10"]
    allowed = [knob for knob, row in valid.items() if row["ndcg@10"] >= floor]
    return min(allowed, key=lambda knob: (valid[knob]["gini@10"], knob))


def first_turns(path: Path, limit: int | None) -> list[Any]:
    """The first recommendation turn of each dialogue, in file order."""
    from assistant.learning.turns import read_turns

    seen: set[str] = set()
    turns = []
    for turn in read_turns(path):
        if turn.dialog_id not in seen:
            seen.add(turn.dialog_id)
            turns.append(turn)
    return turns[:limit]


def run_redial(turns_path: Path, data_dir: Path, knobs: Sequence[float], limit: int | None) -> dict[str, Any]:
    """Every knob on the demo assistant's scored pools of ReDial first messages."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.api import Assistant
    from assistant.learning.replay import TurnReplayer
    from retrieval.ranking import ScorerRanker

    settings = Settings(data_dir=data_dir, justifications="template", extraction="rules", llm_model="smollm2-135m")
    assistant = Assistant.from_settings(
        settings, chat_model=FakeListChatModel(responses=["Here you go."]), progress=True
    )
    try:
        pipeline = assistant.pipeline
        replayer = TurnReplayer(pipeline, depth=K)
        items = list(assistant.catalogue.items)
        column = {item_id: index for index, item_id in enumerate(items)}
        ranker = pipeline.rank.ranker
        if not isinstance(ranker, ScorerRanker):
            raise SystemExit("the demo catalogue ranks with its scorer checkpoint; none was found")
        if pipeline.rank.exposure is None:
            raise SystemExit("the rank stage has no exposure to re-rank by")
        exposure, likes = pipeline.rank.exposure(), pipeline.rank.likes
        turns = first_turns(turns_path, limit)
        scored_turns = []
        seconds = []
        for turn in tqdm(turns, desc="redial first messages", unit="turn"):
            started = time.perf_counter()
            request, mentioned = replayer.prepared(turn)
            allowed = replayer.allowed(turn)
            scored = [e for e in ranker.rank(allowed, request, len(allowed)) if e.candidate.item_id not in mentioned]
            seconds.append(time.perf_counter() - started)
            targets = [column[t] for t in replayer.targets(turn) if t in column and t not in mentioned]
            history = [column[item_id] for item_id in request.liked_ids if item_id in column]
            scored_turns.append((scored, targets, history, request.hidden_gems))
        like_counts = np.array([likes.get(item_id, 0) for item_id in items], dtype=np.float64)
        rated = np.zeros(len(items))
        raters: dict[str, set[str]] = {}
        for interaction in assistant.catalogue.interactions:
            raters.setdefault(interaction.item_id, set()).add(interaction.user_id)
        n_users = len({interaction.user_id for interaction in assistant.catalogue.interactions}) or 1
        for item_id, who in raters.items():
            rated[column[item_id]] = len(who) / n_users
        side = ranker.scorer.side
        side_rows = [side.index_of()[item_id] for item_id in items]
        histories = [history for _, _, history, _ in scored_turns]
        named = np.array([0 if not history else 1 for history in histories])
        people = Population(
            histories=histories,
            targets=[targets for _, targets, _, _ in scored_turns],
            popularity=like_counts,
            user_share=rated,
            genres=side.attributes["genres"][side_rows],
            vectors=side.vectors[side_rows],
            groups={"named films": named},
        )
        rows: dict[float, Any] = {}
        for knob in tqdm(knobs, desc="redial settings", unit="setting"):
            lists = []
            for scored, _, _, hidden_gems in scored_turns:
                raised = knob + (HIDDEN_GEMS_BOOST if hidden_gems else 0.0)
                picks = rerank(scored, exposure, likes, raised, K)
                lists.append([column[entry.candidate.item_id] for entry in picks])
            rows[knob] = figures(lists, people)
        return {
            "turns": len(turns),
            "pairs": sum(len(targets) for _, targets, _, _ in scored_turns),
            "retrieve_and_score_p50_ms": 1000 * statistics.median(seconds) if seconds else 0.0,
            "rows": rows,
        }
    finally:
        assistant.close()


def row_for(dataset: str, knob: float, default: float, figures_: dict[str, Any]) -> dict[str, Any]:
    setting = "default" if knob == default else ("off" if knob == 0 else "tried")
    return {"dataset": dataset, "setting": setting, "diversity": knob, **rounded(figures_)}


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    columns = ("recall@10", "ndcg@10", "coverage@10", "gini@10", "novelty@10", "ild_genre@10", "calibration_kl@10")
    print(f"{'dataset':<10}{'setting':<9}{'diversity':>10}" + "".join(f"{c:>18}" for c in columns))
    for row in rows:
        cells = "".join(f"{row[c]:>18.4f}" if row[c] is not None else f"{'-':>18}" for c in columns)
        print(f"{row['dataset']:<10}{row['setting']:<9}{row['diversity']:>10g}{cells}")


def targets_met(valid: dict[float, Any], test: dict[float, Any], default: float) -> dict[str, Any]:
    """The issue's three targets for the default, on the test items (and on the validation items it was chosen on)."""
    met: dict[str, Any] = {}
    for name, rows in (("test", test), ("valid", valid)):
        base, chosen = rows[0.0], rows[default]
        gini_cut = 1 - chosen["gini@10"] / base["gini@10"]
        coverage_gain = chosen["coverage@10"] / base["coverage@10"] - 1
        ndcg_share = chosen["ndcg@10"] / base["ndcg@10"]
        met[name] = {
            "gini_cut": round(gini_cut, 4),
            "coverage_gain": round(coverage_gain, 4),
            "ndcg_share": round(ndcg_share, 4),
            "met": gini_cut >= TARGETS["gini_cut"]
            and coverage_gain >= TARGETS["coverage_gain"]
            and ndcg_share >= TARGETS["ndcg_share"],
        }
    return met


def plot(document: dict[str, Any], path: Path) -> None:
    """Accuracy against exposure Gini and against coverage, one point per knob value, per data set."""
    plt = pyplot()
    figure, panels = plt.subplots(1, 3, figsize=(15, 4.3))
    views: list[tuple[Any, str, str, str, str]] = [
        (panels[0], "movielens", "gini@10", "ndcg@10", "MovieLens test: NDCG@10 against exposure Gini@10"),
        (panels[1], "movielens", "coverage@10", "ndcg@10", "MovieLens test: NDCG@10 against coverage@10"),
        (panels[2], "redial", "coverage@10", "recall@10", "ReDial first messages: Recall@10 against coverage@10"),
    ]
    for axes, dataset, x, y, title in views:
        rows = [row for row in document["rows"] if row["dataset"] == dataset]
        if not rows:
            axes.set_visible(False)
            continue
        axes.plot([row[x] for row in rows], [row[y] for row in rows], marker="o", color="#1971c2")
        for row in rows:
            colour = "#e8590c" if row["setting"] == "default" else "#495057"
            label = f"{row['diversity']:g}" + (" (default)" if row["setting"] == "default" else "")
            axes.annotate(label, (row[x], row[y]), textcoords="offset points", xytext=(4, 4), fontsize=7, color=colour)
            if row["setting"] == "default":
                axes.scatter([row[x]], [row[y]], s=80, color=colour, zorder=3)
        if dataset == "movielens" and y == "ndcg@10":
            base = next(row for row in rows if row["diversity"] == 0)[y]
            axes.axhline(ACCURACY_FLOOR * base, color="grey", linestyle="--", linewidth=1, label="98% of NDCG@10 at 0")
            axes.legend(fontsize=7)
        axes.set_xlabel(x)
        axes.set_ylabel(y)
        axes.set_title(title, fontsize=9)
        axes.grid(alpha=0.3)
    figure.suptitle("Exposure-aware re-ranking: one point per CONCIERGE_DIVERSITY value")
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--plot", type=Path, help="PNG of the trade-off curve (default: beside the JSON)")
    parser.add_argument("--datasets", type=Path, help="the research data sets folder (default: the settings')")
    parser.add_argument("--catalogue", type=Path, default=Path("data/demo"), help="items' text and facts")
    parser.add_argument("--scorer", type=Path, help="scorer checkpoint (default: the catalogue's scorer/)")
    parser.add_argument("--train", type=int, metavar="SEED", help="train the scorer here instead of loading it")
    parser.add_argument("--knobs", type=float, nargs="+", default=list(KNOBS))
    parser.add_argument("--redial-turns", type=int, default=300, help="first messages to replay (0: skip ReDial)")
    parser.add_argument("--work-dir", type=Path, help="data directory of the demo assistant (default: under data_dir)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    torch.set_num_threads(2)
    settings = Settings()
    datasets = args.datasets or settings.datasets_dir
    if datasets is None:
        parser.error("--datasets or CONCIERGE_DATASETS_DIR must name the research data sets folder")
    knobs = sorted({0.0, settings.diversity, *args.knobs})
    redial: dict[str, Any] = {}
    if args.redial_turns:  # first: its assistant leaves the catalogue's item vectors in the process cache
        work = args.work_dir or settings.data_dir / "fairness"
        turns = Path(datasets) / "redial" / "valid_turns.jsonl"
        redial = run_redial(turns, work, knobs, args.redial_turns)
    movielens = run_movielens(
        Path(datasets) / "movielens-latest-small",
        args.catalogue,
        args.scorer or args.catalogue / "scorer",
        args.train,
        knobs,
    )
    chosen = choose_default(movielens["valid"])
    default = settings.diversity
    rows = [row_for("movielens", knob, default, movielens["test"][knob]) for knob in knobs]
    for row in rows:
        row["valid"] = rounded(
            {
                key: movielens["valid"][row["diversity"]][key]
                for key in ("recall@10", "ndcg@10", "coverage@10", "gini@10")
            }
        )
    if redial:
        redial_rows = redial.pop("rows")
        rows += [row_for("redial", knob, default, redial_rows[knob]) for knob in knobs]
    document = {
        "protocol": {
            "movielens": "LlamaRec leave-one-out, 5-core, all items ranked, history excluded; top 10",
            "redial": "first recommendation turn of each ReDial validation dialogue on the demo catalogue; "
            "mentioned films removed; top 10",
            "default_rule": f"lowest validation Gini@10 with validation NDCG@10 >= {ACCURACY_FLOOR} x its value at 0",
            "depth": DEPTH,
        },
        "scorer": movielens["scorer"],
        "users": movielens["users"],
        "items": movielens["items"],
        "shipped_default": default,
        "chosen_on_validation": chosen,
        "targets": TARGETS,
        "targets_met": targets_met(movielens["valid"], movielens["test"], default),
        "redial": redial,
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print_table(rows)
    print(f"validation picks diversity {chosen}; shipped default {default}; targets: {document['targets_met']}")
    if chosen != default:
        print("WARNING: the shipped default is not the value the validation rule picks")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    plot_path = args.plot or args.json.with_suffix(".png")
    plot(document, plot_path)
    print(f"wrote {args.json} and {plot_path} in {document['seconds']} s")


if __name__ == "__main__":
    main()
