"""The why picture draws the stored paths and people counts, and nothing when there is neither."""

from __future__ import annotations

import pytest

from assistant.explain.picture import PeopleLink, draw_paths_png, people_links
from kg.schema import MOVIE_SCHEMA
from retrieval.evidence import CollaborativeEvidence, ConversationEvidence, Evidence, PathEvidence, PathNodeEvidence

pytestmark = pytest.mark.fast
PNG = b"\x89PNG\r\n\x1a\n"
COUNTED = Evidence(
    collaborative=CollaborativeEvidence(source_item_id="6", source_title="Heat (1995)", co_likers=1, mean_rating=4.0),
    conversations=ConversationEvidence(source_item_id="6", source_title="Heat (1995)", people=14),
)


def test_people_counts_are_linked_to_the_film_they_were_counted_on() -> None:
    assert people_links(COUNTED) == [
        PeopleLink("Heat (1995)", "1 person liked both", "ratings"),
        PeopleLink("Heat (1995)", "recommended to 14 people", "conversations"),
    ]
    assert people_links(Evidence()) == []


def test_a_suggestion_with_only_counts_still_has_a_picture() -> None:
    assert draw_paths_png((), MOVIE_SCHEMA, "Collateral (2004)") is None
    picture = draw_paths_png((), MOVIE_SCHEMA, "Collateral (2004)", people_links(COUNTED))
    assert picture is not None and picture.startswith(PNG)


def test_paths_and_counts_are_drawn_together() -> None:
    path = PathEvidence(
        nodes=(
            PathNodeEvidence(kind="item", key="6", name="Heat (1995)"),
            PathNodeEvidence(kind="Person", key="michael mann", name="Michael Mann"),
            PathNodeEvidence(kind="item", key="8798", name="Collateral (2004)"),
        ),
        relations=("DIRECTED", "DIRECTED"),
    )
    picture = draw_paths_png((path,), MOVIE_SCHEMA, "Collateral (2004)", people_links(COUNTED))
    assert picture is not None and picture.startswith(PNG)


def test_a_pick_brought_in_by_re_ranking_is_captioned_with_its_counts() -> None:
    from assistant.explain.picture import discovery_caption
    from retrieval.evidence import DiscoveryEvidence

    discovered = COUNTED.model_copy(
        update={"discovery": DiscoveryEvidence(score_position=14, likes=9, typical_likes=180, diversity=1.5)}
    )
    caption = discovery_caption(discovered)
    assert caption == (
        "A less-known pick, brought in for variety: 9 people liked it "
        "(median 180 for the films that score alone would have listed)"
    )
    assert discovery_caption(COUNTED) is None
    picture = draw_paths_png((), MOVIE_SCHEMA, "Collateral (2004)", people_links(discovered), caption)
    assert picture is not None and picture.startswith(PNG)
