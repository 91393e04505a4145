"""The return greeting: one line, built from the stored profile alone."""

from __future__ import annotations

import pytest

from assistant.explain.welcome import greeting
from assistant.sessions.profile import PreferenceDelta, UserProfile
from kg.catalogue import Catalogue

pytestmark = pytest.mark.fast


def ids(catalogue: Catalogue, *titles: str) -> tuple[str, ...]:
    by_title = {item.display_title: item.id for item in catalogue.items.values()}
    return tuple(by_title[title] for title in titles)


def test_the_greeting_states_the_profile(demo_catalogue: Catalogue) -> None:
    profile = UserProfile().apply(
        PreferenceDelta(
            liked_items=ids(demo_catalogue, "Heat (1995)", "Collateral (2004)"),
            year_min=1990,
            exclude=(("genres", "Horror"),),
            moods=(("more", "funny"),),
        )
    )
    line = greeting(profile, demo_catalogue, talked_before=True)
    assert line == (
        "Welcome back: you liked Heat (1995) and Collateral (2004); "
        "you asked for nothing before 1990 and no Horror; you wanted it funnier."
    )
    assert "\n" not in line


def test_a_long_list_is_shortened_and_nothing_unstored_is_said(demo_catalogue: Catalogue) -> None:
    liked = list(demo_catalogue.items)[:7]
    profile = UserProfile().apply(PreferenceDelta(liked_items=tuple(liked), unlinked=("Zorblax",)))
    line = greeting(profile, demo_catalogue, talked_before=True)
    assert line is not None and "and 4 more" in line
    assert "Zorblax, which I could not find in the catalogue" in line
    for unsaid in ("disliked", "did not like", "seen", "asked for", "wanted"):
        assert unsaid not in line


def test_no_profile_greets_only_who_talked_before(demo_catalogue: Catalogue) -> None:
    assert greeting(UserProfile(), demo_catalogue, talked_before=False) is None
    assert greeting(UserProfile(), demo_catalogue, talked_before=True) == (
        "Welcome back. You have not told me what you like yet."
    )
