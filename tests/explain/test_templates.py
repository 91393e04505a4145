"""Template justifications restate evidence and nothing else."""

from __future__ import annotations

import re

import pytest

from assistant.explain.templates import evidence_facts, template_justification
from assistant.types import ItemCard
from kg.schema import MOVIE_SCHEMA
from retrieval.evidence import (
    AttributeMatch,
    CollaborativeEvidence,
    ConversationEvidence,
    Evidence,
    PathEvidence,
    PathNodeEvidence,
)

pytestmark = pytest.mark.fast


def path(source: str, label: str, value: str, relation: str, target: str) -> PathEvidence:
    return PathEvidence(
        nodes=(
            PathNodeEvidence(kind="item", key=source, name=source),
            PathNodeEvidence(kind=label, key=value, name=value),
            PathNodeEvidence(kind="item", key=target, name=target),
        ),
        relations=(relation, relation),
    )


def test_paths_and_collaborative_signal() -> None:
    evidence = Evidence(
        paths=(
            path("Blade Runner (1982)", "Person", "Ridley Scott", "DIRECTED", "Alien (1979)"),
            path("Blade Runner (1982)", "Person", "Harrison Ford", "ACTED_IN", "Alien (1979)"),
        ),
        collaborative=CollaborativeEvidence(
            source_item_id="1", source_title="The Matrix (1999)", co_likers=31, mean_rating=4.2
        ),
    )
    text = template_justification(evidence, MOVIE_SCHEMA, "Alien (1979)")
    assert text == (
        "Like Blade Runner (1982), it was directed by Ridley Scott and stars Harrison Ford. "
        "31 people who liked The Matrix (1999) also liked it, rating it 4.2 on average."
    )


def test_every_number_and_name_comes_from_the_evidence() -> None:
    evidence = Evidence(
        attribute_matches=(
            AttributeMatch(field="genres", value="Sci-Fi"),
            AttributeMatch(field="cast", value="Amy Adams"),
        ),
        collaborative=CollaborativeEvidence(
            source_item_id="9", source_title="Arrival (2016)", co_likers=1, mean_rating=None
        ),
    )
    text = template_justification(evidence, MOVIE_SCHEMA, "Contact (1997)")
    assert "1 person who liked Arrival (2016) also liked it." in text
    assert "Sci-Fi and Amy Adams" in text
    assert re.findall(r"\d+(?:\.\d+)?", text) == ["1", "2016"]


def test_fallbacks_when_evidence_is_thin() -> None:
    assert "closest matches" in template_justification(Evidence(vector_similarity=0.4), MOVIE_SCHEMA, "X (2000)")
    assert template_justification(Evidence(), MOVIE_SCHEMA, "X (2000)").startswith("X (2000) is among")


def test_a_value_shared_as_tag_and_genre_is_said_once() -> None:
    evidence = Evidence(
        paths=(
            path("The Matrix (1999)", "Tag", "sci-fi", "TAGGED", "Star Wars (1977)"),
            path("The Matrix (1999)", "Genre", "Sci-Fi", "HAS_GENRE", "Star Wars (1977)"),
            path("The Matrix (1999)", "Genre", "Action", "HAS_GENRE", "Star Wars (1977)"),
        ),
    )
    text = template_justification(evidence, MOVIE_SCHEMA, "Star Wars (1977)")
    assert text == "Like The Matrix (1999), it is also tagged sci-fi and is also Action."


def test_a_conversation_count_is_said_with_its_film_singular_for_one() -> None:
    many = ConversationEvidence(source_item_id="6", source_title="Heat (1995)", people=14)
    one = many.model_copy(update={"people": 1})
    assert template_justification(Evidence(conversations=many), MOVIE_SCHEMA, "Collateral (2004)") == (
        "Recommended in conversations to 14 people who also liked Heat (1995)."
    )
    assert template_justification(Evidence(conversations=one), MOVIE_SCHEMA, "Collateral (2004)") == (
        "Recommended in conversations to 1 person who also liked Heat (1995)."
    )


def test_the_conversation_count_follows_the_co_likes_within_two_facts() -> None:
    evidence = Evidence(
        collaborative=CollaborativeEvidence(
            source_item_id="1", source_title="Ronin (1998)", co_likers=3, mean_rating=None
        ),
        conversations=ConversationEvidence(source_item_id="6", source_title="Heat (1995)", people=14),
        attribute_matches=(AttributeMatch(field="genres", value="Crime"),),
    )
    assert template_justification(evidence, MOVIE_SCHEMA, "Collateral (2004)") == (
        "3 people who liked Ronin (1998) also liked it. "
        "Recommended in conversations to 14 people who also liked Heat (1995)."
    )


def test_the_facts_state_the_conversation_count_of_the_item() -> None:
    evidence = Evidence(conversations=ConversationEvidence(source_item_id="6", source_title="Heat (1995)", people=1))
    card = ItemCard(id="2", title="Collateral (2004)", year=2004, genres=("Crime",))
    assert evidence_facts(evidence, MOVIE_SCHEMA, card) == [
        "Collateral (2004) was recommended in conversations to 1 person who also liked Heat (1995)."
    ]


def test_a_pick_brought_in_by_re_ranking_says_so_with_its_counts_then_its_strongest_fact() -> None:
    from retrieval.evidence import DiscoveryEvidence

    evidence = Evidence(
        paths=(path("Blade Runner (1982)", "Person", "Ridley Scott", "DIRECTED", "Legend (1985)"),),
        collaborative=CollaborativeEvidence(
            source_item_id="1", source_title="The Matrix (1999)", co_likers=3, mean_rating=None
        ),
        discovery=DiscoveryEvidence(score_position=14, likes=9, typical_likes=180, diversity=1.5),
    )
    text = template_justification(evidence, MOVIE_SCHEMA, "Legend (1985)")
    assert text == (
        "A less-known pick, brought in for variety: 9 people liked it, against a median of 180 for the films that "
        "score alone would have listed. Like Blade Runner (1982), it was directed by Ridley Scott."
    )
    card = ItemCard(id="2", title="Legend (1985)", year=1985)
    assert any(
        "less-known pick" in fact and "9 people" in fact for fact in evidence_facts(evidence, MOVIE_SCHEMA, card)
    )


def test_a_pick_brought_in_with_nothing_else_known_never_claims_to_be_among_the_most_liked() -> None:
    from retrieval.evidence import DiscoveryEvidence

    evidence = Evidence(discovery=DiscoveryEvidence(score_position=30, likes=0, typical_likes=41, diversity=3.0))
    text = template_justification(evidence, MOVIE_SCHEMA, "Legend (1985)")
    assert "most liked" not in text and text.startswith("A less-known pick, brought in for variety: 0 people")
