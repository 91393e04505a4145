"""Entity linking of people whose names are spelt a little wrong, and of moods and themes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.sessions.profile import UserProfile
from assistant.understanding.linking import EntityLinker
from kg.catalogue import Catalogue, Item
from kg.schema import MOVIE_SCHEMA


@pytest.fixture(scope="module")
def linker(demo_catalogue: Catalogue) -> EntityLinker:
    return EntityLinker(demo_catalogue, lambda item_id: 0.0)


def people(linker: EntityLinker, message: str) -> list[tuple[str, str | None, str | None]]:
    return [
        (mention.surface, mention.field, mention.value) for mention in linker.link(message)[0] if not mention.is_item
    ]


@pytest.mark.parametrize(
    ("message", "surface", "person"),
    [
        ("I love Nicholas Cage movies", "Nicholas Cage", "Nicolas Cage"),
        ("anything with leonardo di caprio please", "leonardo di caprio", "Leonardo DiCaprio"),
        ("something starring Jonny Depp?", "Jonny Depp", "Johnny Depp"),
    ],
)
def test_a_misspelt_full_name_links_to_the_person(
    linker: EntityLinker, message: str, surface: str, person: str
) -> None:
    assert people(linker, message) == [(surface, "cast", person)]


def test_exact_names_keep_their_exact_link(linker: EntityLinker) -> None:
    assert people(linker, "Meg Ryan and Nicolas Cage") == [
        ("Meg Ryan", "cast", "Meg Ryan"),
        ("Nicolas Cage", "cast", "Nicolas Cage"),
    ]


@pytest.mark.parametrize(
    "message",
    [
        "with sam L jackson, a great actor",
        "I watched it with my best friend",
        "Robert Downy",
        "Nicholas Kage Smith 123",
    ],
)
def test_words_far_from_any_name_or_behind_an_initial_link_no_person(linker: EntityLinker, message: str) -> None:
    assert [person for _, field_name, person in people(linker, message) if field_name in {"cast", "directors"}] == []


def test_a_misspelling_as_close_to_two_people_links_neither() -> None:
    items = {
        "1": Item("1", "First", 2000, {"cast": ("Anna Berg",)}),
        "2": Item("2", "Second", 2001, {"cast": ("Anne Berg",)}),
        "3": Item("3", "Third", 2002, {"cast": ("Oskar Lindqvist",)}),
    }
    linker = EntityLinker(Catalogue(Path("."), items, (), MOVIE_SCHEMA), lambda item_id: 0.0)
    assert people(linker, "something with Anni Berg") == []
    assert people(linker, "something with Oscar Lindqvist") == [("Oscar Lindqvist", "cast", "Oskar Lindqvist")]


def tags(linker: EntityLinker, message: str) -> list[str | None]:
    return [mention.value for mention in linker.link(message)[0] if mention.field == "tags"]


@pytest.mark.parametrize(
    ("message", "wanted"),
    [
        ("anything with zombies", ["zombies"]),
        ("I'm in the mood for a heist movie", ["heist"]),
        ("something atmospheric, maybe with time travel", ["atmospheric", "time travel"]),
    ],
)
def test_moods_and_themes_link_to_the_catalogues_tags(linker: EntityLinker, message: str, wanted: list[str]) -> None:
    assert tags(linker, message) == wanted


@pytest.mark.parametrize(
    "message",
    [
        "That one is in Netflix queue, not seen it yet, bad acting though",
        "I hope you had a good week, I'm moving soon",
        "it had a sword fight and a hula hoop",
    ],
)
def test_verdicts_vague_words_and_one_viewers_tags_are_not_moods(linker: EntityLinker, message: str) -> None:
    assert tags(linker, message) == []


def test_a_theme_the_user_asks_for_is_a_liked_attribute_and_one_they_refuse_bans_it(fast_assistant: Assistant) -> None:
    understanding = fast_assistant.pipeline.understand.interpreter.interpret("a heist movie please, but no zombies")
    assert understanding.delta.liked_attributes == (("tags", "heist"),)
    assert understanding.delta.disliked_attributes == (("tags", "zombies"),)
    profile = UserProfile().apply(understanding.delta)
    recommendations = fast_assistant.recommend(profile, "a heist movie please, but no zombies").recommendations
    assert any(
        ("tags", "heist") in {(m.field, m.value) for m in rec.evidence.attribute_matches} for rec in recommendations
    )
    assert not any("zombies" in fast_assistant.catalogue.items[rec.item.id].values("tags") for rec in recommendations)
