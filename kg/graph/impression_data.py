"""The impression log on the graph server: lists shown and reactions, as plain rows (the assistant gives them
meaning in :mod:`assistant.sessions.impressions_graph`).  Every value travels as a query parameter."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import neo4j

from kg.graph import queries
from kg.graph.connection import GraphConnection
from kg.graph.rows import collected_rows

Accept = Callable[[list[list[Any]], bool], None]
"""Given the rows of the list a reaction names and whether its event id is known; raises to refuse it."""


class ImpressionData:
    def __init__(self, connection: GraphConnection) -> None:
        self._connection = connection

    def log_list(self, rows: list[dict[str, Any]]) -> None:
        self._connection.write(lambda tx: tx.run(queries.LOG_IMPRESSIONS, rows=rows).consume(), what="impressions")

    def log_reaction(self, params: dict[str, Any], accept: Accept) -> list[list[Any]]:
        """Check (``accept``) and store a reaction in one write transaction; returns the list's rows."""

        def work(tx: neo4j.ManagedTransaction) -> list[list[Any]]:
            shown = collected_rows(tx, queries.SHOWN_IN_LIST, list=params["list"])
            known = tx.run(queries.REACTION_KNOWN, event=params["event"]).single(strict=True)["known"] > 0
            accept(shown, known)
            session = shown[0][1]
            tx.run(queries.LOG_REACTION, {**params, "session": session, "at": params.get("at", time.time())}).consume()
            return shown

        return self._connection.write(work, what="reaction")

    def latest_list_with(self, session_id: str, item_id: str) -> str | None:
        def work(tx: neo4j.ManagedTransaction) -> str | None:
            record = tx.run(queries.LATEST_LIST_WITH, session=session_id, item=item_id).single()
            return record["list_id"] if record is not None else None

        return self._connection.read(work, what="latest list")

    def session_log(self, session_id: str) -> tuple[list[list[Any]], list[list[Any]]]:
        def work(tx: neo4j.ManagedTransaction) -> tuple[list[list[Any]], list[list[Any]]]:
            return (
                collected_rows(tx, queries.SESSION_IMPRESSIONS, session=session_id),
                collected_rows(tx, queries.SESSION_REACTIONS, session=session_id),
            )

        return self._connection.read(work, what="session log")

    def everything(self) -> tuple[list[list[Any]], list[list[Any]]]:
        def work(tx: neo4j.ManagedTransaction) -> tuple[list[list[Any]], list[list[Any]]]:
            return collected_rows(tx, queries.ALL_IMPRESSIONS), collected_rows(tx, queries.ALL_REACTIONS)

        return self._connection.read(work, what="impression log", bulk=True)

    def delete_session(self, session_id: str) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(queries.DELETE_SESSION_REACTIONS, session=session_id).consume()
            tx.run(queries.DELETE_SESSION_IMPRESSIONS, session=session_id).consume()

        self._connection.write(work, what="impression log delete")
