"""Turn understanding on the real demo catalogue: linking, polarity, constraints."""

from __future__ import annotations

import pytest

from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker
from assistant.understanding.years import RECENT_YEARS, recency_floor, year_constraints
from kg.catalogue import Catalogue
from retrieval.collaborative import CoLikeIndex

pytestmark = pytest.mark.fast


@pytest.fixture(scope="module")
def interpreter(demo_catalogue: Catalogue) -> TurnInterpreter:
    colike = CoLikeIndex(demo_catalogue.interactions, list(demo_catalogue.items), 4.0)
    return TurnInterpreter(EntityLinker(demo_catalogue, lambda item_id: float(colike.like_count(item_id))))


def titles(catalogue: Catalogue, item_ids: tuple[str, ...]) -> list[str]:
    return [catalogue.items[item_id].display_title for item_id in item_ids]


def test_liked_titles_are_linked(interpreter: TurnInterpreter, demo_catalogue: Catalogue) -> None:
    delta = interpreter.interpret("I loved The Matrix and Blade Runner").delta
    assert titles(demo_catalogue, delta.liked_items) == ["The Matrix (1999)", "Blade Runner (1982)"]
    assert delta.disliked_items == ()


def test_negation_genre_exclusion_and_year(interpreter: TurnInterpreter, demo_catalogue: Catalogue) -> None:
    delta = interpreter.interpret("Something like Arrival, but not horror, after 2010").delta
    assert titles(demo_catalogue, delta.liked_items) == ["Arrival (2016)"]
    assert delta.exclude == (("genres", "Horror"),)
    assert delta.year_min == 2011
    assert delta.year_max is None


@pytest.mark.parametrize(
    ("message", "field", "expected"),
    [
        ("I hated Titanic", "disliked_items", ["Titanic (1997)"]),
        ("I've seen Inception already", "seen_items", ["Inception (2010)"]),
        ("I don't like Tom Cruise but loved Top Gun", "liked_items", ["Top Gun (1986)"]),
        ('I liked "Blade Runer"', "liked_items", ["Blade Runner (1982)"]),
        ("Heat (1995) was great", "liked_items", ["Heat (1995)"]),
    ],
)
def test_item_polarity(
    interpreter: TurnInterpreter, demo_catalogue: Catalogue, message: str, field: str, expected: list[str]
) -> None:
    assert titles(demo_catalogue, getattr(interpreter.interpret(message).delta, field)) == expected


def test_people_and_requested_genres(interpreter: TurnInterpreter) -> None:
    delta = interpreter.interpret("I don't like Tom Cruise. A comedy with Jim Carrey from the 90s").delta
    assert delta.disliked_attributes == (("cast", "Tom Cruise"),)
    assert ("cast", "Jim Carrey") in delta.liked_attributes
    assert delta.include == (("genres", "Comedy"),)
    assert (delta.year_min, delta.year_max) == (1990, 1999)


def test_common_words_are_not_titles(interpreter: TurnInterpreter) -> None:
    understanding = interpreter.interpret("what's up? anything good for tonight, it has been a long day")
    assert understanding.delta.liked_items == ()
    assert understanding.mentions == ()


def test_unknown_quoted_name_is_kept_as_text(interpreter: TurnInterpreter) -> None:
    delta = interpreter.interpret('I love "Zzyzx Qwerty Returns"').delta
    assert delta.liked_items == ()
    assert delta.unlinked == ("Zzyzx Qwerty Returns",)


def test_small_talk_is_not_a_request(interpreter: TurnInterpreter) -> None:
    assert interpreter.interpret("hi").intent == "chat"
    assert interpreter.interpret("hi, I loved Alien").intent == "recommend"


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("after 2010", (2011, None)),
        ("since 2005", (2005, None)),
        ("before 1990", (None, 1989)),
        ("from the 90s", (1990, 1999)),
        ("1980s please", (1980, 1989)),
        ("the 00s", (2000, 2009)),
        ("between 2000 and 1995", (1995, 2000)),
        ("2010 or later", (2010, None)),
        ("no years here", (None, None)),
        ("I liked Heat and The Godfather, nothing before 1970", (1970, None)),
        ("I don't want anything after 2000", (None, 2000)),
        ("not before 1990", (1990, None)),
        ("no older than 1985", (1985, None)),
        ("nothing older than 1980 and before 2000", (1980, 1999)),
        ("Do know any good movies from 2017?", (2017, 2017)),
        ("hi any good 2017 movies?", (2017, 2017)),
        ("anything from 2005 onwards", (2005, None)),
        ("from 1995 to 2000", (1995, 2000)),
        ("any other good comedies from the late 70's or 1980's?", (1977, 1989)),
        ("some good movies from mid 2000's or earlier", (None, 2006)),
        ("early 90s thrillers", (1990, 1993)),
    ],
)
def test_year_constraints(text: str, bounds: tuple[int | None, int | None]) -> None:
    assert year_constraints(text) == bounds


