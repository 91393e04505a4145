"""Moods through a whole turn: "a bit lighter" keeps the similarity and prefers lighter films, and shows."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from assistant.api import Assistant
from assistant.turn.trace import TurnTrace
from retrieval.mood_axes import MOOD_AXES
from retrieval.moods import axis_fit

pytestmark = pytest.mark.fast
GODFATHER = "858"


def lightness(assistant: Assistant, trace: TurnTrace) -> float:
    """Mean fit of the suggestions to the ``light`` mood."""
    items = [assistant.catalogue.items[rec.item.id] for rec in trace.recommendations]
    return sum(axis_fit(item, MOOD_AXES["light"]) for item in items) / len(items)


def after_the_godfather(assistant: Assistant, message: str) -> TurnTrace:
    session = f"moods-{uuid.uuid4().hex}"
    assistant.chat(session, "I loved The Godfather")
    return assistant.turn(session, message)


def test_a_bit_lighter_after_the_godfather_ranks_lighter_films_higher(
    scripted_assistant: Callable[..., Assistant],
) -> None:
    assistant = scripted_assistant()
    plain = after_the_godfather(assistant, "something similar")
    lighter = after_the_godfather(assistant, "something similar but a bit lighter")
    assert lighter.reply is not None and lighter.reply.understood == {"moods": ["lighter, feel-good"]}
    assert lighter.profile is not None and lighter.profile.liked == [GODFATHER]
    assert lightness(assistant, lighter) > lightness(assistant, plain) + 0.3
    assert all("mood" in candidate.features for candidate in lighter.allowed)
    assert any(entry.contributions.get("mood", 0) > 0 for entry in lighter.ranked)
    graph_or_vector = {"vector", "graph", "collaborative"}
    assert any(graph_or_vector & set(entry.contributions) for entry in lighter.ranked)


def test_a_mood_is_shown_and_removed_from_the_profile(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant()
    session = f"moods-{uuid.uuid4().hex}"
    assistant.chat(session, "a romantic comedy that isn't cheesy")
    entries = [entry for entry in assistant.profile_entries(session) if entry.section == "moods"]
    assert [entry.label for entry in entries] == ["Mood: not cheesy"]
    profile = assistant.update_profile(session, entries[0].section, entries[0].value, entries[0].field)
    assert profile.moods == [] and assistant.profile(session).moods == []
