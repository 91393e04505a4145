"""Profiles: deltas, changes of mind, removal, and durable storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.sessions.profile import PreferenceDelta, UserProfile
from assistant.sessions.sqlite import SqliteSessionStore
from assistant.types import ItemCard, Recommendation
from retrieval.evidence import Evidence

pytestmark = pytest.mark.fast


def test_change_of_mind_moves_items_and_attributes() -> None:
    profile = UserProfile().apply(PreferenceDelta(liked_items=("1", "2"), liked_attributes=(("cast", "Tom Cruise"),)))
    profile = profile.apply(PreferenceDelta(disliked_items=("1",), disliked_attributes=(("cast", "tom cruise"),)))
    assert profile.liked == ["2"]
    assert profile.disliked == ["1"]
    assert profile.liked_attributes == {}
    assert profile.disliked_attributes == {"cast": ["tom cruise"]}


def test_constraints_merge_and_lift() -> None:
    profile = UserProfile().apply(PreferenceDelta(exclude=(("genres", "Horror"),), year_min=2011))
    assert profile.constraints.exclude == {"genres": ("Horror",)}
    profile = profile.apply(PreferenceDelta(include=(("genres", "Horror"),)))
    assert profile.constraints.exclude == {}
    assert profile.constraints.include == {"genres": ("Horror",)}
    assert profile.constraints.year_min == 2011
    lifted = profile.remove("year_min", "").remove("include", "horror", field="genres")
    assert lifted.constraints.is_empty()


def test_liked_order_is_kept_and_deduplicated() -> None:
    profile = UserProfile().apply(PreferenceDelta(liked_items=("3", "1", "3", "2")))
    assert profile.liked == ["3", "1", "2"]


def test_store_survives_reopen_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "profiles.sqlite3"
    store = SqliteSessionStore(path)
    profile = UserProfile().apply(PreferenceDelta(liked_items=("42",), year_max=1999))
    store.save_profile("s1", profile)
    store.append_turn("s1", "user", "hello")
    store.append_turn("s1", "assistant", "hi")
    recommendation = Recommendation(
        item=ItemCard(id="7", title="Alien (1979)", year=1979),
        score=1.5,
        evidence=Evidence(sources=("graph",), contributions={"graph": 1.5}),
        justification="Because of the graph.",
    )
    store.save_recommendations("s1", 0, [recommendation])

    reopened = SqliteSessionStore(path)
    assert reopened.load_profile("s1") == profile
    assert reopened.history("s1") == [("user", "hello"), ("assistant", "hi")]
    assert reopened.recommendation("s1", "7") == recommendation
    assert reopened.recommendation("s2", "7") is None
    assert reopened.load_profile("other") == UserProfile()

    reopened.delete_session("s1")
    assert reopened.load_profile("s1") == UserProfile()
    assert reopened.history("s1") == []
    assert reopened.recommendation("s1", "7") is None


def test_moods_are_kept_once_each_the_latest_direction_winning() -> None:
    profile = UserProfile().apply(PreferenceDelta(moods=(("more", "light"), ("less", "cheesy"))))
    assert profile.moods == [("more", "light"), ("less", "cheesy")]
    profile = profile.apply(PreferenceDelta(moods=(("less", "light"),)))
    assert profile.moods == [("less", "cheesy"), ("less", "light")]


def test_a_mood_is_removed_by_its_name() -> None:
    profile = UserProfile().apply(PreferenceDelta(moods=(("more", "light"), ("more", "funny"))))
    assert profile.remove("moods", "light").moods == [("more", "funny")]


def test_a_stored_profile_from_before_moods_loads_without_them() -> None:
    old = '{"liked": ["858"], "disliked": [], "seen": [], "liked_attributes": {}, "disliked_attributes": {}}'
    profile = UserProfile.model_validate_json(old)
    assert profile.liked == ["858"]
    assert profile.moods == []
    saved = profile.apply(PreferenceDelta(moods=(("more", "light"),))).model_dump_json()
    assert UserProfile.model_validate_json(saved).moods == [("more", "light")]


def test_hidden_gems_is_set_withdrawn_removed_and_stored(tmp_path: Path) -> None:
    profile = UserProfile().apply(PreferenceDelta(hidden_gems=True))
    assert profile.hidden_gems and profile.apply(PreferenceDelta()).hidden_gems
    assert not profile.apply(PreferenceDelta(hidden_gems=False)).hidden_gems
    assert not profile.remove("hidden_gems", "true").hidden_gems
    store = SqliteSessionStore(tmp_path / "profiles.sqlite3")
    store.save_profile("gems", profile)
    assert store.load_profile("gems").hidden_gems
    assert not UserProfile.model_validate_json('{"liked": ["1"]}').hidden_gems  # stored before the field


def test_asking_for_a_value_drops_its_dislike_and_ruling_one_out_drops_its_liking() -> None:
    """A profile never both requires and avoids one value, which would leave nothing to suggest."""
    disliked = UserProfile().apply(PreferenceDelta(disliked_attributes=(("genres", "Comedy"),)))
    required = disliked.apply(PreferenceDelta(include=(("genres", "Comedy"),)))
    assert required.disliked_attributes == {} and required.constraints.include == {"genres": ("Comedy",)}
    liked = UserProfile().apply(PreferenceDelta(liked_attributes=(("genres", "Horror"),)))
    ruled_out = liked.apply(PreferenceDelta(exclude=(("genres", "Horror"),)))
    assert ruled_out.liked_attributes == {} and ruled_out.constraints.exclude == {"genres": ("Horror",)}