@pytest.mark.parametrize(
    ("text", "floor"),
    [
        ("Yes how about some more recent comedies like the last 3 years or so.", 2016),
        ("I was hoping for a more recent movie Do you know of any newer movies?", 2018 - RECENT_YEARS + 1),
        ("Is there a good recent action movie?", 2018 - RECENT_YEARS + 1),
        ("anything from the past couple of years", 2017),
        ("I am looking for some new movies to watch", None),
        ("I loved that one, it's a classic", None),
        ("For sure I have seen that one! Modern western classic in my opinion.", None),
        ("I recently watched The Shining", None),
    ],
)
def test_recency_counts_back_from_the_newest_catalogue_year(text: str, floor: int | None) -> None:
    """Real ReDial phrasings; 'new movies' means new to the speaker, not recent."""
    assert recency_floor(text, latest_year=2018) == floor


def test_recent_becomes_a_year_floor_from_the_catalogue(
    interpreter: TurnInterpreter, demo_catalogue: Catalogue
) -> None:
    latest = max(item.year for item in demo_catalogue.items.values() if item.year)
    delta = interpreter.interpret("Is there a good recent action movie?").delta
    assert delta.year_min == latest - RECENT_YEARS + 1
    assert interpreter.interpret("a recent film, but after 1990").delta.year_min == 1991


def test_that_one_means_the_title_just_named_over_the_last_suggestion(
    interpreter: TurnInterpreter, demo_catalogue: Catalogue
) -> None:
    alien = "1214"
    delta = interpreter.interpret("Or Heat (1995), I really liked that one", last_suggestions=[alien]).delta
    assert titles(demo_catalogue, delta.liked_items) == ["Heat (1995)"]
    assert interpreter.interpret("not that one", last_suggestions=[alien]).delta.disliked_items == (alien,)


def test_never_heard_of_it_is_no_opinion(interpreter: TurnInterpreter) -> None:
    delta = interpreter.interpret("hmm never heard of that one", last_suggestions=["1214"]).delta
    assert (delta.liked_items, delta.disliked_items, delta.seen_items) == ((), (), ())


@pytest.mark.parametrize(
    ("text", "liked", "included"),
    [
        ("That was so funny", (("genres", "Comedy"),), ()),
        ("Oh ya that was funny! I also liked it", (("genres", "Comedy"),), ()),
        ("It sounds scary, I will look for it", (("genres", "Horror"),), ()),
        ("I also saw The House (2017). That was kind of funny.", (("genres", "Comedy"),), ()),
        ("That would be great. Those movies were funny.", (("genres", "Comedy"),), ()),
        ("I want a funny movie", (), (("genres", "Comedy"),)),
        ("I'd like something that is funny", (), (("genres", "Comedy"),)),
    ],
)
def test_a_genre_said_of_a_film_is_a_taste_and_a_genre_asked_for_is_a_constraint(
    interpreter: TurnInterpreter, text: str, liked: tuple, included: tuple
) -> None:
    delta = interpreter.interpret(text).delta
    assert (delta.liked_attributes, delta.include) == (liked, included)


def test_a_genre_said_not_to_be_in_a_film_is_a_dislike_not_an_exclusion(interpreter: TurnInterpreter) -> None:
    delta = interpreter.interpret("that was not funny").delta
    assert (delta.disliked_attributes, delta.exclude) == ((("genres", "Comedy"),), ())


@pytest.mark.parametrize(
    ("text", "excluded", "included"),
    [
        ("anything but fantasy movies", (("genres", "Fantasy"),), ()),
        ("Everything but musicals", (("genres", "Musical"),), ()),
        ("anything but horror please, maybe a comedy", (("genres", "Horror"),), (("genres", "Comedy"),)),
    ],
)
def test_anything_but_excludes_only_what_follows_it(
    interpreter: TurnInterpreter, text: str, excluded: tuple, included: tuple
) -> None:
    delta = interpreter.interpret(text).delta
    assert (delta.exclude, delta.include) == (excluded, included)


def test_open_to_anything_but_then_a_like_is_a_like(interpreter: TurnInterpreter) -> None:
    delta = interpreter.interpret("I am open to anything but I really like Drama").delta
    assert (delta.liked_attributes, delta.exclude, delta.include) == ((("genres", "Drama"),), (), ())
