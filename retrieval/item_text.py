"""The text an item is embedded as.

Composed from the catalogue row and the graph facts that the schema marks as
descriptive, in a fixed order, so that the same catalogue always yields the
same vectors and a query like "space opera by Ridley Scott" meets the words it
needs.
"""

from __future__ import annotations

from kg.catalogue import Item
from kg.schema import CatalogueSchema

MAX_VALUES_PER_FIELD = 6


def item_text(item: Item, schema: CatalogueSchema) -> str:
    parts = [f"{item.display_title}."]
    for relation in schema.relations:
        values = item.values(relation.field)[:MAX_VALUES_PER_FIELD]
        if relation.in_item_text and values:
            parts.append(f"{relation.phrase.capitalize()} {', '.join(values)}.")
    return " ".join(parts)
