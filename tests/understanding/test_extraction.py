"""The LLM's proposal: parsed and repaired, grounded in the catalogue, and overruled by the rules."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.api import Assistant
from assistant.understanding.extraction import PreferenceExtractor, ProposalError, combine, parse_proposal
from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker
from kg.catalogue import Catalogue
from retrieval.collaborative import CoLikeIndex

MATRIX = "2571"
HEAT = "6"
ALIEN = "1214"


@pytest.fixture(scope="module")
def linker(demo_catalogue: Catalogue) -> EntityLinker:
    colike = CoLikeIndex(demo_catalogue.interactions, list(demo_catalogue.items), 4.0)
    return EntityLinker(demo_catalogue, lambda item_id: float(colike.like_count(item_id)))


@pytest.mark.parametrize(
    "answer",
    [
        '{"liked_titles": ["Heat"], "unwanted_genres": ["horror"]}',
        'Sure! ```json\n{"liked_titles": ["Heat"], "unwanted_genres": ["horror"],}\n```',
        "{'liked_titles': ['Heat'], 'unwanted_genres': ['horror']}",
        '{"liked_titles": "Heat", "unwanted_genres": ["horror"], "mood": "happy"}',
        '{"liked_titles": ["Heat"], "unwanted_genres": ["horror"]',
    ],
    ids=["clean", "fenced-trailing-comma", "single-quotes", "bare-string-extra-key", "unclosed"],
)
def test_answers_are_repaired_into_the_schema(answer: str) -> None:
    proposal = parse_proposal(answer)
    assert (proposal.liked_titles, proposal.unwanted_genres) == (["Heat"], ["horror"])


@pytest.mark.parametrize("answer", ["I think they like Heat.", '["Heat"]', '{"liked_titles": {"a": 1}}'])
def test_unreadable_answers_are_refused(answer: str) -> None:
    with pytest.raises(ProposalError):
        parse_proposal(answer)


def test_names_are_grounded_and_unknown_titles_kept_as_text(linker: EntityLinker) -> None:
    answer = '{"liked_titles": ["Heat (1995)", "Zzyzx Qwerty"], "liked_people": ["Al Pacino"], "unwanted_genres": ["horror"]}'
    extractor = PreferenceExtractor(FakeListChatModel(responses=[answer]), linker)
    delta = extractor.propose("I loved Heat (1995) and Zzyzx Qwerty with Al Pacino, no horror")
    assert delta.liked_items == (HEAT,)
    assert delta.liked_attributes == (("cast", "Al Pacino"),)
    assert delta.exclude == (("genres", "Horror"),)
    assert delta.unlinked == ("Zzyzx Qwerty",)


def test_names_the_message_does_not_contain_are_dropped(linker: EntityLinker) -> None:
    answer = '{"liked_titles": ["The Matrix", "Inception"], "liked_people": ["Christopher Nolan"]}'
    delta = PreferenceExtractor(FakeListChatModel(responses=[answer]), linker).propose("I loved The Matrix")
    assert (delta.liked_items, delta.liked_attributes, delta.unlinked) == ((MATRIX,), (), ())


def test_an_unreadable_answer_is_asked_for_again_then_dropped(linker: EntityLinker) -> None:
    good = '{"liked_titles": ["The Matrix"]}'
    retried = PreferenceExtractor(FakeListChatModel(responses=["no idea", good]), linker).propose("I loved The Matrix")
    assert retried.liked_items == (MATRIX,)
    dropped = PreferenceExtractor(FakeListChatModel(responses=["no idea", "still no"]), linker).propose(
        "I loved The Matrix"
    )
    assert dropped.is_empty()


def test_the_rules_win_conflicts_and_the_model_adds_what_they_missed(linker: EntityLinker) -> None:
    message = "I don't like Alien (1979). heat was fun"
    rules = TurnInterpreter(linker).interpret(message).delta
    assert rules.disliked_items == (ALIEN,) and HEAT not in rules.liked_items
    answer = '{"liked_titles": ["Alien (1979)", "heat"]}'
    proposal = PreferenceExtractor(FakeListChatModel(responses=[answer]), linker).propose(message)
    merged = combine(rules, proposal)
    assert merged.disliked_items == (ALIEN,)
    assert merged.liked_items == (HEAT,)


def test_the_packaged_model_proposes_only_grounded_names_from_the_message(qwen_assistant: Assistant) -> None:
    message = "I loved The Matrix and Heat, but I hate horror movies"
    linker = qwen_assistant.pipeline.understand.interpreter.linker
    delta = PreferenceExtractor(qwen_assistant.parts.chat_model, linker).propose(message)
    items = qwen_assistant.catalogue.items
    assert set(delta.liked_items + delta.disliked_items + delta.seen_items) <= {MATRIX, HEAT}
    assert all(items[item_id].display_title[:-7].casefold() in message.casefold() for item_id in delta.liked_items)
    merged = combine(qwen_assistant.pipeline.understand.interpreter.interpret(message).delta, delta)
    assert merged.liked_items[:2] == (MATRIX, HEAT) and merged.exclude == (("genres", "Horror"),)
