"""Conversation acts on real seeker messages: does the assistant know what each message asks of it?

Run as ``python -m bench.acts --cases tests/cases/conversation_acts.jsonl --json OUT [--plot PNG]``.

Every labelled message (ReDial, INSPIRED and IARD seeker turns, see the cases
folder's README) goes through the turn interpreter on the demo catalogue, as
if it came right after a list of five suggestions, and the act it reads is
compared with the label.  Reported: accuracy per act and overall, the
confusion table, and how often a recommendation request is taken for small
talk or thanks (the costly mistake: the person gets no list).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.settings import DEMO_CATALOGUE
from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker
from bench.plotting import pyplot, save
from kg.catalogue import load_catalogue
from retrieval.collaborative import CoLikeIndex

LABELS = {
    "why": "why",
    "about": "about",
    "small_talk": "chat",
    "thanks": "thanks",
    "more": "more",
    "recommend": "recommend",
}
"""Case labels and the intents the interpreter reports for them."""
LAST_LIST = ("2571", "1214", "6", "1", "593")
"""What "that one" and "the second one" point at: The Matrix, Alien, Heat, Toy Story, The Silence of the Lambs."""


def read_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(interpreter: TurnInterpreter, cases: list[dict[str, Any]]) -> dict[str, Any]:
    confusion: Counter[tuple[str, str]] = Counter()
    misses = []
    for case in cases:
        expected = LABELS[case["act"]]
        read = interpreter.interpret(case["text"], LAST_LIST).intent
        confusion[(expected, read)] += 1
        if read != expected:
            misses.append({"text": case["text"], "expected": expected, "read": read, "source": case["source"]})
    per_act = {}
    for act in LABELS.values():
        total = sum(count for (expected, _), count in confusion.items() if expected == act)
        per_act[act] = {"n": total, "accuracy": confusion[(act, act)] / total if total else 0.0}
    requests = per_act["recommend"]["n"]
    lost = confusion[("recommend", "chat")] + confusion[("recommend", "thanks")]
    return {
        "n": len(cases),
        "accuracy": sum(confusion[(act, act)] for act in LABELS.values()) / len(cases),
        "per_act": per_act,
        "requests_read_as_small_talk": lost / requests if requests else 0.0,
        "confusion": {f"{expected}->{read}": count for (expected, read), count in sorted(confusion.items())},
        "misses": misses,
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"{'act':<12}{'n':>6}{'accuracy':>11}")
    for act, figures in result["per_act"].items():
        print(f"{act:<12}{figures['n']:>6}{figures['accuracy']:>11.3f}")
    print(f"{'overall':<12}{result['n']:>6}{result['accuracy']:>11.3f}")
    print(f"recommendation requests read as small talk or thanks: {result['requests_read_as_small_talk']:.3f}")
    for miss in result["misses"]:
        print(f"  {miss['expected']:>9} read as {miss['read']:<9} {miss['text'][:90]!r}")


def plot(result: dict[str, Any], path: Path) -> None:
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 3.5))
    acts = list(result["per_act"])
    axes.bar(acts, [result["per_act"][act]["accuracy"] for act in acts])
    axes.axhline(0.9, color="black", linestyle="dashed")
    axes.set_ylim(0, 1.05)
    axes.set_title(f"Conversation acts, {result['n']} real messages (overall {result['accuracy']:.3f}; dashed: .90)")
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--catalogue", type=Path, default=DEMO_CATALOGUE)
    args = parser.parse_args(argv)
    catalogue = load_catalogue(args.catalogue)
    colike = CoLikeIndex(catalogue.interactions, list(catalogue.items), 4.0)
    interpreter = TurnInterpreter(EntityLinker(catalogue, lambda item_id: float(colike.like_count(item_id))))
    result = evaluate(interpreter, read_cases(args.cases))
    print_table(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.plot:
        plot(result, args.plot)


if __name__ == "__main__":
    main()
