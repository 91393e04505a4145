"""The law: hard constraints and the user's own items, applied in code to every candidate of the pool.

Whatever source proposed an item, it is dropped when the catalogue lacks it,
when the user already liked, disliked or saw it, when it breaks a hard
constraint, or when it carries an attribute the user disliked.  No ranking
or exploration downstream ever sees a dropped item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kg.catalogue import Catalogue
from retrieval.candidates import Candidate
from retrieval.request import RetrievalRequest


@dataclass(frozen=True)
class FilteredPool:
    allowed: list[Candidate]
    dropped: int


class ConstraintFilter:
    """Keeps the candidates a request allows, in the pool's order."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def apply(self, candidates: Iterable[Candidate], request: RetrievalRequest) -> FilteredPool:
        excluded = request.excluded_ids
        banned_attributes = {
            (field_name, value.casefold())
            for field_name, values in request.disliked_attributes.items()
            for value in values
        }
        allowed: list[Candidate] = []
        dropped = 0
        for entry in candidates:
            item = self.catalogue.get(entry.item_id)
            if item is None or entry.item_id in excluded or not request.constraints.allows(item):
                dropped += 1
                continue
            if any(
                (field_name, value.casefold()) in banned_attributes
                for field_name, values in item.attributes.items()
                for value in values
            ):
                dropped += 1
                continue
            allowed.append(entry)
        return FilteredPool(allowed=allowed, dropped=dropped)
