"""The extraction benchmark reads IARD's acts as a person would and scores the interpreter against them."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker
from bench.extraction import CATEGORIES, evaluate, main, title_key
from kg.catalogue import Catalogue
from retrieval.collaborative import CoLikeIndex


@pytest.fixture(scope="module")
def interpreter(demo_catalogue: Catalogue) -> TurnInterpreter:
    colike = CoLikeIndex(demo_catalogue.interactions, list(demo_catalogue.items), 4.0)
    return TurnInterpreter(EntityLinker(demo_catalogue, lambda item_id: float(colike.like_count(item_id))))


def turn(participant: str, utterance: str, *acts: tuple[str, list[tuple[str, str]]]) -> dict:
    return {
        "participant": participant,
        "utterance": utterance,
        "dialogue_acts": [
            {"intent": intent, "slot_values": [[slot, value, None, None] for slot, value in slots]}
            for intent, slots in acts
        ],
    }


def test_acts_without_titles_point_at_the_agents_last_suggestion(interpreter: TurnInterpreter) -> None:
    dialogue = {
        "conversation_id": "t1",
        "conversation": [
            turn(
                "USER",
                "I don't really like horror movies what about thrillers",
                ("REJ", [("GENRE", "horror")]),
                ("CRI-A", [("GENRE", "thrillers")]),
            ),
            turn(
                "AGENT",
                "How about The Silence of the Lambs (1991)?",
                ("REC-S", [("TITLE", "The Silence of the Lambs")]),
            ),
            turn("USER", "Sounds good, I'll check it out", ("ACC", [])),
            turn("AGENT", "Or Alien (1979)?", ("REC-S", [("TITLE", "Alien")])),
            turn("USER", "I didn't like it", ("REJ", [])),
        ],
    }
    tallies, _, utterances = evaluate([dialogue], interpreter)
    assert utterances == 3
    scores = {category: tallies[category].scores() for category in CATEGORIES}
    assert scores["liked items"]["f1"] == 1.0 and scores["disliked items"]["f1"] == 1.0
    assert scores["liked attributes"]["f1"] == 1.0 and scores["disliked attributes"]["f1"] == 1.0


def test_a_missed_like_is_a_false_negative(interpreter: TurnInterpreter) -> None:
    dialogue = {
        "conversation_id": "t2",
        "conversation": [turn("USER", "that one was fun", ("PRO", [("TITLE", "Zzyzx Qwerty")]))],
    }
    tallies, _, _ = evaluate([dialogue], interpreter)
    assert (tallies["liked items"].true_positive, tallies["liked items"].false_negative) == (0, 1)


def test_a_keyword_that_is_a_catalogue_tag_is_scored_as_a_theme_and_other_keywords_are_counted_apart(
    interpreter: TurnInterpreter,
) -> None:
    dialogue = {
        "conversation_id": "t3",
        "conversation": [
            turn(
                "USER",
                "anything with zombies, fun for all ages",
                ("IQU", [("KEYWORDS", "zombies"), ("KEYWORDS", "fun for all ages")]),
            ),
        ],
    }
    tallies, unscored, _ = evaluate([dialogue], interpreter)
    assert (tallies["liked attributes"].true_positive, tallies["liked attributes"].false_negative) == (1, 0)
    assert unscored == {"KEYWORDS": 1}


def test_titles_compare_without_year_or_article() -> None:
    assert title_key("The Number 23 (2007)") == title_key("the number 23") == "number 23"


def test_the_benchmark_runs_on_the_iard_gold(
    datasets_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iard = datasets_dir / "iard" / "formatted_IARD_annotated_gold.json"
    main(["--iard", str(iard), "--json", str(tmp_path / "extraction.json"), "--plot", str(tmp_path / "extraction.png")])
    printed = capsys.readouterr().out
    assert "all (micro)" in printed and "549 user utterances, read by the rules" in printed
    assert (tmp_path / "extraction.png").read_bytes()[:4] == b"\x89PNG"
