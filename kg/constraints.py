"""Hard constraints on items, shared by the graph, retrieval and the assistant.

Constraints are law: a candidate that violates one is dropped before ranking,
never down-weighted.  They are plain data so that they can be stored in a
profile, sent to the graph as query parameters and shown to the user.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kg.catalogue import Item


def _fold(value: str) -> str:
    return value.casefold().strip()


class Constraints(BaseModel):
    """Year range plus per-field required (any-of) and forbidden values."""

    model_config = ConfigDict(frozen=True)

    year_min: int | None = None
    year_max: int | None = None
    include: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    exclude: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    def is_empty(self) -> bool:
        return self.year_min is None and self.year_max is None and not self.include and not self.exclude

    def allows(self, item: Item) -> bool:
        """True when ``item`` satisfies every constraint."""
        if self.year_min is not None and (item.year is None or item.year < self.year_min):
            return False
        if self.year_max is not None and (item.year is None or item.year > self.year_max):
            return False
        for field_name, wanted in self.include.items():
            values = {_fold(v) for v in item.values(field_name)}
            if not values & {_fold(w) for w in wanted}:
                return False
        for field_name, banned in self.exclude.items():
            values = {_fold(v) for v in item.values(field_name)}
            if values & {_fold(b) for b in banned}:
                return False
        return True

    def satisfied_by(self, item: Item) -> list[str]:
        """Human-readable statements of the constraints ``item`` meets (for evidence)."""
        statements: list[str] = []
        if self.year_min is not None and item.year is not None and item.year >= self.year_min:
            statements.append(f"released in {item.year}, not before {self.year_min}")
        if self.year_max is not None and item.year is not None and item.year <= self.year_max:
            statements.append(f"released in {item.year}, not after {self.year_max}")
        for field_name, wanted in self.include.items():
            folded = {_fold(w) for w in wanted}
            matched = [v for v in item.values(field_name) if _fold(v) in folded]
            if matched:
                statements.append(f"{field_name}: {', '.join(matched)}")
        for field_name, banned in self.exclude.items():
            statements.append(f"no {field_name} among {', '.join(sorted(banned))}")
        return statements
