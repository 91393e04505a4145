"""Title series derived from titles, and what they do for recommendations and "why"."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from assistant.api import Assistant
from kg.catalogue import Catalogue, Item, load_catalogue
from kg.series import main_title, with_title_series

TOY_STORY = "1"
TOY_STORY_2 = "3114"
TOY_STORY_3 = "78499"


@pytest.mark.parametrize(
    ("title", "main"),
    [
        ("Toy Story 2", "Toy Story"),
        ("Lord of the Rings: The Two Towers, The", "The Lord of the Rings"),
        ("Rocky II", "Rocky"),
        ("Star Wars: Episode IV - A New Hope", "Star Wars"),
        ("Men in Black II (a.k.a. MIIB) (a.k.a. MIB 2)", "Men in Black"),
        ("Friday the 13th Part 2", "Friday the 13th"),
        ("Spider-Man 2", "Spider-Man"),
    ],
)
def test_the_main_title_drops_sequel_numbers_and_subtitles(title: str, main: str) -> None:
    assert main_title(title) == main


def series_of(titles: list[str]) -> dict[str, tuple[str, ...]]:
    items = {str(index): Item(str(index), title, 2000 + index) for index, title in enumerate(titles)}
    return {items[item_id].title: item.values("series") for item_id, item in with_title_series(items).items()}


def test_instalments_share_a_series_named_by_their_main_title() -> None:
    assert series_of(["Rocky", "Rocky II", "Rocky Balboa", "Alien", "Alien: Covenant"]) == {
        "Rocky": ("Rocky",),
        "Rocky II": ("Rocky",),
        "Rocky Balboa": (),
        "Alien": ("Alien",),
        "Alien: Covenant": ("Alien",),
    }


def test_remakes_and_numbered_titles_without_a_root_make_no_series() -> None:
    assert series_of(["Titanic", "Titanic", "Apollo 13", "Apollo 18"]) == {
        "Titanic": (),
        "Apollo 13": (),
        "Apollo 18": (),
    }


def test_subtitled_instalments_make_a_series_without_a_film_of_the_bare_name() -> None:
    series = series_of(["Star Wars: Episode IV - A New Hope", "Star Wars: The Last Jedi", "Starman"])
    assert series == {
        "Star Wars: Episode IV - A New Hope": ("Star Wars",),
        "Star Wars: The Last Jedi": ("Star Wars",),
        "Starman": (),
    }


def test_a_series_the_file_lists_is_kept() -> None:
    items = {
        "1": Item("1", "Rocky", 1976, {"series": ("Rocky Balboa saga",)}),
        "2": Item("2", "Rocky II", 1979),
    }
    assert [item.values("series") for item in with_title_series(items).values()] == [("Rocky Balboa saga",), ("Rocky",)]


def test_the_demo_catalogue_derives_its_series_on_loading(demo_catalogue: Catalogue) -> None:
    for item_id in (TOY_STORY, TOY_STORY_2, TOY_STORY_3):
        assert demo_catalogue.items[item_id].values("series") == ("Toy Story",)


def test_a_liked_film_brings_its_sequels_with_the_shared_title_as_evidence(fast_assistant: Assistant) -> None:
    session = f"series-{uuid.uuid4().hex[:8]}"
    reply = fast_assistant.chat(session, "I loved Toy Story, what should I watch next?")
    suggested = [rec.item.id for rec in reply.recommendations]
    assert {TOY_STORY_2, TOY_STORY_3} & set(suggested)
    sequel = next(rec for rec in reply.recommendations if rec.item.id in {TOY_STORY_2, TOY_STORY_3})
    path = next(path for path in sequel.evidence.paths if "IN_SERIES" in path.relations)
    assert [node.name for node in path.nodes] == ["Toy Story (1995)", "Toy Story", sequel.item.title]
    assert "carries the title Toy Story" in fast_assistant.why(session, sequel.item.id).text


def test_loading_a_catalogue_file_with_a_series_column_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "items.jsonl").write_text(
        '{"id": "a", "title": "Rocky", "year": 1976, "series": ["Boxing films"]}\n'
        '{"id": "b", "title": "Rocky II", "year": 1979}\n',
        encoding="utf-8",
    )
    (tmp_path / "interactions.csv").write_text("user_id,item_id,rating,timestamp\n", encoding="utf-8")
    catalogue = load_catalogue(tmp_path)
    assert catalogue.items["a"].values("series") == ("Boxing films",)
    assert catalogue.items["b"].values("series") == ("Rocky",)
