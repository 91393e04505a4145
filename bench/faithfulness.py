"""Faithfulness of justifications on real-phrased requests.

Run as ``python -m bench.faithfulness --dialogues DIR/redial/valid_dialogues.jsonl --json OUT``.

Each request is the first seeker message of a ReDial validation dialogue that
names a movie or a genre, with ReDial's ``@id`` mentions written out as the
titles the seeker meant.  Every recommendation's final justification is
re-checked by the faithfulness checker, and the share written by the LLM and
accepted on its first try is counted.  Twenty justifications are printed for a
person to check by hand.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from assistant.settings import Settings
from assistant.types import Recommendation

SAMPLE = 20


def _movie_name(names: dict[str, str], match: re.Match[str]) -> str:
    """ReDial's ``@123`` movie reference as the movie's name, when the dialogue names it."""
    return names.get(match.group(1), match.group(0))


def requests_from_dialogues(path: Path) -> Iterator[str]:
    """First seeker message per dialogue that mentions a movie or a genre, mentions written out."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            dialogue = json.loads(line)
            names = {key: " ".join(value.split()) for key, value in dialogue["movieMentions"].items()}
            seeker = dialogue["initiatorWorkerId"]
            for message in dialogue["messages"]:
                if message["senderWorkerId"] != seeker or not (message["item"] or message["entity"]):
                    continue
                text = re.sub(r"@(\d+)", partial(_movie_name, names), message["text"])
                if "@" not in text and len(text) > 12:
                    yield text
                    break


def run(settings: Settings, dialogues: Path, minimum: int) -> tuple[dict[str, float], list[tuple[str, Recommendation]]]:
    from assistant.api import Assistant

    assistant = Assistant.from_settings(settings)
    checked: list[tuple[str, Recommendation, bool]] = []
    started = time.perf_counter()
    bar = tqdm(total=minimum, desc="recommendations", unit="rec")
    for request in requests_from_dialogues(dialogues):
        reply = assistant.chat(f"faithfulness-{uuid.uuid4().hex}", request)
        for recommendation in reply.recommendations:
            verdict = assistant.pipeline.explain.check(recommendation)
            checked.append((request, recommendation, verdict.faithful))
        bar.update(len(reply.recommendations))
        if len(checked) >= minimum:
            break
    bar.close()
    assistant.close()
    n = len(checked)
    metrics = {
        "n": n,
        "faithful": sum(ok for _, _, ok in checked) / n,
        "llm_faithful_first_try": sum(
            ok and rec.justification_source == "llm" and rec.llm_attempts == 1 for _, rec, ok in checked
        )
        / n,
        "llm_faithful": sum(ok and rec.justification_source == "llm" for _, rec, ok in checked) / n,
        "template": sum(rec.justification_source == "template" for _, rec, _ in checked) / n,
        "seconds": time.perf_counter() - started,
    }
    return metrics, [(request, rec) for request, rec, _ in checked]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=Path, required=True, help="ReDial valid_dialogues.jsonl")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, help="data directory with built indexes (default: the settings')")
    parser.add_argument("--minimum", type=int, default=300, help="stop after at least this many recommendations")
    parser.add_argument("--seed", type=int, default=0, help="which hand-check sample to print")
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {"justifications": "llm"}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    settings = Settings(**overrides)
    metrics, recommendations = run(settings, args.dialogues, args.minimum)
    print(f"{'measure':<26}{'value':>10}")
    for key, value in metrics.items():
        print(f"{key:<26}{value:>10.3f}")
    print(f"\n{SAMPLE} justifications to check by hand:")
    for request, recommendation in random.Random(args.seed).sample(recommendations, min(SAMPLE, len(recommendations))):
        print(f"- [{recommendation.justification_source}] {recommendation.item.title}: {recommendation.justification}")
        print(f"    request: {request}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"metrics": metrics}, indent=2))


if __name__ == "__main__":
    main()
