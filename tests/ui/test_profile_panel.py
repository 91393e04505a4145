"""The profile panel's handlers without a browser: a mood shows as an entry and the remove control forgets it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from assistant.api import Assistant

pytestmark = pytest.mark.fast


def test_the_remove_control_forgets_a_mood(scripted_assistant: Callable[..., Assistant]) -> None:
    from ui.app import ConciergeUI

    assistant = scripted_assistant()
    session = f"panel-{uuid.uuid4().hex}"
    assistant.chat(session, "something funnier, and less violent please")
    ui = ConciergeUI(assistant)
    listing, entry = ui.remove_entry(None, session)
    assert "- Mood: funnier" in listing["value"] and "- Mood: less violent" in listing["value"]
    choice = next(value for label, value in entry["choices"] if label == "Mood: less violent")
    listing, entry = ui.remove_entry(choice, session)
    assert "less violent" not in listing["value"] and "- Mood: funnier" in listing["value"]
    assert assistant.profile(session).moods == [("more", "funny")]


def test_hidden_gems_shows_as_a_soft_preference_and_can_be_removed(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    from ui.app import ConciergeUI

    assistant = scripted_assistant()
    session = f"panel-{uuid.uuid4().hex}"
    assistant.chat(session, "something less obvious, like The Matrix")
    ui = ConciergeUI(assistant)
    listing, entry = ui.remove_entry(None, session)
    assert "- Prefers: less obvious films (hidden gems)" in listing["value"]
    choice = next(value for label, value in entry["choices"] if label.startswith("Prefers:"))
    listing, _ = ui.remove_entry(choice, session)
    assert "hidden gems" not in listing["value"] and not assistant.profile(session).hidden_gems
