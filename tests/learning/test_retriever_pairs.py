"""Training pairs for the retriever: raw ReDial dialogues as turns, conversation pairs, tag pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.learning.retriever_pairs import (
    LIKED_WEIGHT,
    MAX_QUERY_WORDS,
    conversation_pairs,
    query_text,
    tag_pairs,
)
from assistant.learning.turns import ConversationTurn, read_turns

pytestmark = pytest.mark.fast

DIALOGUE = {
    "conversationId": "42",
    "initiatorWorkerId": 1,
    "respondentWorkerId": 2,
    "movieMentions": {"10": "Heat (1995)", "11": "Ronin  (1998)", "12": "The Insider (1999)"},
    "initiatorQuestions": {
        "10": {"suggested": 0, "seen": 1, "liked": 1},
        "11": {"suggested": 1, "seen": 0, "liked": 1},
        "12": {"suggested": 1, "seen": 0, "liked": 0},
    },
    "respondentQuestions": [],
    "messages": [
        {"senderWorkerId": 1, "text": "hi! I loved @10"},
        {"senderWorkerId": 1, "text": "something tense please"},
        {"senderWorkerId": 2, "text": "try @11 or @12"},
        {"senderWorkerId": 1, "text": "thanks!"},
        {"senderWorkerId": 2, "text": "@10 is great too"},
    ],
}


def test_a_raw_redial_dialogue_reads_as_turns_with_names_and_likes(tmp_path: Path) -> None:
    path = tmp_path / "dialogues.jsonl"
    path.write_text(json.dumps(DIALOGUE) + "\n")
    assert list(read_turns(path)) == [
        ConversationTurn(
            "42",
            ("hi! I loved Heat (1995) something tense please",),
            ("Heat (1995)",),
            ("Ronin (1998)", "The Insider (1999)"),
            ("Heat (1995)", "Ronin (1998)"),
        )
    ]


def test_a_redial_dialogue_without_answers_does_not_say_what_was_liked(tmp_path: Path) -> None:
    path = tmp_path / "dialogues.jsonl"
    path.write_text(json.dumps({**DIALOGUE, "initiatorQuestions": [], "respondentQuestions": []}) + "\n")
    assert [turn.liked for turn in read_turns(path)] == [None]


def test_seeker_text_is_every_seeker_utterance_in_order() -> None:
    turn = ConversationTurn("1", ("I like Heat", "why?", "it is tense"), (), ("Ronin",))
    assert turn.seeker_text() == "I like Heat it is tense"
    opened_by_recommender = ConversationTurn("2", ("", "what do you like?", "comedies"), (), ("Up",))
    assert opened_by_recommender.seeker_text() == "comedies"


def test_conversation_pairs_count_liked_targets_twice_and_skip_mentioned_ones() -> None:
    titles = {"heat 1995": "h", "ronin 1998": "r", "the insider 1999": "i"}
    turn = ConversationTurn(
        "42",
        ("I loved Heat",),
        ("Heat (1995)",),
        ("Ronin (1998)", "The Insider (1999)", "Heat (1995)"),
        ("Ronin (1998)",),
    )
    pairs = list(conversation_pairs([turn], titles, "redial"))
    assert [pair.item_id for pair in pairs] == ["r"] * LIKED_WEIGHT + ["i"]
    assert {pair.query for pair in pairs} == {"I loved Heat"}
    assert pairs[0].avoid == frozenset({"h", "r", "i"})
    assert pairs[0].group == "redial:42"


def test_a_long_dialogue_keeps_its_latest_words() -> None:
    words = [f"w{index}" for index in range(MAX_QUERY_WORDS + 20)]
    assert query_text(" ".join(words)).split() == words[-MAX_QUERY_WORDS:]


def test_tags_become_short_requests_for_the_films_people_tagged(tmp_path: Path) -> None:
    (tmp_path / "movies.csv").write_text("movieId,title,genres\n1,Heat (1995),Crime\n2,Unknown (2001),Drama\n")
    (tmp_path / "tags.csv").write_text(
        "userId,movieId,tag,timestamp\n1,1,Heist,1\n2,1,heist,2\n3,1,ok,3\n4,2,heist,4\n"
    )
    pairs = list(tag_pairs(tmp_path, {"heat 1995": "h"}))
    assert len(pairs) == 1
    assert pairs[0].item_id == "h" and "heist" in pairs[0].query and pairs[0].source == "movielens-tags"
