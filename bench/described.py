"""Described requests: does a list asked for by mood, theme or occasion hold films a person would accept?

Run as ``python -m bench.described --json OUT [--plot PNG] [--data-dir DIR]``.

Each case of ``tests/cases/described_requests.jsonl`` ("a feel-good movie for
tonight", "something similar but a bit lighter" after liking The Godfather)
goes through the real assistant on the demo catalogue (rules for
understanding, template justifications, a scripted chat model for the words
around the list, which do not change it), each in a new session.  Scored on
the top five: the share of lists with at least three acceptable films, the
mean number acceptable, and the films listed that a case rules out (the grim
films of "a feel-good movie").  Every case runs twice in the same process,
with the mood feature weighted as shipped and with its weight set to 0.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from tqdm.auto import tqdm

from assistant.api import Assistant
from assistant.settings import REPO_ROOT, Settings
from bench.plotting import pyplot, save
from retrieval.ranking import Ranker, ScorerRanker, WeightedSumRanker

CASES = REPO_ROOT / "tests" / "cases" / "described_requests.jsonl"
TOP = 5
ENOUGH = 3
"""A list is good when at least this many of its top five are acceptable."""
MOOD = "mood"


def read_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def weights_with_mood(ranker: Ranker) -> dict[str, float]:
    """The ranker's own (mutable) weights that hold the mood feature's."""
    if isinstance(ranker, ScorerRanker):
        return ranker.request_weights
    if isinstance(ranker, WeightedSumRanker):
        return ranker.weights
    raise TypeError(f"no mood weight on {type(ranker).__name__}")


@contextmanager
def mood_weight(ranker: Ranker, weight: float) -> Iterator[None]:
    """The ranker with the mood feature weighted ``weight`` for the duration (0: the ablation)."""
    weights = weights_with_mood(ranker)
    shipped = weights[MOOD]
    weights[MOOD] = weight
    try:
        yield
    finally:
        weights[MOOD] = shipped


def run_case(assistant: Assistant, case: dict[str, Any]) -> dict[str, Any]:
    """The case's context and request in a fresh session, and how its top five score."""
    session = f"described-{uuid.uuid4().hex}"
    for message in case.get("context", []):
        assistant.chat(session, message)
    reply = assistant.chat(session, case["text"])
    listed = [recommendation.item.id for recommendation in reply.recommendations[:TOP]]
    acceptable = {entry["id"] for entry in case["acceptable"]}
    ruled_out = {entry["id"] for entry in case.get("must_not", [])}
    return {
        "text": case["text"],
        "kind": case.get("kind", ""),
        "listed": [assistant.catalogue.items[item_id].display_title for item_id in listed],
        "acceptable": sum(item_id in acceptable for item_id in listed),
        "ruled_out": [assistant.catalogue.items[item_id].display_title for item_id in listed if item_id in ruled_out],
        "understood": reply.understood,
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    return {
        "n": n,
        "lists_with_enough": sum(row["acceptable"] >= ENOUGH for row in rows) / n if n else 0.0,
        "mean_acceptable": sum(row["acceptable"] for row in rows) / n if n else 0.0,
        "ruled_out_listed": sum(len(row["ruled_out"]) for row in rows),
        "cases": rows,
    }


def evaluate(assistant: Assistant, cases: list[dict[str, Any]]) -> dict[str, Any]:
    ranker = assistant.pipeline.rank.ranker
    shipped = weights_with_mood(ranker)[MOOD]
    result: dict[str, Any] = {
        "ranker": type(ranker).__name__,
        "embedding": assistant.settings.embedding_spec,
        "mood_weight": shipped,
        "top": TOP,
        "enough": ENOUGH,
    }
    for label, weight in (("with_mood", shipped), ("without_mood", 0.0)):
        with mood_weight(ranker, weight):
            rows = [run_case(assistant, case) for case in tqdm(cases, desc=label, unit="case")]
        result[label] = summarise(rows)
    return result


def print_table(result: dict[str, Any]) -> None:
    print(f"ranker: {result['ranker']}, mood weight {result['mood_weight']}, top {result['top']}")
    print(f"{'':<14}{'n':>5}{f'lists >= {ENOUGH} ok':>16}{'mean ok':>10}{'ruled-out listed':>18}")
    for label in ("with_mood", "without_mood"):
        figures = result[label]
        print(
            f"{label:<14}{figures['n']:>5}{figures['lists_with_enough']:>16.3f}{figures['mean_acceptable']:>10.2f}"
            f"{figures['ruled_out_listed']:>18}"
        )
    print("\nper case (acceptable in the top five, with / without the mood feature):")
    for with_row, without_row in zip(result["with_mood"]["cases"], result["without_mood"]["cases"], strict=True):
        ruled_out = f"  ruled out listed: {with_row['ruled_out']} / {without_row['ruled_out']}"
        marks = ruled_out if with_row["ruled_out"] or without_row["ruled_out"] else ""
        print(f"  {with_row['acceptable']} / {without_row['acceptable']}  {with_row['text'][:60]!r}{marks}")


def plot(result: dict[str, Any], path: Path) -> None:
    plt = pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(8, 3.5))
    labels = ["with mood", "without mood"]
    for axis, key, title in (
        (axes[0], "lists_with_enough", f"share of lists with >= {ENOUGH} acceptable"),
        (axes[1], "mean_acceptable", f"mean acceptable in the top {TOP}"),
    ):
        axis.bar(labels, [result["with_mood"][key], result["without_mood"][key]], color=["tab:blue", "tab:gray"])
        axis.set_title(title, fontsize=10)
    figure.suptitle(f"Described requests ({result['with_mood']['n']} cases, demo catalogue)")
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--plot", type=Path)
    parser.add_argument(
        "--data-dir", type=Path, help="an ingested data directory to reuse (default: a new temporary one)"
    )
    parser.add_argument(
        "--retriever", type=Path, help="a `concierge train-retriever` checkpoint to embed with (default: the settings')"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="described-") as scratch:
        settings = Settings(
            data_dir=args.data_dir or Path(scratch),
            retriever_dir=args.retriever,
            justifications="template",
            extraction="rules",
            llm_model="smollm2-135m",
        )
        assistant = Assistant.from_settings(settings, chat_model=FakeListChatModel(responses=["Here you go."]))
        try:
            result = evaluate(assistant, read_cases(args.cases))
        finally:
            assistant.close()
    print_table(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.plot:
        plot(result, args.plot)


if __name__ == "__main__":
    main()
