"""The impression log as the assistant writes it: lists shown, buttons, "Why?", the next message, forgetting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.sessions.impressions import ImpressionRefused
from assistant.settings import Settings
from retrieval.policy import read_policy

pytestmark = pytest.mark.fast


def learning_settings(small_settings: Settings, data_dir: Path, exploration: float) -> Settings:
    return Settings(
        data_dir=data_dir,
        catalogue=small_settings.catalogue,
        justifications="template",
        extraction="rules",
        learning=True,
        exploration=exploration,
    )


def test_lists_and_reactions_are_logged_learned_from_exported_and_forgotten(
    scripted_assistant: Callable[..., Assistant], small_settings: Settings, tmp_path: Path
) -> None:
    assistant = scripted_assistant(settings=learning_settings(small_settings, tmp_path, exploration=0.0))
    reply = assistant.chat("ann", "I loved The Matrix")
    shown = [rec.item.id for rec in reply.recommendations]
    log = assistant.feedback_log("ann")
    assert [row["item_id"] for row in log["impressions"]] == shown
    assert [row["position"] for row in log["impressions"]] == list(range(len(shown)))
    assert all(row["propensity"] == 1.0 and row["context"]["score"] >= 0 for row in log["impressions"])

    assistant.feedback("ann", shown[1], "liked")
    with pytest.raises(ImpressionRefused, match="already counted"):
        assistant.feedback("ann", shown[1], "liked")
    assistant.why("ann", shown[2])
    assistant.why("ann", shown[2])  # opening "Why?" twice is not an error, and counts once
    assistant.chat("ann", "not the first one")
    kinds = [(row["item_id"], row["kind"]) for row in assistant.feedback_log("ann")["reactions"]]
    assert kinds == [(shown[1], "liked"), (shown[2], "why"), (shown[0], "rejected")]

    policy = read_policy(tmp_path / "policy.json")
    assert policy is not None and policy.reactions == 2
    assert policy.impressions == len(shown), "the list reacted to counts once; the second turn's list got no reward"

    assistant.forget("ann")
    assert assistant.feedback_log("ann") == {"impressions": [], "reactions": []}
    assert assistant.impressions.everything() == ([], [])


def test_lists_nobody_reacted_to_are_logged_but_leave_the_ranking_as_it_was(
    scripted_assistant: Callable[..., Assistant], small_settings: Settings, tmp_path: Path
) -> None:
    """Counted as "shown, earned 0", unreacted lists flattened the learned ranking toward noise."""
    assistant = scripted_assistant(settings=learning_settings(small_settings, tmp_path, exploration=0.0))
    first = [rec.item.id for rec in assistant.chat("quiet-0", "I loved The Matrix").recommendations]
    for number in range(1, 4):
        assistant.chat(f"quiet-{number}", "I loved The Matrix")
    assert len(assistant.impressions.everything()[0]) == 4 * len(first)
    assert read_policy(tmp_path / "policy.json") is None
    assert [rec.item.id for rec in assistant.chat("quiet-4", "I loved The Matrix").recommendations] == first


def test_exploring_places_only_allowed_films_and_says_so_in_why(
    scripted_assistant: Callable[..., Assistant], small_settings: Settings, tmp_path: Path
) -> None:
    assistant = scripted_assistant(settings=learning_settings(small_settings, tmp_path, exploration=0.5))
    assistant.pipeline.rank.policy.draw.seed(3)
    explored = []
    for turn in range(4):
        trace = assistant.turn("bo", "something funny, not horror" if turn == 0 else "more")
        allowed = {candidate.item_id for candidate in trace.allowed}
        assert {entry.candidate.item_id for entry in trace.ranked} <= allowed
        assert all("Horror" not in rec.item.genres for rec in trace.recommendations)
        explored += [rec for rec in trace.recommendations if rec.evidence.learning and rec.evidence.learning.explored]
    assert explored, "half the places are explored, so four lists explore some"
    answer = assistant.why("bo", explored[0].item.id)
    assert "shown partly to learn what you think of it" in answer.text


def test_learn_every_runs_the_refit_after_that_many_reactions(
    scripted_assistant: Callable[..., Assistant], small_settings: Settings, tmp_path: Path
) -> None:
    settings = learning_settings(small_settings, tmp_path, exploration=0.0).model_copy(update={"learn_every": 2})
    assistant = scripted_assistant(settings=settings)
    shown = [rec.item.id for rec in assistant.chat("cy", "I loved Toy Story").recommendations]
    assistant.feedback("cy", shown[0], "liked")
    assert not settings.feedback_interactions_path.exists()
    assistant.feedback("cy", shown[1], "disliked")
    rows = settings.feedback_interactions_path.read_text().splitlines()
    assert rows[1:] == [f"cy,{shown[0]},5.0,{rows[1].split(',')[3]}", f"cy,{shown[1]},1.0,{rows[2].split(',')[3]}"]
