"""Relative and mood modifiers: which words ask for which mood, in which direction, and which ask for none."""

from __future__ import annotations

import pytest

from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker
from assistant.understanding.modifiers import moods_of, read_modifiers

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("message", "moods"),
    [
        ("something similar but a bit lighter", (("more", "light"),)),
        ("a feel-good movie for tonight", (("more", "light"),)),
        ("something fun", (("more", "light"),)),
        ("something darker", (("less", "light"),)),
        ("something funnier", (("more", "funny"),)),
        ("less violent please", (("less", "violent"),)),
        ("something way less violent", (("less", "violent"),)),
        ("more romantic", (("more", "romantic"),)),
        ("smarter please", (("more", "smart"),)),
        ("scarier than that", (("more", "scary"),)),
        ("a romantic comedy that isn't cheesy", (("more", "romantic"), ("less", "cheesy"))),
        ("something scary but not gory", (("more", "scary"), ("less", "gory"))),
        ("a slow, thoughtful sci-fi", (("more", "slow"), ("more", "smart"))),
        ("a faster paced thriller", (("less", "slow"),)),
        ("a fast-paced action movie", (("less", "slow"),)),
        ("nothing too sad", (("less", "sad"),)),
        ("I want something that isn't too dark", (("more", "light"),)),
        ("not as dark as the last one", (("more", "light"),)),
        ("Heat was too violent", (("less", "violent"),)),
        ("something deeper", (("more", "smart"),)),
        ("no gore please", (("less", "gory"),)),
        ("something darker, actually no, lighter", (("more", "light"),)),
    ],
)
def test_modifiers_and_their_direction(message: str, moods: tuple[tuple[str, str], ...]) -> None:
    assert moods_of(read_modifiers(message)) == moods


@pytest.mark.parametrize(
    "message",
    [
        "I don't want anything lighter",
        "nothing darker than this",
        "that was so funny",
        "it was really scary",
        "I loved The Godfather",
        "show me more",
        "more like Alien",
        "a comedy from the 90s",
        "movies with Tom Hanks",
        "deep space movies",
        "fast cars and explosions",
        "what is it about?",
    ],
)
def test_plain_requests_negated_comparatives_and_reactions_state_no_mood(message: str) -> None:
    assert read_modifiers(message) == ()


def test_words_inside_a_title_are_the_titles() -> None:
    message = "I liked The Dark Knight"
    start = message.index("The Dark Knight")
    assert read_modifiers(message, [(start, start + len("The Dark Knight"))]) == ()


def test_a_relative_modifier_is_marked_and_spans_its_degree_words() -> None:
    (modifier,) = read_modifiers("something a bit lighter")
    assert modifier.relative
    assert "something a bit lighter"[modifier.start : modifier.end] == "a bit lighter"
    (plain,) = read_modifiers("something fun")
    assert not plain.relative


@pytest.fixture(scope="module")
def interpreter(demo_linker: EntityLinker) -> TurnInterpreter:
    return TurnInterpreter(demo_linker)


def test_a_relative_modifier_is_soft_not_a_constraint_or_a_like(interpreter: TurnInterpreter) -> None:
    romantic = interpreter.interpret("more romantic").delta
    assert romantic.moods == (("more", "romantic"),)
    assert romantic.include == ()
    violent = interpreter.interpret("less violent please").delta
    assert violent.moods == (("less", "violent"),)
    assert violent.liked_attributes == ()


def test_a_plain_mood_that_names_a_genre_stays_the_genres(interpreter: TurnInterpreter) -> None:
    delta = interpreter.interpret("a funny movie").delta
    assert delta.include == (("genres", "Comedy"),)
    assert delta.moods == ()


def test_a_message_of_modifiers_alone_asks_for_films(interpreter: TurnInterpreter) -> None:
    understanding = interpreter.interpret("smarter please")
    assert understanding.intent == "recommend"
    assert understanding.delta.moods == (("more", "smart"),)


def test_a_liked_film_and_a_modifier_in_one_message(interpreter: TurnInterpreter) -> None:
    delta = interpreter.interpret("I loved The Godfather, something like it but lighter").delta
    assert delta.liked_items == ("858",)
    assert delta.moods == (("more", "light"),)
