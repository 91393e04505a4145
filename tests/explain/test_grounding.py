"""The grounding rule for introductions and small talk, on the sentences people actually got from the small model."""

from __future__ import annotations

import pytest

from assistant.explain.grounding import ReplyContext, ReplyTextChecker
from assistant.explain.reply_text import sentences, template_intro
from assistant.types import ItemCard
from assistant.understanding.linking import EntityLinker
from kg.catalogue import Catalogue
from prompts import load_prompt

pytestmark = pytest.mark.fast


@pytest.fixture(scope="module")
def checker(demo_linker: EntityLinker) -> ReplyTextChecker:
    return ReplyTextChecker(demo_linker)


def arrival_turn(demo_catalogue: Catalogue) -> ReplyContext:
    contact = next(item for item in demo_catalogue.items.values() if item.display_title == "Contact (1997)")
    return ReplyContext(
        message="I want something like Arrival, but not horror, and made after 2010",
        profile_values=("Horror", "2011"),
        ruled_out=("Horror",),
        suggestions=(ItemCard.from_item(contact),),
    )


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        (
            "Arrival is a classic horror film that has been around for over 20 years, making it a great choice.",
            "contradicts the limit on 'horror'",
        ),
        ("Arrival is a classic horror film.", "adds words the turn does not support: classic"),
        ("It has been around for over 20 years.", "number 20 is not in the turn"),
        ("They like nothing yet, and their limits are until 1989.", "says 'they' about the person"),
        ("Their limits: none.", "echoes the prompt"),
        ("You will love Titanic (1997) and Forrest Gump (1994).", "names the film 'Forrest Gump (1994)'"),
    ],
)
def test_what_the_small_model_wrote_is_refused(
    checker: ReplyTextChecker, demo_catalogue: Catalogue, sentence: str, problem: str
) -> None:
    verdict = checker.check(sentence, arrival_turn(demo_catalogue))
    assert not verdict.faithful and any(problem in found for found in verdict.problems), verdict.problems


@pytest.mark.parametrize(
    "sentence",
    [
        "Here are some picks for you.",
        "These fit what you asked for, with no horror, after 2010.",
        "Since you want something like Arrival, I hope you find one for tonight.",
    ],
)
def test_plain_introductions_pass(checker: ReplyTextChecker, demo_catalogue: Catalogue, sentence: str) -> None:
    verdict = checker.check(sentence, arrival_turn(demo_catalogue))
    assert verdict.faithful, verdict.problems


def test_a_liked_film_offered_as_a_suggestion_is_refused(checker: ReplyTextChecker) -> None:
    context = ReplyContext(message="I loved Ocean's Eleven", liked_titles=("Ocean's Eleven (2001)",))
    verdict = checker.check("Here are some films you may enjoy: 1. Ocean's Eleven (2001) 2.", context)
    assert any("already liked" in problem for problem in verdict.problems), verdict.problems
    assert checker.check("Since you loved Ocean's Eleven, here are some picks for you.", context).faithful


@pytest.mark.parametrize(
    "sentence",
    ["I love Heat and Collateral, no romance.", "I'm a big fan of Heat.", "My favourite is Heat.", "We loved Heat."],
)
def test_the_persons_taste_echoed_as_the_assistants_own_is_refused(checker: ReplyTextChecker, sentence: str) -> None:
    context = ReplyContext(message="I love Heat and Collateral, no romance", liked_titles=("Heat (1995)",))
    verdict = checker.check(sentence, context)
    assert "speaks of a taste as its own" in verdict.problems, verdict.problems
    assert checker.check("You love Heat and Collateral, no romance.", context).faithful


def test_an_answer_to_an_off_topic_question_is_refused(checker: ReplyTextChecker) -> None:
    verdict = checker.check("Paris is the capital of France.", ReplyContext(message="What is the capital of France?"))
    assert not verdict.faithful and "paris" in " ".join(verdict.problems)


def test_every_template_passes_the_rule_it_stands_in_for(checker: ReplyTextChecker, demo_catalogue: Catalogue) -> None:
    """The templates are the net under the model's words, so they must be grounded by construction."""
    context = ReplyContext(
        message="I loved Heat and Alien, no horror please",
        liked_titles=("Heat (1995)", "Alien (1979)"),
        profile_values=("Horror", "1930"),
        ruled_out=("Horror",),
        suggestions=tuple(ItemCard.from_item(demo_catalogue.items[item_id]) for item_id in ("1", "2")),
    )
    texts = [
        template_intro(2, context.liked_titles),
        template_intro(2, ()),
        load_prompt("small_talk_fallback"),
        load_prompt("thanks"),
        load_prompt("no_results").format(constraints="no Horror"),
        load_prompt("no_results").format(constraints="from 1930; until 1930; no Horror"),
    ]
    for text in texts:
        for sentence in sentences(text):
            verdict = checker.check(sentence, context)
            assert verdict.faithful, (sentence, verdict.problems)


def test_the_template_introduction_names_liked_films_with_their_alternative_titles(
    checker: ReplyTextChecker, demo_catalogue: Catalogue
) -> None:
    """'Ghostbusters (a.k.a. Ghost Busters) (1984)' holds a second title, which is the same liked film."""
    titled = [item.display_title for item in demo_catalogue.items.values() if "(a.k.a." in item.display_title]
    translated = [item.display_title for item in demo_catalogue.items.values() if item.display_title.count("(") > 1]
    liked = (titled[0], *translated[:2], "The Good, the Bad and the Ugly (Buono, il brutto, il cattivo, Il) (1966)")
    suggestions = tuple(ItemCard.from_item(demo_catalogue.items[item_id]) for item_id in ("1", "2"))
    context = ReplyContext(
        message="Those were great, I liked those movies.", liked_titles=liked, suggestions=suggestions
    )
    assert len(sentences(template_intro(2, liked))) == 1
    for sentence in sentences(template_intro(2, liked)):
        verdict = checker.check(sentence, context)
        assert verdict.faithful, (sentence, verdict.problems)


def test_a_sentence_does_not_end_inside_a_title() -> None:
    assert sentences("You liked Dr. Strangelove and Mr. & Mrs. Smith. Ghostbusters (a.k.a. Ghost Busters) too.") == [
        "You liked Dr. Strangelove and Mr. & Mrs. Smith.",
        "Ghostbusters (a.k.a. Ghost Busters) too.",
    ]
