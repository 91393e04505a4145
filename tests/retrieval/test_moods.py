"""The mood feature: an item's fit to the moods asked for, from its genres and tags."""

from __future__ import annotations

import math

import pytest

from kg.catalogue import Item
from retrieval.mood_axes import MOOD_AXES, MoodAxis
from retrieval.moods import axis_fit, directed_fit, mood_features, mood_fit

pytestmark = pytest.mark.fast


def item(item_id: str, genres: tuple[str, ...], tags: tuple[str, ...] = ()) -> Item:
    return Item(id=item_id, title=item_id, year=2000, attributes={"genres": genres, "tags": tags})


TOY_STORY = item("toy", ("Adventure", "Animation", "Children", "Comedy"), ("pixar", "fun"))
REQUIEM = item("requiem", ("Drama",), ("depressing", "drugs", "disturbing"))
GODFATHER = item("godfather", ("Crime", "Drama"), ("mafia",))
ROMCOM = item("romcom", ("Comedy", "Romance"), ("chick flick", "predictable"))
DOCUMENTARY = item("doc", ("Documentary",))


def test_lighter_favours_comedies_and_pushes_grim_films_down() -> None:
    moods = [("more", "light")]
    assert mood_fit(TOY_STORY, moods) > 0.9
    assert mood_fit(REQUIEM, moods) < -0.9
    assert mood_fit(TOY_STORY, moods) > mood_fit(GODFATHER, moods) > mood_fit(REQUIEM, moods)


def test_less_counts_the_far_end() -> None:
    assert mood_fit(REQUIEM, [("less", "light")]) == pytest.approx(-mood_fit(REQUIEM, [("more", "light")]))
    assert mood_fit(ROMCOM, [("less", "cheesy")]) < 0 == mood_fit(TOY_STORY, [("less", "cheesy")])


def test_an_item_the_mood_says_nothing_about_scores_zero() -> None:
    assert mood_fit(DOCUMENTARY, [("less", "cheesy")]) == 0.0
    assert axis_fit(DOCUMENTARY, MOOD_AXES["romantic"]) < 0


def test_several_moods_are_averaged_and_unknown_ones_ignored() -> None:
    both = mood_fit(ROMCOM, [("more", "light"), ("less", "cheesy")])
    assert both == pytest.approx((mood_fit(ROMCOM, [("more", "light")]) + mood_fit(ROMCOM, [("less", "cheesy")])) / 2)
    assert mood_fit(ROMCOM, [("more", "unheard-of")]) == 0.0


def test_tags_are_compared_casefolded_and_bounded() -> None:
    shouting = item("loud", ("Comedy", "Children", "Animation"), ("Feel-Good", "FUNNY", "Heartwarming"))
    assert 0.99 < mood_fit(shouting, [("more", "light")]) < 1.0


def test_no_mood_no_feature() -> None:
    assert mood_features([TOY_STORY], []) == {}
    assert set(mood_features([TOY_STORY, REQUIEM], [("more", "light")])) == {"toy", "requiem"}


def test_every_axis_names_only_catalogue_genres() -> None:
    genres = {
        "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    }  # fmt: skip
    assert {genre for axis in MOOD_AXES.values() for genre in axis.genres} <= genres


def test_less_of_a_one_ended_mood_demotes_it_and_lifts_nothing() -> None:
    kids = item("kids", ("Animation", "Children", "Musical"))
    brutal = item("brutal", ("Action", "War"), ("violent", "brutal"))
    assert mood_fit(kids, [("less", "violent")]) == 0.0
    assert mood_fit(brutal, [("less", "violent")]) < -0.9
    assert mood_fit(kids, [("less", "light")]) < -0.9


def test_less_of_a_one_ended_mood_demotes_by_what_carries_it_alone() -> None:
    axis = MoodAxis(genres={"Action": 0.5, "Children": -0.8}, tags={"violent": 1.0})
    violent_family_film = item("violent-family", ("Children",), ("violent",))
    family_film = item("family", ("Children",))
    assert directed_fit(violent_family_film, "less", axis) == pytest.approx(-math.tanh(1.0))
    assert directed_fit(family_film, "less", axis) == 0.0
    assert directed_fit(family_film, "more", axis) == pytest.approx(math.tanh(-0.8))
