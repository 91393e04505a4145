"""Evidence of a ranked candidate: the co-mention signal becomes stored conversation evidence, end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.explain.evidence import EvidenceBuilder
from assistant.sessions.profile import UserProfile
from kg.catalogue import Catalogue
from retrieval.candidates import Candidate
from retrieval.comentions import CoMentionIndex, CoMentionSignal
from retrieval.evidence import ConversationEvidence, Evidence
from retrieval.ranking import RankedCandidate
from retrieval.request import RetrievalRequest

pytestmark = pytest.mark.fast
MATRIX, TOY_STORY = "2571", "1"


def test_a_co_mention_signal_becomes_conversation_evidence_with_the_source_title(
    small_catalogue: Catalogue,
) -> None:
    candidate = Candidate(TOY_STORY, features={"comention": 1.0}, comention=CoMentionSignal(MATRIX, 14))
    request = RetrievalRequest("like The Matrix", np.zeros(384, dtype=np.float32), liked_ids=(MATRIX,))
    evidence = EvidenceBuilder(small_catalogue, None).build(
        RankedCandidate(candidate, 1.0, {"comention": 1.2}), request
    )
    assert evidence.conversations == ConversationEvidence(
        source_item_id=MATRIX, source_title="The Matrix (1999)", people=14
    )
    assert evidence.sources == ("comention",) and evidence.collaborative is None


def test_no_signal_and_a_source_outside_the_catalogue_give_no_conversation_evidence(
    small_catalogue: Catalogue,
) -> None:
    request = RetrievalRequest("hi", np.zeros(384, dtype=np.float32))
    builder = EvidenceBuilder(small_catalogue, None)
    for candidate in (Candidate(TOY_STORY), Candidate(TOY_STORY, comention=CoMentionSignal("no-such-film", 3))):
        assert builder.build(RankedCandidate(candidate, 1.0, {}), request).conversations is None


def test_evidence_stored_before_conversation_counts_still_loads() -> None:
    stored = '{"sources": ["graph"], "paths": [], "collaborative": null, "contributions": {"graph": 0.5}}'
    evidence = Evidence.model_validate_json(stored)
    assert evidence.conversations is None and evidence.sources == ("graph",)
    conversations = ConversationEvidence(source_item_id=MATRIX, source_title="The Matrix (1999)", people=2)
    again = Evidence(conversations=conversations)
    assert Evidence.model_validate_json(again.model_dump_json()) == again


def test_a_film_found_by_co_mention_carries_its_evidence_through_recommend(
    scripted_assistant: Callable[..., Assistant], tmp_path: Path
) -> None:
    CoMentionIndex({MATRIX: {TOY_STORY: 40}}).save(tmp_path / "comentions.json.gz")
    plain = scripted_assistant()
    assistant = scripted_assistant(settings=plain.settings.model_copy(update={"data_dir": tmp_path}))
    trace = assistant.recommend(UserProfile(liked=[MATRIX]), "something like The Matrix", n=10)
    found = next(candidate for candidate in trace.pool if candidate.item_id == TOY_STORY)
    assert found.comention == CoMentionSignal(MATRIX, 40) and found.features["comention"] == 1.0
    recommendation = next(rec for rec in trace.recommendations if rec.item.id == TOY_STORY)
    assert recommendation.evidence.conversations == ConversationEvidence(
        source_item_id=MATRIX, source_title="The Matrix (1999)", people=40
    )
    assert recommendation.evidence.contributions["comention"] > 0
    assert assistant.pipeline.explain.check(recommendation).faithful
