"""The faithfulness checker accepts restated evidence and rejects anything added."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.api import Assistant
from assistant.explain.faithfulness import FaithfulnessChecker
from assistant.explain.templates import card_fact, evidence_facts, template_justification
from assistant.explain.writer import JustificationWriter, sentences_of
from assistant.sessions.profile import UserProfile
from assistant.types import ItemCard, Recommendation
from assistant.understanding.linking import EntityLinker
from kg.catalogue import Catalogue
from prompts import load_examples
from retrieval.collaborative import CoLikeIndex
from retrieval.evidence import (
    CollaborativeEvidence,
    ConversationEvidence,
    Evidence,
    PathEvidence,
    PathNodeEvidence,
)

ALIEN = "1214"


@pytest.fixture(scope="module")
def checker(demo_catalogue: Catalogue) -> FaithfulnessChecker:
    colike = CoLikeIndex(demo_catalogue.interactions, list(demo_catalogue.items), 4.0)
    linker = EntityLinker(demo_catalogue, lambda item_id: float(colike.like_count(item_id)))
    return FaithfulnessChecker(linker, demo_catalogue.schema)


@pytest.fixture(scope="module")
def evidence() -> Evidence:
    return Evidence(
        paths=(
            PathEvidence(
                nodes=(
                    PathNodeEvidence(kind="item", key="541", name="Blade Runner (1982)"),
                    PathNodeEvidence(kind="Person", key="ridley scott", name="Ridley Scott"),
                    PathNodeEvidence(kind="item", key=ALIEN, name="Alien (1979)"),
                ),
                relations=("DIRECTED", "DIRECTED"),
            ),
        ),
        collaborative=CollaborativeEvidence(
            source_item_id="2571", source_title="The Matrix (1999)", co_likers=56, mean_rating=4.3
        ),
    )


@pytest.fixture(scope="module")
def card(demo_catalogue: Catalogue) -> ItemCard:
    return ItemCard.from_item(demo_catalogue.items[ALIEN])


@pytest.mark.parametrize(
    "sentence",
    [
        "Since you loved Blade Runner, you'll enjoy Alien, another film directed by Ridley Scott.",
        "Alien (1979) was directed by Ridley Scott, like Blade Runner (1982), and 56 people who liked The Matrix rated it 4.3.",
        "Alien is a Horror and Sci-Fi film from Ridley Scott.",
        "If you liked Blade Runner, Alien by the same director, Ridley Scott, is one for you.",
        "56 people who liked The Matrix also liked Alien, rating it 4.3 out of 5 on average.",
    ],
)
def test_restated_evidence_passes(
    checker: FaithfulnessChecker, evidence: Evidence, card: ItemCard, sentence: str
) -> None:
    verdict = checker.check(sentence, evidence, card)
    assert verdict.faithful, verdict.problems


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        ("Alien was directed by Sigourney Weaver.", "Sigourney Weaver"),
        ("Like Blade Runner, Alien stars Harrison Ford.", "Harrison Ford"),
        ("Alien, starring Ridley Scott, is a classic.", "role (cast)"),
        ("Fans of The Terminator will love Alien.", "The Terminator"),
        ("57 people loved it.", "number 57"),
        ("It won 4 Oscars.", "number 4"),
        ("Alien was written by Dan O'Bannon and Zorblax Quint.", "Zorblax Quint"),
        ("You may enjoy Alien because it is a sci-fi action film.", "genre 'action'"),
        ("Alien is a thriller that stars Blade Runner.", "credits the title"),
        ("Alien is a critically acclaimed masterpiece by Ridley Scott.", "acclaimed"),
        ("Alien is about a man who can fly.", "fly"),
        ("You may enjoy Blade Runner because it was directed by Ridley Scott.", "recommends 'blade runner"),
        ("Alien is not what people who liked The Matrix expected.", "not"),
        ("56 people who liked Alien rated it 4.3 out of 5 on average.", "count is of those who liked"),
        ("56 people who liked Blade Runner also liked Alien.", "count is of those who liked"),
    ],
)
def test_additions_fail(
    checker: FaithfulnessChecker, evidence: Evidence, card: ItemCard, sentence: str, problem: str
) -> None:
    verdict = checker.check(sentence, evidence, card)
    assert not verdict.faithful
    assert any(problem in text for text in verdict.problems), verdict.problems


def test_the_template_always_passes(
    checker: FaithfulnessChecker, evidence: Evidence, card: ItemCard, demo_catalogue: Catalogue
) -> None:
    sentence = template_justification(evidence, demo_catalogue.schema, card.title)
    assert checker.check(sentence, evidence, card).faithful


def test_the_template_passes_on_real_turns(fast_assistant: Assistant) -> None:
    """Every template sentence of real recommendations is accepted: the fallback is faithful by construction."""
    requests = [
        "Hey, did you like The Shape of Water (2017) ?",
        "I like documentaries.",
        "Hi can you help me find a romantic comedy?",
        "Hi yes I love Fast & Furious (2009) do you know any movies like that?",
        "I have seen dunkirk once, any more suggestions?",
        "I loved The Matrix and Blade Runner",
    ]
    for request in requests:
        profile = UserProfile().apply(fast_assistant.pipeline.understand.interpreter.interpret(request).delta)
        for rec in fast_assistant.recommend(profile, request).recommendations:
            verdict = fast_assistant.pipeline.explain.check(rec)
            assert verdict.faithful, (rec.item.title, rec.justification, verdict.problems)


def test_facts_for_the_prompt_come_from_the_evidence(
    evidence: Evidence, card: ItemCard, demo_catalogue: Catalogue
) -> None:
    facts = evidence_facts(evidence, demo_catalogue.schema, card)
    assert facts == [
        "You liked Blade Runner (1982); Alien (1979) was directed by Ridley Scott as well.",
        "56 people who liked The Matrix (1999) also liked Alien (1979), rating it 4.3 out of 5 on average.",
    ]


def test_thin_evidence_adds_the_items_own_catalogue_facts(card: ItemCard, demo_catalogue: Catalogue) -> None:
    facts = evidence_facts(Evidence(vector_similarity=0.61), demo_catalogue.schema, card)
    assert facts == [card_fact(card)]
    assert facts[0].startswith("Alien (1979) is ") and "directed by Ridley Scott" in facts[0]


def test_answers_are_cut_into_two_clean_sentences() -> None:
    assert sentences_of('**Explanation:** "You will love it." It is great! Third one.') == [
        "You will love it.",
        "It is great!",
    ]
    harry = "When Harry Met Sally..."
    assert sentences_of(f"28 people who liked {harry} also liked it. Great.", [harry]) == [
        f"28 people who liked {harry} also liked it.",
        "Great.",
    ]
    assert sentences_of("11 people who liked Jumanji also liked Mr. Holland's Opus. Yes.") == [
        "11 people who liked Jumanji also liked Mr. Holland's Opus.",
        "Yes.",
    ]


def test_worked_examples_are_shown_in_the_task_format() -> None:
    examples = load_examples("justify_examples")
    assert len(examples) >= 3
    for request, answer in examples:
        assert request.startswith("Movie: ") and "\nFacts:\n1. " in request
        assert answer and "Answer" not in answer


def draft(evidence: Evidence, card: ItemCard, demo_catalogue: Catalogue) -> Recommendation:
    return Recommendation(
        item=card,
        score=1.0,
        evidence=evidence,
        justification=template_justification(evidence, demo_catalogue.schema, card.title),
    )


@pytest.mark.parametrize(
    ("wording", "kept"),
    [
        (
            "Since you liked Blade Runner, you may enjoy Alien, also directed by Ridley Scott.",
            "Since you liked Blade Runner, you may enjoy Alien, also directed by Ridley Scott.",
        ),
        (
            "Like Blade Runner, Alien was directed by Ridley Scott. It is a timeless masterpiece of suspense.",
            "Like Blade Runner, Alien was directed by Ridley Scott.",
        ),
    ],
    ids=["faithful-wording", "invented-praise-dropped"],
)
def test_writer_keeps_the_faithful_leading_sentences(
    checker: FaithfulnessChecker, evidence: Evidence, card: ItemCard, demo_catalogue: Catalogue, wording: str, kept: str
) -> None:
    writer = JustificationWriter(FakeListChatModel(responses=[wording]), checker, demo_catalogue.schema)
    result = writer.rewrite(draft(evidence, card, demo_catalogue))
    assert (result.justification, result.justification_source, result.llm_attempts) == (kept, "llm", 1)


@pytest.mark.parametrize(
    "wording",
    [
        "Blade Runner was directed by Ridley Scott.",
        "You may enjoy Alien.",
        "Like Blade Runner, Alien was directed by Ridley Scott, as Ridley Scott directed it.",
    ],
    ids=["about-the-liked-item", "states-no-fact", "repeats-a-name"],
)
def test_writer_refuses_faithful_sentences_that_read_wrong(
    checker: FaithfulnessChecker, evidence: Evidence, card: ItemCard, demo_catalogue: Catalogue, wording: str
) -> None:
    writer = JustificationWriter(FakeListChatModel(responses=[wording, wording]), checker, demo_catalogue.schema)
    original = draft(evidence, card, demo_catalogue)
    result = writer.rewrite(original)
    assert (result.justification, result.justification_source) == (original.justification, "template")


def test_writer_retries_once_then_falls_back_to_the_template(
    checker: FaithfulnessChecker, evidence: Evidence, card: ItemCard, demo_catalogue: Catalogue
) -> None:
    first = "Alien stars Harrison Ford."
    second = "Alien is a critically acclaimed masterpiece."
    model = FakeListChatModel(responses=[first, second])
    writer = JustificationWriter(model, checker, demo_catalogue.schema)
    original = draft(evidence, card, demo_catalogue)
    result = writer.rewrite(original)
    assert result.justification == original.justification
    assert (result.justification_source, result.llm_attempts) == ("template", 2)


def test_writer_with_the_packaged_model_is_faithful_or_falls_back(
    fast_assistant: Assistant,
    checker: FaithfulnessChecker,
    evidence: Evidence,
    card: ItemCard,
    demo_catalogue: Catalogue,
) -> None:
    original = draft(evidence, card, demo_catalogue)
    writer = JustificationWriter(fast_assistant.parts.chat_model, checker, demo_catalogue.schema)
    result = writer.rewrite(original)
    assert result.llm_attempts in (1, 2)
    if result.justification_source == "llm":
        assert checker.check(
            result.justification, evidence, card, evidence_facts(evidence, demo_catalogue.schema, card)
        ).faithful
    else:
        assert result.justification == original.justification and result.llm_attempts == 2


@pytest.fixture(scope="module")
def conversed(evidence: Evidence) -> Evidence:
    """The evidence above plus a co-mention count: recommended in conversations after The Terminator."""
    conversations = ConversationEvidence(source_item_id="1240", source_title="The Terminator (1984)", people=14)
    return evidence.model_copy(update={"conversations": conversations})


@pytest.mark.fast
@pytest.mark.parametrize(
    "sentence",
    [
        "Alien was recommended in conversations to 14 people who also liked The Terminator.",
        "Recommended in conversations to 14 people who also liked The Terminator (1984).",
        "56 people who liked The Matrix also liked Alien, and in conversations it was recommended to 14 people "
        "who liked The Terminator.",
        "Alien (1979) was recommended in conversations to 14 people who also liked The Terminator (1984).",
    ],
)
def test_a_conversation_count_of_its_own_film_passes(
    checker: FaithfulnessChecker, conversed: Evidence, card: ItemCard, sentence: str
) -> None:
    verdict = checker.check(sentence, conversed, card)
    assert verdict.faithful, verdict.problems


@pytest.mark.fast
@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        (
            "Alien was recommended in conversations to 14 people who also liked The Matrix.",
            "count is of those who liked",
        ),
        ("Alien was recommended in conversations to 14 people who liked Blade Runner.", "count is of those who liked"),
        ("56 people who liked The Terminator also liked Alien.", "count is of those who liked 'The Matrix (1999)'"),
        ("Alien was recommended in conversations to 56 people who also liked The Terminator.", "does not count"),
        ("14 people who liked The Matrix also liked Alien.", "does not count"),
        ("Alien was recommended in conversations to 15 people who liked The Terminator.", "number 15"),
    ],
)
def test_a_swapped_film_or_count_fails(
    checker: FaithfulnessChecker, conversed: Evidence, card: ItemCard, sentence: str, problem: str
) -> None:
    verdict = checker.check(sentence, conversed, card)
    assert not verdict.faithful
    assert any(problem in text for text in verdict.problems), verdict.problems


@pytest.mark.fast
def test_conversations_are_not_claimed_without_a_co_mention_count(
    checker: FaithfulnessChecker, evidence: Evidence, card: ItemCard
) -> None:
    verdict = checker.check("Alien was recommended in conversations to 56 people who liked The Matrix.", evidence, card)
    assert not verdict.faithful
    assert any("conversations" in text for text in verdict.problems), verdict.problems


@pytest.mark.fast
def test_the_template_and_the_facts_of_a_conversation_count_pass(
    checker: FaithfulnessChecker, conversed: Evidence, card: ItemCard, demo_catalogue: Catalogue
) -> None:
    only_conversations = Evidence(conversations=conversed.conversations)
    for evidence in (conversed, only_conversations):
        facts = evidence_facts(evidence, demo_catalogue.schema, card)
        for sentence in [template_justification(evidence, demo_catalogue.schema, card.title), *facts]:
            verdict = checker.check(sentence, evidence, card, facts)
            assert verdict.faithful, (sentence, verdict.problems)
    assert evidence_facts(only_conversations, demo_catalogue.schema, card) == [
        "Alien (1979) was recommended in conversations to 14 people who also liked The Terminator (1984)."
    ]


@pytest.mark.fast
def test_the_writer_keeps_the_conversation_source_title_whole() -> None:
    conversations = ConversationEvidence(source_item_id="2", source_title="Airplane! (1980)", people=3)
    recommendation = Recommendation(
        item=ItemCard(id="1", title="Top Secret! (1984)", year=1984),
        score=1.0,
        evidence=Evidence(conversations=conversations),
        justification="",
    )
    assert {"Airplane! (1980)", "Airplane!", "Top Secret!"} <= JustificationWriter._titles(recommendation)


@pytest.fixture(scope="module")
def discovered(evidence: Evidence) -> Evidence:
    """The evidence above, for a pick that re-ranking brought in: 9 people liked it, the score's own picks 180."""
    from retrieval.evidence import DiscoveryEvidence

    discovery = DiscoveryEvidence(score_position=14, likes=9, typical_likes=180, diversity=1.5)
    return evidence.model_copy(update={"discovery": discovery})


