"""The graph schema, described once.

Ingest, graph queries, the vector-store item text and the entity linker all
read this structure; a catalogue from another domain (books with AUTHORED and
SERIES, say) plugs in by describing its own :class:`CatalogueSchema`, not by
editing queries.  Labels and relationship types can't be Cypher parameters, so
every one used in a query comes from here and is checked by
:func:`safe_identifier` — never from user text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_IDENTIFIER = re.compile(r"^[A-Z][A-Za-z0-9_]*$")
_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")


def safe_identifier(name: str) -> str:
    """Return ``name`` if it is a plain label/type identifier, else raise."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a safe graph identifier: {name!r}")
    return name


def safe_property(name: str) -> str:
    """Return ``name`` if it is a plain ASCII property name, else raise (property names can't be parameters)."""
    if not name.isidentifier() or not name.isascii():
        raise ValueError(f"not a safe property name: {name!r}")
    return name


def key_property(field_name: str) -> str:
    """The item property holding a field's name_keys (``genres`` -> ``k_genres``), read by constraint filters."""
    if not _FIELD.fullmatch(field_name):
        raise ValueError(f"schema field names must be lower-case identifiers, got {field_name!r}")
    return f"k_{field_name}"


def name_key(name: str) -> str:
    """The identity of an attribute value: casefolded and stripped (as :mod:`kg.constraints` folds)."""
    return name.casefold().strip()


@dataclass(frozen=True)
class AttributeRelation:
    """An item field whose values become nodes linked to the item.

    ``field``: key in the catalogue row (``"directors"``); ``label``: node label
    of the values (``"Person"``); ``relation``: relationship type from item to
    value's relation (``"DIRECTED"``); ``value_is_subject``: the edge points
    from the value to the item, as in ``(:Person)-[:DIRECTED]->(:Item)``;
    ``phrase``: how the relation reads in an
    explanation path ("directed by"); ``clause``: how it reads in a sentence
    about the item ("was directed by"); ``weight``: how much sharing such a value says
    about two items being alike (a shared director says more than a shared
    country); ``max_degree``: values linked to more items than this are too
    common to make a useful path (the "Drama" genre, the "USA" country);
    ``linkable``: the entity linker looks for the values in messages, but only
    for values at least ``link_min_items`` items carry (a tag one viewer typed
    for one film is their jargon, not a word people ask with).
    """

    field: str
    label: str
    relation: str
    phrase: str
    weight: float
    clause: str = ""
    value_is_subject: bool = False
    in_item_text: bool = True
    linkable: bool = True
    link_min_items: int = 1
    max_degree: int | None = None

    def __post_init__(self) -> None:
        safe_identifier(self.label)
        safe_identifier(self.relation)
        if not self.clause:
            object.__setattr__(self, "clause", f"is {self.phrase}")


@dataclass(frozen=True)
class CatalogueSchema:
    """Item label plus the attribute relations of one catalogue domain."""

    item_label: str
    item_noun: str
    relations: tuple[AttributeRelation, ...]

    def __post_init__(self) -> None:
        safe_identifier(self.item_label)
        fields = [relation.field for relation in self.relations]
        if len(fields) != len(set(fields)):
            raise ValueError("each attribute field may appear once in a schema")

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset(relation.field for relation in self.relations)

    @property
    def linkable_fields(self) -> tuple[str, ...]:
        return tuple(relation.field for relation in self.relations if relation.linkable)

    @property
    def person_fields(self) -> frozenset[str]:
        """Fields whose values are people: their names need two words to be linked safely."""
        return frozenset(relation.field for relation in self.relations if relation.label == PERSON_LABEL)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(relation.label for relation in self.relations))

    def relation_for(self, field_name: str) -> AttributeRelation:
        for relation in self.relations:
            if relation.field == field_name:
                return relation
        raise KeyError(field_name)

    def relation_by_type(self, relation_type: str) -> AttributeRelation:
        for relation in self.relations:
            if relation.relation == relation_type:
                return relation
        raise KeyError(relation_type)


USER_LABEL = "User"
PERSON_LABEL = "Person"
USER_RELATIONS = ("LIKED", "DISLIKED", "SEEN", "RATED")
UserEdge = Literal["LIKED", "DISLIKED", "SEEN"]
# Recording one of a pair removes the other: a person who now dislikes an item no longer likes it.
OPPOSITE_EDGE: dict[UserEdge, UserEdge | None] = {"LIKED": "DISLIKED", "DISLIKED": "LIKED", "SEEN": None}

MOVIE_SCHEMA = CatalogueSchema(
    item_label="Item",
    item_noun="movie",
    relations=(
        AttributeRelation("genres", "Genre", "HAS_GENRE", "genre", 0.6, "is also", max_degree=2500),
        AttributeRelation(
            "directors", "Person", "DIRECTED", "directed by", 3.0, "was directed by", value_is_subject=True
        ),
        AttributeRelation("cast", "Person", "ACTED_IN", "starring", 1.5, "stars", value_is_subject=True),
        AttributeRelation("writers", "Person", "WROTE", "written by", 2.0, "was written by", value_is_subject=True),
        AttributeRelation("composers", "Person", "SCORED", "music by", 1.2, "has music by", value_is_subject=True),
        AttributeRelation("studios", "Company", "PRODUCED_BY", "produced by", 0.8, "was produced by", max_degree=400),
        AttributeRelation(
            "countries",
            "Country",
            "FROM_COUNTRY",
            "from",
            0.3,
            "is from",
            in_item_text=False,
            linkable=False,
            max_degree=300,
        ),
        AttributeRelation(
            "languages", "Language", "IN_LANGUAGE", "language", 0.3, "is in", in_item_text=False, max_degree=300
        ),
        AttributeRelation("tags", "Tag", "TAGGED", "tagged", 1.0, "is also tagged", link_min_items=2, max_degree=400),
        AttributeRelation(
            "series",
            "Series",
            "IN_SERIES",
            "carries the title",
            3.0,
            "carries the title",
            in_item_text=False,
            linkable=False,
            max_degree=40,
        ),
    ),
)
