"""Fast tier: the Cypher of kg.graph.queries carries values only as parameters, and schema identifiers only when safe."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest

from kg.constraints import Constraints
from kg.graph import queries
from kg.graph.queries import CatalogueWriteQueries, RecommendationQueries, UserEdgeQueries
from kg.schema import MOVIE_SCHEMA, AttributeRelation, CatalogueSchema

pytestmark = pytest.mark.fast

QUERY_CLASSES = (CatalogueWriteQueries, RecommendationQueries, UserEdgeQueries)
SESSION_QUERIES = {
    name: text
    for name, text in vars(queries).items()
    if name.isupper() and isinstance(text, str) and f":{queries.SESSION_LABEL} " in text
}
HOSTILE = "x}) MATCH (n) DETACH DELETE n //"
BOOK_SCHEMA = CatalogueSchema(
    item_label="Book",
    item_noun="book",
    relations=(
        AttributeRelation("authors", "Person", "AUTHORED", "written by", 3.0, value_is_subject=True),
        AttributeRelation("series", "Series", "IN_SERIES", "in the series", 3.0),
    ),
)


def texts(value: object) -> Iterator[str]:
    """Every query text held by a query object or constant."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts(item)
    elif isinstance(value, QUERY_CLASSES):
        for name, item in vars(value).items():
            if name != "schema":
                yield from texts(item)


def all_query_texts(schema: CatalogueSchema) -> list[str]:
    found = [text for name, text in vars(queries).items() if name.isupper() and isinstance(text, str)]
    for query_class in QUERY_CLASSES:
        found += texts(query_class(schema))
    filters, _ = RecommendationQueries(schema).candidate_filters(
        Constraints(year_min=1990, year_max=1999, include={"genres": ("Drama",)}, exclude={"series": ("X",)})
    )
    found.append(RecommendationQueries(schema).filter_then_expand(filters))
    return found


@pytest.mark.parametrize("schema", [MOVIE_SCHEMA, BOOK_SCHEMA], ids=["movies", "books"])
def test_no_query_holds_a_literal_value(schema: CatalogueSchema) -> None:
    found = all_query_texts(schema)
    assert len(found) > 40
    for text in found:
        assert not re.search(r"['\"`]", text), f"a quoted literal in Cypher: {text}"
        assert "{}" not in text and "%s" not in text, f"an unformatted placeholder: {text}"


def test_session_queries_take_every_value_as_a_parameter() -> None:
    assert set(SESSION_QUERIES) >= {"LOAD_PROFILE", "SAVE_PROFILE", "APPEND_TURN", "HISTORY", "DELETE_SESSION"}
    for name, text in SESSION_QUERIES.items():
        assert "{id: $session}" in text, name


def with_item_label(schema: CatalogueSchema, label: str) -> CatalogueSchema:
    """A schema whose item label skipped validation, as a schema built from outside input might."""
    unsafe = dataclasses.replace(schema)
    object.__setattr__(unsafe, "item_label", label)
    return unsafe


@pytest.mark.parametrize("query_class", QUERY_CLASSES)
def test_an_unsafe_item_label_is_refused(query_class: type) -> None:
    with pytest.raises(ValueError, match="not a safe graph identifier"):
        query_class(with_item_label(MOVIE_SCHEMA, f"Item{HOSTILE}"))


def test_unsafe_relation_identifiers_are_refused() -> None:
    relation = AttributeRelation("genres", "Genre", "HAS_GENRE", "genre", 1.0)
    unsafe_label = dataclasses.replace(relation)
    object.__setattr__(unsafe_label, "label", f"Genre{HOSTILE}")
    unsafe_type = dataclasses.replace(relation)
    object.__setattr__(unsafe_type, "relation", f"HAS_GENRE{HOSTILE}")
    for bad in (unsafe_label, unsafe_type):
        schema = dataclasses.replace(MOVIE_SCHEMA, relations=(bad,))
        with pytest.raises(ValueError, match="not a safe graph identifier"):
            CatalogueWriteQueries(schema)
        with pytest.raises(ValueError, match="not a safe graph identifier"):
            RecommendationQueries(schema)


def test_an_unsafe_field_name_is_refused() -> None:
    schema = dataclasses.replace(
        MOVIE_SCHEMA, relations=(AttributeRelation(HOSTILE, "Genre", "HAS_GENRE", "genre", 1.0),)
    )
    with pytest.raises(ValueError, match="lower-case identifiers"):
        CatalogueWriteQueries(schema)


def test_constraint_values_travel_as_parameters() -> None:
    constraints = Constraints(
        year_min=1980,
        include={"genres": (HOSTILE,), HOSTILE: ("x",)},
        exclude={"cast": (f"  {HOSTILE.upper()} ",)},
    )
    filters, params = RecommendationQueries(MOVIE_SCHEMA).candidate_filters(constraints)
    text = RecommendationQueries(MOVIE_SCHEMA).filter_then_expand(filters)
    assert "DETACH" not in text and "1980" not in text
    assert "false" in filters  # a field the schema does not know admits nothing
    assert params["year_min"] == 1980
    assert params["include_0"] == [HOSTILE.casefold()]
    assert params["exclude_0"] == [HOSTILE.casefold()]


def test_schema_statements_refuse_unsafe_names() -> None:
    assert queries.unique_constraint("ProfileSession", "id") == (
        "CREATE CONSTRAINT concierge_profilesession_id_unique IF NOT EXISTS "
        "FOR (n:ProfileSession) REQUIRE n.id IS UNIQUE"
    )
    with pytest.raises(ValueError):
        queries.unique_constraint(f"Item{HOSTILE}", "id")
    with pytest.raises(ValueError):
        queries.unique_constraint("Item", "id) DETACH DELETE n")
    with pytest.raises(ValueError):
        queries.fulltext_index("Person", ["name", "x]) DETACH DELETE n"])
