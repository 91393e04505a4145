"""Counting co-mentions from recommendation turns, and ``concierge learn-comentions`` on a small catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.learning.comentions import count_comentions
from assistant.learning.turns import ConversationTurn
from assistant.understanding.linking import normalise
from kg.catalogue import Catalogue
from retrieval.comentions import CoMentionIndex
from ui.cli import main

pytestmark = pytest.mark.fast

TITLES = {normalise(title): item_id for title, item_id in [("Heat (1995)", "heat"), ("Alien (1979)", "alien")]}
TITLES |= {normalise(title): item_id for title, item_id in [("Collateral (2004)", "collateral"), ("Aliens", "aliens")]}


def turn(
    dialog_id: str, entities: tuple[str, ...], rec: tuple[str, ...], liked: tuple[str, ...] | None = None
) -> ConversationTurn:
    return ConversationTurn(dialog_id, ("hi", "any ideas?"), entities, rec, liked)


def test_a_pair_counts_once_per_dialogue() -> None:
    turns = [
        turn("1", ("Heat (1995)",), ("Collateral (2004)",)),
        turn("1", ("Heat (1995)", "Collateral (2004)"), ("Collateral (2004)", "Aliens")),
        turn("2", ("heat (1995)",), ("Collateral (2004)",)),
    ]
    counts = count_comentions(turns, TITLES).counts
    assert counts["heat"] == {"collateral": 2, "aliens": 1}
    assert counts["collateral"] == {"aliens": 1}


def test_only_liked_films_count_when_the_turn_says_which() -> None:
    liked = ("Heat (1995)", "Collateral (2004)")
    turns = [turn("1", ("Heat (1995)", "Alien (1979)"), ("Collateral (2004)", "Aliens"), liked)]
    assert count_comentions(turns, TITLES).counts == {"heat": {"collateral": 1}}


def test_a_seeker_who_liked_none_of_them_counts_nothing() -> None:
    turns = [turn("1", ("Heat (1995)",), ("Collateral (2004)",), liked=())]
    assert count_comentions(turns, TITLES).counts == {}


def test_a_film_already_mentioned_is_no_target_and_unknown_names_are_skipped() -> None:
    turns = [turn("1", ("Heat (1995)", "Ronin (1998)"), ("Heat (1995)", "Collateral (2004)", "Thief (1981)"))]
    assert count_comentions(turns, TITLES).counts == {"heat": {"collateral": 1}}


def test_the_command_counts_a_turns_file_over_a_catalogue(
    small_catalogue: Catalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "catalogue"
    directory.mkdir()
    kept = {"2571": "The Matrix (1999)", "541": "Blade Runner (1982)", "1214": "Alien (1979)", "6": "Heat (1995)"}
    items = [small_catalogue.items[item_id] for item_id in kept]
    assert [item.display_title for item in items] == list(kept.values())
    rows = [{"id": item.id, "title": item.title, "year": item.year} for item in items]
    (directory / "items.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (directory / "interactions.csv").write_text("user_id,item_id,rating,timestamp\n")
    dialogues = [
        {
            "dialog_id": "a",
            "context": ["I loved The Matrix"],
            "entity": ["The Matrix (1999)"],
            "rec": ["Blade Runner (1982)"],
        },
        {
            "dialog_id": "b",
            "context": ["Matrix!"],
            "entity": ["The Matrix (1999)"],
            "rec": ["Blade Runner (1982)", "Alien (1979)"],
        },
        {"dialog_id": "c", "context": ["Heat?"], "entity": ["Heat (1995)"], "rec": ["Not In The Catalogue (2001)"]},
    ]
    turns = tmp_path / "turns.jsonl"
    turns.write_text("".join(json.dumps(row) + "\n" for row in dialogues))
    out = tmp_path / "learned" / "comentions.json.gz"
    assert main(["learn-comentions", "--catalogue", str(directory), "--turns", str(turns), "--out", str(out)]) == 0
    assert CoMentionIndex.load(out).counts == {"2571": {"541": 2, "1214": 1}}
    assert capsys.readouterr().out.strip() == (
        f"2 (liked film, recommended film) pairs from 1 liked films; saved to {out}"
    )
