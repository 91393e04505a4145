"""The co-mention index: conditional shares summed over liked films, the strongest source kept, a stable file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from retrieval.comentions import CoMentionIndex, CoMentionSignal

pytestmark = pytest.mark.fast

COUNTS = {
    "heat": {"collateral": 6, "ronin": 2, "thief": 2},
    "drive": {"collateral": 1, "ronin": 9},
}
"""Ten dialogues after each liked film: 'ronin' follows both, 'collateral' mostly 'heat', 'thief' only 'heat'."""


def test_scores_are_shares_summed_over_the_liked_films_and_scaled_to_the_best() -> None:
    related = CoMentionIndex(COUNTS).related(["heat", "drive"], k=5)
    assert list(related) == ["ronin", "collateral", "thief"]
    scores = {item_id: score for item_id, (score, _) in related.items()}
    assert scores == pytest.approx({"ronin": 1.0, "collateral": 0.7 / 1.1, "thief": 0.2 / 1.1})


def test_the_signal_names_the_liked_film_it_was_recommended_after_most() -> None:
    related = CoMentionIndex(COUNTS).related(["heat", "drive"], k=5)
    assert related["ronin"][1] == CoMentionSignal("drive", 9)
    assert related["collateral"][1] == CoMentionSignal("heat", 6)
    assert related["thief"][1] == CoMentionSignal("heat", 2)


def test_k_keeps_the_best_and_unknown_films_give_nothing() -> None:
    index = CoMentionIndex(COUNTS)
    assert list(index.related(["heat", "drive"], k=2)) == ["ronin", "collateral"]
    assert index.related(["alien"], k=5) == {}
    assert index.related([], k=5) == {}


def test_a_liked_film_is_never_proposed_back() -> None:
    index = CoMentionIndex({"heat": {"drive": 5, "ronin": 1}, "drive": {"heat": 4}})
    assert list(index.related(["heat", "drive"], k=5)) == ["ronin"]


def test_save_and_load_round_trip_to_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json.gz", tmp_path / "second.json.gz"
    CoMentionIndex(COUNTS).save(first)
    loaded = CoMentionIndex.load(first)
    assert loaded.counts == COUNTS and len(loaded) == 2
    loaded.save(second)
    assert first.read_bytes() == second.read_bytes()
    assert not list(tmp_path.glob("*.tmp"))


def test_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "comentions.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"format": 99, "counts": COUNTS}).encode()))
    with pytest.raises(ValueError, match="co-mention format 99, expected 1"):
        CoMentionIndex.load(path)
