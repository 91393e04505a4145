"""The described-requests set and its bench: honest cases on the demo catalogue, and the mood ablation switch."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.api import Assistant
from bench.described import CASES, MOOD, mood_weight, read_cases, run_case, summarise
from kg.catalogue import Catalogue
from retrieval.ranking import WeightedSumRanker

pytestmark = pytest.mark.fast


def test_every_case_names_catalogue_films_by_id_and_title(demo_catalogue: Catalogue) -> None:
    cases = read_cases(CASES)
    assert len(cases) >= 40
    assert len({case["text"] for case in cases}) == len(cases)
    for case in cases:
        assert len(case["acceptable"]) >= 10, case["text"]
        for entry in (*case["acceptable"], *case.get("must_not", [])):
            assert demo_catalogue.items[entry["id"]].display_title == entry["title"]
        assert not {e["id"] for e in case["acceptable"]} & {e["id"] for e in case.get("must_not", [])}
    feel_good = next(case for case in cases if case["text"] == "a feel-good movie for tonight")
    assert {"Requiem for a Dream (2000)", "The Day After Tomorrow (2004)"} <= {
        e["title"] for e in feel_good["must_not"]
    }


def test_the_ablation_sets_the_mood_weight_and_puts_it_back() -> None:
    ranker = WeightedSumRanker({"vector": 1.0})
    with mood_weight(ranker, 0.0):
        assert ranker.weights[MOOD] == 0.0
    assert ranker.weights[MOOD] > 0


def test_a_case_is_scored_on_its_top_five(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant()
    case = {"text": "a feel-good comedy", "acceptable": [], "must_not": []}
    row = run_case(assistant, case)
    assert row["acceptable"] == 0 and len(row["listed"]) == 5
    summary = summarise([row, {**row, "acceptable": 4, "ruled_out": ["x"]}])
    assert summary["lists_with_enough"] == 0.5 and summary["mean_acceptable"] == 2.0
    assert summary["ruled_out_listed"] == 1