@pytest.mark.fast
@pytest.mark.parametrize(
    "sentence",
    [
        "A hidden gem directed by Ridley Scott, like Blade Runner.",
        "Alien is a less known film: only 9 people liked it.",
        "Alien was brought in for variety.",
    ],
)
def test_a_less_known_pick_may_say_so_with_its_counts(
    checker: FaithfulnessChecker, discovered: Evidence, card: ItemCard, sentence: str
) -> None:
    verdict = checker.check(sentence, discovered, card)
    assert verdict.faithful, verdict.problems


@pytest.mark.fast
@pytest.mark.parametrize(
    "sentence",
    [
        "Alien is a hidden gem directed by Ridley Scott.",
        "A lesser-known film directed by Ridley Scott, like Blade Runner.",
        "Alien, an underrated film by Ridley Scott.",
    ],
)
def test_less_known_is_never_claimed_without_the_re_ranking_fact(
    checker: FaithfulnessChecker, evidence: Evidence, card: ItemCard, sentence: str
) -> None:
    verdict = checker.check(sentence, evidence, card)
    assert not verdict.faithful
    assert any("less known" in text for text in verdict.problems), verdict.problems


@pytest.mark.fast
def test_a_less_known_pick_with_a_made_up_count_fails(
    checker: FaithfulnessChecker, discovered: Evidence, card: ItemCard
) -> None:
    verdict = checker.check("Alien is a hidden gem: only 7 people liked it.", discovered, card)
    assert not verdict.faithful and any("number 7" in text for text in verdict.problems)


