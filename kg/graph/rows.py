"""Reading a query's rows as one Bolt record."""

from __future__ import annotations

from typing import Any

import neo4j


def collected_rows(tx: neo4j.ManagedTransaction, query: str, **params: Any) -> list[Any]:
    """The rows a query returns collected as ``rows`` (row lists, or values of one column); none without a record.

    One Bolt record instead of hundreds: the Python driver spends most of a
    small query's time per record, and ArcadeDB sends each record separately.
    """
    record = tx.run(query, params).single()
    return list(record["rows"]) if record is not None else []
