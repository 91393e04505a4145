"""A bare series name links to the film that started it, is liked as that film, and is never suggested back."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.api import Assistant
from assistant.sessions.memory import InMemorySessionStore
from assistant.settings import Settings
from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker
from assistant.understanding.series import series_heads
from kg.catalogue import Catalogue, Item

pytestmark = pytest.mark.fast

PADDINGTON = "117887"
LOVED_PADDINGTON = "My kids are 7 and 9 and we loved Paddington"


def first_titles(linker: EntityLinker, catalogue: Catalogue, message: str) -> list[str]:
    return [catalogue.items[m.item_id].display_title for m in linker.link(message)[0] if m.item_id is not None]


@pytest.mark.parametrize(
    ("message", "title"),
    [
        ("I loved Star Wars", "Star Wars: Episode IV - A New Hope (1977)"),
        (
            "anything like Harry Potter",
            "Harry Potter and the Sorcerer's Stone (a.k.a. Harry Potter and the Philosopher's Stone) (2001)",
        ),
        ("Toy Story", "Toy Story (1995)"),
        ("we loved Paddington", "Paddington (2014)"),
    ],
)
def test_a_bare_series_name_links_to_its_first_instalment(
    demo_linker: EntityLinker, demo_catalogue: Catalogue, message: str, title: str
) -> None:
    assert first_titles(demo_linker, demo_catalogue, message) == [title]


def test_the_earliest_instalment_stands_for_the_series_and_people_keep_their_names() -> None:
    items = [
        Item("1", "Saga: The Return", 1983, {"series": ("Saga",)}),
        Item("2", "Saga: A Beginning", 1977, {"series": ("Saga",)}),
        Item("3", "Jo Quest and the Lost Map", 1990),
        Item("4", "Jo Quest and the Last Door", 1989),
        Item("5", "Kim Lee: Live", 2001, {"series": ("Kim Lee",)}),
        Item("6", "Kim Lee: Again", 2003, {"series": ("Kim Lee",)}),
    ]
    heads = series_heads(items, lambda item_id: 0.0, taken={"kim lee"})
    assert heads == {"saga": "2", "jo quest": "4"}


def test_a_loved_series_name_is_a_liked_film(demo_linker: EntityLinker) -> None:
    delta = TurnInterpreter(demo_linker).interpret(LOVED_PADDINGTON).delta
    assert delta.liked_items == (PADDINGTON,)


@pytest.fixture(scope="module")
def paddington_assistant(
    small_settings: Settings, small_catalogue: Catalogue, small_vector_index: object, demo_catalogue: Catalogue
) -> Assistant:
    """The fast tier's assistant on a catalogue that also holds both Paddington films."""
    both = {item_id: item for item_id, item in demo_catalogue.items.items() if item.title.startswith("Paddington")}
    catalogue = replace(
        small_catalogue,
        items={**small_catalogue.items, **both},
        interactions=small_catalogue.interactions + tuple(i for i in demo_catalogue.interactions if i.item_id in both),
    )
    chat_model = FakeListChatModel(responses=["Here you go."])
    return Assistant(small_settings, catalogue, chat_model, None, small_vector_index, InMemorySessionStore())


@pytest.mark.parametrize(
    ("message", "named"),
    [(LOVED_PADDINGTON, 1), ("We loved Paddington and Paddington 2, the kids are 7 and 9", 2)],
)
def test_every_instalment_named_as_loved_is_never_recommended_back(
    paddington_assistant: Assistant, message: str, named: int
) -> None:
    trace = paddington_assistant.turn(f"series-{uuid.uuid4().hex}", message)
    assert trace.understanding is not None and trace.request is not None
    liked = trace.understanding.delta.liked_items
    assert PADDINGTON in liked and len(liked) == named
    assert set(liked) <= trace.request.excluded_ids
    shown = {rec.item.id for rec in trace.recommendations} | {c.item_id for c in trace.allowed}
    assert trace.recommendations and not shown & set(liked)


def test_the_catalogue_holds_both_paddington_films(demo_catalogue: Catalogue) -> None:
    assert sorted(i.display_title for i in demo_catalogue.items.values() if i.title.startswith("Paddington")) == [
        "Paddington (2014)",
        "Paddington 2 (2017)",
    ]
