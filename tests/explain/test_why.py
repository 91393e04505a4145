"""The "why?" text restates the stored recommendation and nothing else."""

from __future__ import annotations

import pytest

from assistant.explain.why import not_suggested_text, why_text
from assistant.types import ItemCard, Recommendation
from kg.catalogue import Item
from kg.schema import MOVIE_SCHEMA
from retrieval.evidence import (
    CollaborativeEvidence,
    ConversationEvidence,
    Evidence,
    LearningEvidence,
    PathEvidence,
    PathNodeEvidence,
)

pytestmark = pytest.mark.fast
ALIEN = Item("1214", "Alien", 1979, {"genres": ("Horror", "Sci-Fi"), "directors": ("Ridley Scott",)})


def stored() -> Recommendation:
    path = PathEvidence(
        nodes=(
            PathNodeEvidence(kind="item", key="541", name="Blade Runner (1982)"),
            PathNodeEvidence(kind="Person", key="ridley scott", name="Ridley Scott"),
            PathNodeEvidence(kind="item", key="1214", name="Alien (1979)"),
        ),
        relations=("DIRECTED", "DIRECTED"),
    )
    evidence = Evidence(
        paths=(path,), constraints_met=("from 1970",), contributions={"graph": 1.2, "popularity": 0.1, "vector": -0.2}
    )
    return Recommendation(
        item=ItemCard.from_item(ALIEN),
        score=1.1,
        evidence=evidence,
        justification="Like Blade Runner, it shares a director.",
    )


def test_why_lists_the_justification_paths_limits_and_what_counted() -> None:
    lines = why_text(ALIEN, stored(), MOVIE_SCHEMA).splitlines()
    assert lines[0] == "I suggested Alien (1979) because: Like Blade Runner, it shares a director."
    assert (
        lines[1].startswith("- Blade Runner (1982) -")
        and "Ridley Scott" in lines[1]
        and lines[1].endswith("Alien (1979)")
    )
    assert lines[2] == "- It meets your limits: from 1970."
    assert lines[3] == (
        "- It ranked with a score of 1.10; what counted most: linked in the graph to what you like (+1.20); "
        "popularity (+0.10)."
    )


def test_no_record_is_said_plainly() -> None:
    assert not_suggested_text("999999", None) == "There is no item with id '999999' in the catalogue."
    assert "have not suggested Alien (1979)" in not_suggested_text("1214", ALIEN)


def test_why_lists_the_people_counts_even_when_the_justification_left_them_out() -> None:
    recommendation = stored()
    evidence = recommendation.evidence.model_copy(
        update={
            "collaborative": CollaborativeEvidence(
                source_item_id="2571", source_title="The Matrix (1999)", co_likers=56, mean_rating=4.3
            ),
            "conversations": ConversationEvidence(
                source_item_id="1240", source_title="The Terminator (1984)", people=1
            ),
        }
    )
    lines = why_text(ALIEN, recommendation.model_copy(update={"evidence": evidence}), MOVIE_SCHEMA).splitlines()
    assert lines[2:4] == [
        "- 56 people who liked The Matrix (1999) also liked it, rating it 4.3 on average.",
        "- Recommended in conversations to 1 person who also liked The Terminator (1984).",
    ]
    assert lines[4] == "- It meets your limits: from 1970."


def test_why_says_when_re_ranking_brought_a_pick_in() -> None:
    from retrieval.evidence import DiscoveryEvidence

    recommendation = stored()
    discovery = DiscoveryEvidence(score_position=14, likes=9, typical_likes=180, diversity=1.5)
    evidence = recommendation.evidence.model_copy(update={"discovery": discovery})
    text = why_text(ALIEN, recommendation.model_copy(update={"evidence": evidence}), MOVIE_SCHEMA)
    assert (
        "- It is a less-known pick, brought in for variety: 9 people liked it, against a median of 180 for the films "
        "that score alone would have listed; by score alone it ranked 14, and the variety setting was 1.5."
    ) in text.splitlines()
    assert "less-known" not in why_text(ALIEN, stored(), MOVIE_SCHEMA)


def test_why_gives_the_learning_policys_share_and_says_when_the_film_was_explored() -> None:
    recommendation = stored()
    learned = recommendation.evidence.model_copy(
        update={
            "contributions": {"graph": 1.2, "policy": 0.3},
            "learning": LearningEvidence(policy_share=0.3, explored=True, propensity=0.05),
        }
    )
    lines = why_text(ALIEN, recommendation.model_copy(update={"evidence": learned}), MOVIE_SCHEMA).splitlines()
    assert lines[3] == (
        "- What people's reactions to earlier suggestions taught the ranking raised its score by 0.30 "
        "(about 27% of it)."
    )
    assert lines[4].startswith("- It was shown partly to learn what you think of it: the ranking would have put")
    assert "what people's reactions to earlier suggestions taught the ranking (+0.30)" in lines[5]
    plain = learned.model_copy(update={"learning": LearningEvidence(policy_share=0.0, explored=False, propensity=1)})
    assert "learn what you think" not in why_text(
        ALIEN, recommendation.model_copy(update={"evidence": plain}), MOVIE_SCHEMA
    )
