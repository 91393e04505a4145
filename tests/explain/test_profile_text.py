"""The profile in words: what a turn understood and the removable entries, moods included."""

from __future__ import annotations

import pytest

from assistant.explain.profile_text import describe_delta, profile_entries
from assistant.sessions.profile import PreferenceDelta, UserProfile
from kg.catalogue import Catalogue

pytestmark = pytest.mark.fast


def test_a_turns_moods_are_understood_in_plain_words(demo_catalogue: Catalogue) -> None:
    delta = PreferenceDelta(liked_items=("858",), moods=(("more", "light"), ("less", "cheesy")))
    understood = describe_delta(delta, demo_catalogue)
    assert understood["moods"] == ["lighter, feel-good", "not cheesy"]
    assert understood["liked"] == ["The Godfather (1972)"]
    assert "moods" not in describe_delta(PreferenceDelta(liked_items=("858",)), demo_catalogue)


def test_each_mood_is_a_removable_entry(demo_catalogue: Catalogue) -> None:
    profile = UserProfile().apply(PreferenceDelta(moods=(("less", "light"), ("more", "older-mood"))))
    entries = [entry for entry in profile_entries(profile, demo_catalogue) if entry.section == "moods"]
    assert [(entry.value, entry.field, entry.label) for entry in entries] == [
        ("light", "less", "Mood: darker"),
        ("older-mood", "more", "Mood: more older-mood"),
    ]
    assert profile.remove(entries[0].section, entries[0].value, entries[0].field).moods == [("more", "older-mood")]
