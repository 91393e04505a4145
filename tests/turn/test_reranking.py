"""Exposure-aware re-ranking through a whole turn: off at 0, turned up by "hidden gems", lawful and explained."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from assistant.api import Assistant
from assistant.settings import Settings
from kg.catalogue import Catalogue
from retrieval.ranking import ScorerRanker

pytestmark = pytest.mark.fast
MESSAGE = "I loved The Matrix, any hidden gems like it? No horror please"


def session() -> str:
    return f"rerank-{uuid.uuid4().hex}"


def test_at_zero_the_list_is_the_rankers_own(
    scripted_assistant: Callable[..., Assistant], small_settings: Settings
) -> None:
    assistant = scripted_assistant(settings=small_settings.model_copy(update={"diversity": 0.0}))
    trace = assistant.turn(session(), "I loved The Matrix")
    assert trace.request is not None
    own = assistant.pipeline.rank.ranker.rank(list(trace.allowed), trace.request, len(trace.ranked))
    assert [entry.candidate.item_id for entry in trace.ranked] == [entry.candidate.item_id for entry in own]
    assert all(rec.evidence.discovery is None for rec in trace.recommendations)


def test_hidden_gems_turns_it_up_keeps_the_law_and_says_why(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant()
    name = session()
    trace = assistant.turn(name, MESSAGE)
    assert trace.profile is not None and trace.profile.hidden_gems
    assert trace.request is not None and trace.request.hidden_gems
    assert trace.reply is not None and trace.reply.understood["hidden_gems"] == ["less obvious films (hidden gems)"]
    allowed = {candidate.item_id for candidate in trace.allowed}
    brought = [rec for rec in trace.recommendations if rec.evidence.discovery is not None]
    assert brought, "a hidden-gems request at the default setting brings in at least one less-known film"
    for rec in trace.recommendations:
        item = assistant.catalogue.items[rec.item.id]
        assert rec.item.id in allowed and "Horror" not in item.values("genres") and rec.item.id != "2571"
    for rec in brought:
        found = rec.evidence.discovery
        assert found is not None and found.likes < found.typical_likes
        assert found.likes == assistant.pipeline.rank.likes[rec.item.id]
        assert rec.justification.startswith(f"A less-known pick, brought in for variety: {found.likes} ")
        assert assistant.pipeline.explain.check(rec).faithful
        why = assistant.why(name, rec.item.id).text
        assert f"by score alone it ranked {found.score_position}" in why
    entries = [entry for entry in assistant.profile_entries(name) if entry.section == "hidden_gems"]
    assert [entry.label for entry in entries] == ["Prefers: less obvious films (hidden gems)"]
    assistant.update_profile(name, entries[0].section, entries[0].value, entries[0].field)
    assert not assistant.profile(name).hidden_gems


def test_the_preference_raises_the_setting(scripted_assistant: Callable[..., Assistant]) -> None:
    assistant = scripted_assistant()
    plain = assistant.turn(session(), "I loved The Matrix, no horror please")
    gems = assistant.turn(session(), MESSAGE)
    assert plain.request is not None and gems.request is not None
    rank = assistant.pipeline.rank
    assert rank.diversity_for(gems.request) > rank.diversity_for(plain.request) == assistant.settings.diversity
    shown = sum(rec.evidence.discovery is not None for rec in gems.recommendations)
    assert shown >= sum(rec.evidence.discovery is not None for rec in plain.recommendations)


def test_the_scorers_exposure_is_counted_once_per_data_directory(
    tmp_path: Path, small_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant import wiring

    (tmp_path / "scorer").mkdir()
    (tmp_path / "scorer" / "scorer.json").write_text('{"format": 1}', encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", scorer_dir=tmp_path / "scorer")
    calls: list[int] = []

    def counted(scorer: object, catalogue: Catalogue) -> dict[str, int]:
        calls.append(1)
        return dict.fromkeys(catalogue.items, 2)

    monkeypatch.setattr(wiring, "scorer_exposure", counted)
    ranker = cast(ScorerRanker, SimpleNamespace(scorer=None))
    first = wiring._stored_exposure(settings, small_catalogue, ranker)
    again = wiring._stored_exposure(settings, small_catalogue, ranker)
    assert first == again == dict.fromkeys(small_catalogue.items, 2) and len(calls) == 1
    (tmp_path / "scorer" / "scorer.json").write_text('{"format": 1, "retrained": true}', encoding="utf-8")
    wiring._stored_exposure(settings, small_catalogue, ranker)
    assert len(calls) == 2  # another checkpoint is counted again
