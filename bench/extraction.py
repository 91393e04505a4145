"""Preference extraction against IARD's gold dialogue acts.

Run as ``python -m bench.extraction --iard DIR/iard/formatted_IARD_annotated_gold.json --json OUT [--plot PNG]
[--llm [--dialogues N]]``.

Every user utterance of the 77 annotated ReDial dialogues goes through the
assistant's turn interpreter, with the agent's latest recommendations as the
items that "that one" or "I'll check it out" can point at.  Gold polarity comes
from the act: ACC (accepts a suggestion) and CRI-A (asks for an attribute) are
likes, REJ and CRI-F (criticises a feature) are dislikes, SEE marks seen
items, and the genres or titles a user asks for (IQU) or names when asked
(ANS) are likes.  PRO ("provides a preference") carries no polarity in IARD; it is
counted as a like, so a PRO that the user words negatively ("I do not really
like the Halloween movies") counts against us when we read it as a dislike.
An ACC or REJ without a title refers to the agent's last suggestion.  Titles
are compared by normalised name, attributes by the linker's canonical value.
A KEYWORDS value that is wholly a catalogue tag ("zombies", "time travel") is
a mood or theme attribute like a genre; other KEYWORDS and the free-text
PLOT and RATING slots have no catalogue field and are counted apart.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from tqdm.auto import tqdm

from assistant.settings import Settings
from assistant.understanding.extraction import PreferenceExtractor, combine
from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker, normalise
from bench.plotting import pyplot, save
from kg.catalogue import load_catalogue
from retrieval.collaborative import CoLikeIndex

CATEGORIES = ("liked items", "disliked items", "seen items", "liked attributes", "disliked attributes")
POLARITY_OF_ACT = {
    "ACC": "liked",
    "PRO": "liked",
    "CRI-A": "liked",
    "IQU": "liked",
    "ANS": "liked",
    "REJ": "disliked",
    "CRI-F": "disliked",
    "SEE": "seen",
}
ATTRIBUTE_SLOTS = {"GENRE", "ACTOR", "DIRECTOR"}
FREE_TEXT_SLOTS = {"KEYWORDS", "PLOT", "RATING", "OTHER", "YEAR"}
KEYWORDS_SLOT = "KEYWORDS"
SAME_TITLE = 88


@dataclass
class Tally:
    """Counts for one category; titles and values are compared per utterance."""

    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def scores(self) -> dict[str, float]:
        predicted = self.true_positive + self.false_positive
        gold = self.true_positive + self.false_negative
        precision = self.true_positive / predicted if predicted else 0.0
        recall = self.true_positive / gold if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "gold": gold, "predicted": predicted}


def title_key(title: str) -> str:
    """'The Number 23 (2007)' and 'the number 23' compare equal."""
    key = normalise(title.rsplit(" (", 1)[0] if title.rstrip().endswith(")") else title)
    return key[4:] if key.startswith("the ") else key


def same_titles(predicted: set[str], gold: set[str]) -> tuple[int, set[str], set[str]]:
    """Matched count, unmatched predictions, unmatched gold (fuzzy, one to one)."""
    unmatched_gold = set(gold)
    unmatched_predicted: set[str] = set()
    matched = 0
    for title in predicted:
        best = max(unmatched_gold, key=lambda other: fuzz.ratio(title, other), default=None)
        if best is not None and fuzz.ratio(title, best) >= SAME_TITLE:
            unmatched_gold.discard(best)
            matched += 1
        else:
            unmatched_predicted.add(title)
    return matched, unmatched_predicted, unmatched_gold


def user_turns(dialogues: Sequence[dict[str, Any]]) -> Iterator[tuple[str, str, list[dict[str, Any]], list[str]]]:
    """(dialogue id, utterance, acts, agent's latest recommended titles) per user utterance."""
    for dialogue in dialogues:
        latest: list[str] = []
        for utterance in dialogue["conversation"]:
            acts = utterance["dialogue_acts"]
            if utterance["participant"] == "AGENT":
                recommended = [
                    slot[1]
                    for act in acts
                    if act["intent"].startswith("REC")
                    for slot in act["slot_values"]
                    if slot[0] == "TITLE"
                ]
                latest = recommended or latest
                continue
            yield dialogue["conversation_id"], utterance["utterance"], acts, list(latest)


class GoldReader:
    """Gold likes, dislikes and seen marks of one utterance, with attribute values made canonical by the linker."""

    def __init__(self, linker: EntityLinker) -> None:
        self.linker = linker

    def attribute(self, slot: str, value: str) -> str:
        mentions, _ = self.linker.link(value)
        grounded = [m.value for m in mentions if m.value is not None and (slot != "GENRE" or m.field == "genres")]
        return normalise(grounded[0]) if grounded else normalise(value)

    def theme(self, value: str) -> str | None:
        """A KEYWORDS value that is a catalogue tag as a whole ("zombies", "time travel"), canonical; else None."""
        mentions, _ = self.linker.link(value)
        tags = [m.value for m in mentions if m.field == "tags" and m.value and normalise(m.surface) == normalise(value)]
        return normalise(tags[0]) if tags else None

    def read(self, acts: Iterable[dict[str, Any]], latest: list[str]) -> tuple[dict[str, set[str]], Counter[str]]:
        gold: dict[str, set[str]] = defaultdict(set)
        free_text: Counter[str] = Counter()
        for act in acts:
            polarity = POLARITY_OF_ACT.get(act["intent"])
            if polarity is None:
                continue
            slots = act["slot_values"]
            titles = [value for slot, value, *_ in slots if slot == "TITLE"]
            if not titles and not slots and act["intent"] in ("ACC", "REJ"):
                titles = latest[:1]
            gold[f"{polarity} items"].update(title_key(title) for title in titles)
            for slot, value, *_ in slots:
                theme = self.theme(value) if slot == KEYWORDS_SLOT and polarity != "seen" else None
                if slot in ATTRIBUTE_SLOTS and polarity != "seen":
                    gold[f"{polarity} attributes"].add(self.attribute(slot, value))
                elif theme is not None:
                    gold[f"{polarity} attributes"].add(theme)
                elif slot in FREE_TEXT_SLOTS:
                    free_text[slot] += 1
        return gold, free_text


def predicted_sets(
    interpreter: TurnInterpreter, utterance: str, latest_ids: list[str], extractor: PreferenceExtractor | None
) -> dict[str, set[str]]:
    delta = interpreter.interpret(utterance, latest_ids).delta
    if extractor is not None:
        delta = combine(delta, extractor.propose(utterance))
    items = interpreter.linker.catalogue.items

    def titles(item_ids: Iterable[str]) -> set[str]:
        return {title_key(items[item_id].display_title) for item_id in item_ids}

    return {
        "liked items": titles(delta.liked_items),
        "disliked items": titles(delta.disliked_items),
        "seen items": titles(delta.seen_items),
        "liked attributes": {normalise(value) for _, value in (*delta.liked_attributes, *delta.include)},
        "disliked attributes": {normalise(value) for _, value in (*delta.disliked_attributes, *delta.exclude)},
    }


def evaluate(
    dialogues: Sequence[dict[str, Any]], interpreter: TurnInterpreter, extractor: PreferenceExtractor | None = None
) -> tuple[dict[str, Tally], Counter[str], int]:
    """Tallies per category over every user utterance; ``extractor`` adds the LLM's proposals under the rules."""
    gold_reader = GoldReader(interpreter.linker)
    tallies = {category: Tally() for category in CATEGORIES}
    free_text: Counter[str] = Counter()
    turns = list(user_turns(dialogues))
    for dialogue_id, utterance, acts, latest in tqdm(turns, desc="utterances", unit="utt"):
        latest_ids = [m.item_id for title in latest for m in interpreter.linker.link(title)[0][:1] if m.item_id]
        gold, unscored = gold_reader.read(acts, latest)
        free_text += unscored
        predicted = predicted_sets(interpreter, utterance, latest_ids, extractor)
        for category in CATEGORIES:
            matched, extra, missed = same_titles(predicted[category], gold.get(category, set()))
            tally = tallies[category]
            tally.true_positive += matched
            tally.false_positive += len(extra)
            tally.false_negative += len(missed)
            if extra or missed:
                tally.misses.append(
                    {"dialogue": dialogue_id, "utterance": utterance, "extra": sorted(extra), "missed": sorted(missed)}
                )
    return tallies, free_text, len(turns)


def micro_average(tallies: dict[str, Tally]) -> dict[str, float]:
    total = Tally(
        true_positive=sum(t.true_positive for t in tallies.values()),
        false_positive=sum(t.false_positive for t in tallies.values()),
        false_negative=sum(t.false_negative for t in tallies.values()),
    )
    return total.scores()


def plot(metrics: dict[str, dict[str, float]], path: Path) -> None:
    plt = pyplot()

    names = list(metrics)
    figure, axes = plt.subplots(figsize=(9, 3.8))
    width = 0.27
    for offset, measure in enumerate(("precision", "recall", "f1")):
        axes.bar(
            [i + (offset - 1) * width for i in range(len(names))],
            [metrics[n][measure] for n in names],
            width,
            label=measure,
        )
    axes.set_xticks(range(len(names)), names, rotation=15)
    axes.set_ylim(0, 1)
    axes.set_title("Preference extraction on IARD (user utterances of 77 ReDial dialogues)")
    axes.legend()
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iard", type=Path, required=True, help="formatted_IARD_annotated_gold.json")
    parser.add_argument("--json", type=Path, help="where to write the metrics and the misses")
    parser.add_argument("--plot", type=Path, help="bar chart of precision, recall and F1 per category")
    parser.add_argument("--catalogue", type=Path, help="catalogue directory (default: the settings')")
    parser.add_argument("--llm", action="store_true", help="add the chat model's proposals (the settings' model)")
    parser.add_argument(
        "--dialogues", type=int, help="only the first N dialogues (the LLM takes seconds per utterance)"
    )
    args = parser.parse_args(argv)
    settings = Settings(**({"catalogue": args.catalogue} if args.catalogue else {}))
    catalogue = load_catalogue(settings.catalogue)
    colike = CoLikeIndex(catalogue.interactions, list(catalogue.items), settings.min_liked_rating)
    interpreter = TurnInterpreter(EntityLinker(catalogue, lambda item_id: float(colike.like_count(item_id))))
    dialogues = json.loads(args.iard.read_text(encoding="utf-8"))[: args.dialogues]
    extractor = None
    if args.llm:
        from assistant.llm import chat_model_from_settings

        extractor = PreferenceExtractor(chat_model_from_settings(settings), interpreter.linker)
    tallies, free_text, turns = evaluate(dialogues, interpreter, extractor)
    metrics = {category: tally.scores() for category, tally in tallies.items()}
    metrics["all (micro)"] = micro_average(tallies)
    print(f"{'category':<22}{'precision':>10}{'recall':>10}{'F1':>8}{'gold':>7}{'ours':>7}")
    for category, scores in metrics.items():
        print(
            f"{category:<22}{scores['precision']:>10.3f}{scores['recall']:>10.3f}{scores['f1']:>8.3f}"
            f"{scores['gold']:>7}{scores['predicted']:>7}"
        )
    reader = "rules + LLM proposals" if args.llm else "rules"
    print(f"\n{turns} user utterances, read by the {reader}; free-text slots not scored: {dict(free_text)}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        misses = {category: tally.misses for category, tally in tallies.items()}
        report = {
            "metrics": metrics,
            "reader": reader,
            "utterances": turns,
            "unscored_slots": dict(free_text),
            "misses": misses,
        }
        args.json.write_text(json.dumps(report, indent=2))
    if args.plot:
        plot(metrics, args.plot)


if __name__ == "__main__":
    main()
