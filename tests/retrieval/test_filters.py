"""The law on a hand-made pool: constraints, the user's own items and disliked attributes drop candidates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kg.catalogue import Catalogue, Item
from kg.constraints import Constraints
from kg.schema import MOVIE_SCHEMA
from retrieval.candidates import Candidate
from retrieval.filters import ConstraintFilter
from retrieval.request import RetrievalRequest

pytestmark = pytest.mark.fast

ITEMS = {
    "1": Item("1", "Quiet Drama", 1990, {"genres": ("Drama",)}),
    "2": Item("2", "Loud Horror", 2015, {"genres": ("Horror",)}),
    "3": Item("3", "New Drama", 2015, {"genres": ("Drama",), "tags": ("zombies",)}),
    "4": Item("4", "Liked Drama", 2016, {"genres": ("Drama",)}),
}


def pool() -> list[Candidate]:
    return [Candidate(item_id, {"vector": 1.0}) for item_id in (*ITEMS, "unknown")]


def allowed(**request: object) -> list[str]:
    law = ConstraintFilter(Catalogue(Path("."), ITEMS, (), MOVIE_SCHEMA))
    filtered = law.apply(pool(), RetrievalRequest(query_text="", query_vector=np.zeros(3), **request))  # type: ignore[arg-type]
    assert filtered.dropped == len(pool()) - len(filtered.allowed)
    return [candidate.item_id for candidate in filtered.allowed]


def test_an_item_outside_the_catalogue_never_passes() -> None:
    assert allowed() == ["1", "2", "3", "4"]


def test_hard_constraints_and_own_items_are_law() -> None:
    constraints = Constraints(exclude={"genres": ("Horror",)}, year_min=2000)
    assert allowed(constraints=constraints, liked_ids=("4",)) == ["3"]


def test_a_disliked_attribute_bans_every_item_that_carries_it() -> None:
    assert allowed(disliked_attributes={"tags": ("Zombies",)}, seen_ids=("1",)) == ["2", "4"]