@pytest.mark.fast
def test_the_template_and_facts_of_a_less_known_pick_pass(
    checker: FaithfulnessChecker, discovered: Evidence, card: ItemCard, demo_catalogue: Catalogue
) -> None:
    facts = evidence_facts(discovered, demo_catalogue.schema, card)
    for sentence in [template_justification(discovered, demo_catalogue.schema, card.title), *facts]:
        verdict = checker.check(sentence, discovered, card, facts)
        assert verdict.faithful, (sentence, verdict.problems)


@pytest.mark.fast
def test_the_writer_keeps_saying_that_a_pick_was_brought_in(
    checker: FaithfulnessChecker, discovered: Evidence, card: ItemCard, demo_catalogue: Catalogue
) -> None:
    wording = "Since you loved Blade Runner, you'll enjoy Alien, another film directed by Ridley Scott."
    writer = JustificationWriter(FakeListChatModel(responses=[wording]), checker, demo_catalogue.schema)
    result = writer.rewrite(draft(discovered, card, demo_catalogue))
    assert result.justification_source == "llm"
    assert result.justification == (
        "A less-known pick, brought in for variety: 9 people liked it, against a median of 180 for the films that "
        f"score alone would have listed. {wording}"
    )
    assert checker.check(result.justification, discovered, card).faithful
