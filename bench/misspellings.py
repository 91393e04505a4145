"""Titles written wrong: does the entity linker find the film people meant, and nothing where they meant none?

Run as ``python -m bench.misspellings --cases tests/cases/misspellings.jsonl --json OUT [--plot PNG]``.

Every case is a real seeker message from ReDial or INSPIRED (see the case
file's sources) with the title the person typed by hand, often misspelt, or
with no title at all (a negative case: ordinary words that must link no
film).  The linker on the demo catalogue reads each message; a case is right
when the intended film is among the items it links.  Reported: precision
(linked items that are the intended film or a title the message spells
right, which the linker as written finds too), recall (intended films linked),
the share of negative cases with no item linked, and the time per message as
a multiple of the same linker with the misspelt-title reading switched off.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from assistant.settings import DEMO_CATALOGUE
from assistant.understanding.linking import EntityLinker
from bench.plotting import pyplot, save
from bench.timing import timed
from kg.catalogue import Catalogue, load_catalogue
from retrieval.collaborative import CoLikeIndex

REPEATS = 5
"""Each linker reads the whole case set this many times; the fastest pass is kept (the machine is shared)."""


def read_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def linked_titles(linker: EntityLinker, catalogue: Catalogue, text: str) -> list[str]:
    return [catalogue.items[m.item_id].display_title for m in linker.link(text)[0] if m.item_id is not None]


def evaluate(
    linker: EntityLinker, as_written: EntityLinker, catalogue: Catalogue, cases: list[dict[str, Any]]
) -> dict[str, Any]:
    """Precision, recall and clean negatives of ``linker`` on the cases, with every miss and false link."""
    linked_total = linked_right = wanted_total = wanted_found = negatives = clean = 0
    misses = []
    for case in tqdm(cases, desc="cases", unit="msg"):
        linked = linked_titles(linker, catalogue, case["text"])
        wanted = case.get("title")
        right = {wanted, *linked_titles(as_written, catalogue, case["text"])}
        linked_total += len(linked)
        linked_right += sum(title in right for title in linked)
        if wanted is None:
            negatives += 1
            clean += not linked
        else:
            wanted_total += 1
            wanted_found += wanted in linked
        if any(title not in right for title in linked) or (wanted is not None and wanted not in linked):
            misses.append({"text": case["text"], "wanted": wanted, "linked": linked, "source": case["source"]})
    return {
        "n": len(cases),
        "positives": wanted_total,
        "negatives": negatives,
        "precision": linked_right / linked_total if linked_total else 1.0,
        "recall": wanted_found / wanted_total if wanted_total else 0.0,
        "negatives_clean": clean / negatives if negatives else 1.0,
        "misses": misses,
    }


def per_message_seconds(linker: EntityLinker, texts: list[str]) -> float:
    """The fastest of a few passes over the texts, per message."""
    return min(timed(lambda: [linker.link(text) for text in texts]) for _ in range(REPEATS)) / len(texts)


def print_table(name: str, result: dict[str, Any]) -> None:
    print(
        f"{name:<12}{result['precision']:>10.3f}{result['recall']:>10.3f}{result['negatives_clean']:>12.3f}"
        f"{result['ms_per_message']:>10.3f}"
    )


def plot(results: dict[str, dict[str, Any]], path: Path) -> None:
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 3.5))
    measures = ("precision", "recall", "negatives_clean")
    width = 0.38
    for offset, (name, result) in enumerate(results.items()):
        axes.bar(
            [i + (offset - 0.5) * width for i in range(len(measures))], [result[m] for m in measures], width, label=name
        )
    axes.set_xticks(range(len(measures)), measures)
    axes.set_ylim(0, 1.05)
    axes.set_title(f"Titles written wrong, {next(iter(results.values()))['n']} real messages")
    axes.legend()
    save(figure, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, required=True, help="misspellings.jsonl")
    parser.add_argument("--json", type=Path, help="where to write the figures, the misses and the timing")
    parser.add_argument("--plot", type=Path, help="bar chart of both linkers' precision, recall and clean negatives")
    parser.add_argument("--catalogue", type=Path, default=DEMO_CATALOGUE)
    args = parser.parse_args(argv)
    catalogue = load_catalogue(args.catalogue)
    colike = CoLikeIndex(catalogue.interactions, list(catalogue.items), 4.0)
    cases = read_cases(args.cases)
    texts = [case["text"] for case in cases]
    linkers = {
        name: EntityLinker(catalogue, lambda item_id: float(colike.like_count(item_id)), misspelt_titles)
        for name, misspelt_titles in (("as written", False), ("with slips", True))
    }
    results: dict[str, dict[str, Any]] = {}
    for name, linker in linkers.items():
        results[name] = evaluate(linker, linkers["as written"], catalogue, cases)
        results[name]["ms_per_message"] = 1000 * per_message_seconds(linker, texts)
    ratio = results["with slips"]["ms_per_message"] / results["as written"]["ms_per_message"]
    print(f"{'linker':<12}{'precision':>10}{'recall':>10}{'neg. clean':>12}{'ms/msg':>10}")
    for name, result in results.items():
        print_table(name, result)
    print(f"time per message with slips: {ratio:.2f} x the linker as written")
    for miss in results["with slips"]["misses"]:
        print(f"  wanted {miss['wanted']!s:<40} linked {miss['linked']!s:<40} {miss['text'][:70]!r}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"linkers": results, "time_ratio": ratio, "cases": len(cases)}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
