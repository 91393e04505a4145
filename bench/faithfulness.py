"""Faithfulness of everything the assistant writes, on real seeker messages.

Run as ``python -m bench.faithfulness --dialogues DIR/redial/valid_dialogues.jsonl --json OUT``.

Justifications: each request is the first seeker message of a ReDial
validation dialogue that names a movie or a genre, with ReDial's ``@id``
mentions written out as the titles the seeker meant.  Every recommendation's
final justification is re-checked by the faithfulness checker, and the share
written by the LLM and accepted on its first try is counted.

Reply texts: the seeker messages of ReDial validation dialogues, first
messages and later turns alike, are replayed in order, one session per
dialogue, until ``--messages`` have been answered.  Every introduction, small
talk and thanks is re-checked by the grounding rule against the turn's
message, profile and suggestions; every answer to "why?" or to a question
about a film must be exactly what the stored evidence or the catalogue gives.
Twenty justifications and twenty reply texts are printed for a person to check.
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
from itertools import islice
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from tqdm.auto import tqdm

from assistant.explain.about import which_film_text
from assistant.explain.reply_text import sentences
from assistant.settings import Settings
from assistant.types import Recommendation, TextPart

UNHURRIED_S = 3600.0
"""A turn deadline no reply reaches: these benchmarks measure what the model writes, not how long it may take."""

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


def seeker_messages(path: Path) -> Iterator[tuple[str, str]]:
    """(dialogue id, message) for every seeker message of every dialogue, in order, mentions written out."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            dialogue = json.loads(line)
            names = {key: " ".join(str(value).split()) for key, value in (dialogue.get("movieMentions") or {}).items()}
            seeker = dialogue["initiatorWorkerId"]
            for message in dialogue["messages"]:
                if message["senderWorkerId"] == seeker:
                    text = re.sub(r"@(\d+)", partial(_movie_name, names), message["text"]).strip()
                    if text:
                        yield str(dialogue["conversationId"]), text


def check_reply_texts(
    settings: Settings, dialogues: Path, minimum: int, chat_model: BaseChatModel | None = None
) -> tuple[dict[str, Any], list[tuple[str, TextPart]]]:
    """Replay seeker messages and re-check every reply text that is not a list line or a note.

    Every text that fails is kept with its message and what was wrong, so a
    failure can be found again without replaying the run.  ``chat_model``
    replaces the one the settings name (bench.engines compares engines so).
    """
    from assistant.api import Assistant

    assistant = Assistant.from_settings(settings.model_copy(update={"justifications": "template"}), chat_model)
    pipeline = assistant.pipeline
    checked: list[tuple[str, TextPart, bool]] = []
    failures: list[dict[str, Any]] = []
    replies = 0
    run_id = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    for dialogue_id, message in tqdm(islice(seeker_messages(dialogues), minimum), total=minimum, desc="replies"):
        session = f"faithfulness-{run_id}-{dialogue_id}"
        trace = assistant.turn(session, message)
        replies += 1
        assert trace.understanding is not None and trace.profile is not None
        context = pipeline.reply.context(message, trace.profile, trace.recommendations)
        act = trace.understanding.act
        for part in trace.texts:
            if part.role in ("list_line", "note"):
                continue
            problems: list[str] = []
            if part.role == "why":
                stored = pipeline.remember.stored(session, act.item_id or "")
                expected = (
                    pipeline.explain.why("", act.item_id or "", stored).text if act.item_id else which_film_text()
                )
                problems = [] if part.text == expected else [f"not the stored evidence: {expected!r}"]
            elif part.role == "about":
                expected = pipeline.explain.about(act.item_id, act.topic or "plot")
                problems = [] if part.text == expected else [f"not the catalogue's facts: {expected!r}"]
            else:
                for sentence in sentences(part.text):
                    problems += list(pipeline.reply.writer.checker.check(sentence, context).problems)
            checked.append((f"{dialogue_id}: {message}", part, not problems))
            if problems:
                failures.append(
                    {"message": message, "dialogue": dialogue_id, "part": part.model_dump(), "problems": problems}
                )
    assistant.close()
    n = len(checked)
    metrics = {
        "n": n,
        "messages": replies,
        "faithful": sum(ok for _, _, ok in checked) / n,
        "llm_first_try": sum(ok and part.source == "llm" and part.llm_attempts == 1 for _, part, ok in checked) / n,
        "llm": sum(ok and part.source == "llm" for _, part, ok in checked) / n,
        "template": sum(part.source == "template" for _, part, _ in checked) / n,
        "seconds_per_reply": (time.perf_counter() - started) / max(replies, 1),
        "unfaithful": failures,
    }
    return metrics, [(message, part) for message, part, _ in checked]


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
    parser.add_argument(
        "--minimum", type=int, default=300, help="stop after at least this many justifications (0: skip them)"
    )
    parser.add_argument("--messages", type=int, default=300, help="seeker messages whose reply texts are checked")
    parser.add_argument("--llm-model", help="a packaged chat model other than the settings' (e.g. smollm2-135m)")
    parser.add_argument("--seed", type=int, default=0, help="which hand-check sample to print")
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {"justifications": "llm", "turn_deadline_s": UNHURRIED_S}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.llm_model:
        overrides["llm_model"] = args.llm_model
    settings = Settings(**overrides)
    result: dict[str, Any] = {}
    if args.minimum > 0:
        metrics, recommendations = run(settings, args.dialogues, args.minimum)
        result["metrics"] = metrics
        print(f"{'measure':<26}{'value':>10}")
        for key, value in metrics.items():
            print(f"{key:<26}{value:>10.3f}")
        print(f"\n{SAMPLE} justifications to check by hand:")
        for request, recommendation in random.Random(args.seed).sample(
            recommendations, min(SAMPLE, len(recommendations))
        ):
            print(
                f"- [{recommendation.justification_source}] {recommendation.item.title}: {recommendation.justification}"
            )
            print(f"    request: {request}")
    texts, parts = check_reply_texts(settings, args.dialogues, args.messages)
    print(f"\nreply texts ({texts['messages']:.0f} messages, {texts['n']:.0f} texts):")
    for key, value in texts.items():
        if key != "unfaithful":
            print(f"{key:<26}{value:>10.3f}")
    for failure in texts["unfaithful"]:
        print(f"unfaithful [{failure['part']['role']}] {failure['part']['text'].strip()!r}: {failure['problems']}")
    print(f"\n{SAMPLE} reply texts to check by hand:")
    for message, part in random.Random(args.seed).sample(parts, min(SAMPLE, len(parts))):
        print(f"- [{part.source}, {part.role}] {part.text.strip()}\n    after: {message}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    result["reply_texts"] = texts
    args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
